package org.postcopysim.source;

import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.PageContents;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Memslot;
import org.postcopysim.protocol.Switchover;
import org.postcopysim.protocol.VcpuCount;
import org.postcopysim.protocol.VcpuState;

/**
 * The messages that answer Hello(DEMAND): the guest layout (Handshake) and the stopped guest's
 * vCPU state (Switchover). The simulated registers are derived from the seed and vCPU id only,
 * so a run is reproducible from its seed.
 */
final class SwitchoverFrames {
    /** Most vCPUs a destination may ask for (count); bounds the Switchover frame. */
    static final int MAX_VCPUS = VcpuCount.MAX;
    /** RFLAGS bit 1 (always set) and IF (interrupts enabled). */
    private static final long RFLAGS_FIXED = 0x202L;
    /** Arithmetic status flags a stopped guest may have set: CF, PF, AF, ZF, SF, OF. */
    private static final long RFLAGS_STATUS_MASK = 0x8D5L;
    private static final long KERNEL_TEXT_BASE = 0xFFFFFFFF81000000L;
    private static final long KERNEL_STACK_BASE = 0xFFFFC90000000000L;
    private static final int KERNEL_STACK_SHIFT = 14; // 16 KiB per vCPU stack

    private SwitchoverFrames() {}

    static Handshake handshake(int protocolVersion, String migrationId, GuestLayout layout, long seed) {
        Handshake.Builder b = Handshake.newBuilder().setProtocolVersion(protocolVersion).setMigrationId(migrationId)
                .setPageSizeBytes(GuestLayout.PAGE_SIZE_BYTES).setContentSeed(seed);
        for (GuestLayout.Slot s : layout.slots()) {
            b.addMemslots(Memslot.newBuilder().setId(s.id()).setBaseGfn(s.baseGfn()).setPageCount(s.pageCount()));
        }
        return b.build();
    }

    static Switchover switchover(long seed, int vcpus, long sourceStopNs) {
        Switchover.Builder b = Switchover.newBuilder().setSourceStopNs(sourceStopNs);
        for (int id = 0; id < vcpus; id++) b.addVcpus(vcpu(seed, id));
        return b.build();
    }

    /** Synthetic registers of vCPU {@code id}: a kernel text rip, a 16-byte aligned rsp in its own stack. */
    static VcpuState vcpu(long seed, int id) {
        long h = PageContents.mix64(seed ^ PageContents.mix64(0x5643505553L + id)); // "VCPUS" + id
        long rip = KERNEL_TEXT_BASE + (h & 0xFFFFFL);
        long rsp = KERNEL_STACK_BASE + ((long) id << KERNEL_STACK_SHIFT) + ((h >>> 20) & 0x3FF0L);
        long rflags = RFLAGS_FIXED | ((h >>> 40) & RFLAGS_STATUS_MASK);
        return VcpuState.newBuilder().setId(id).setRip(rip).setRsp(rsp).setRflags(rflags).setRetiredAccesses(0).build();
    }
}
