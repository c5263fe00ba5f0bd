package org.postcopysim.dest.kvm;

/**
 * One stage-2 fault in progress, between its two steps (KVM's {@code struct kvm_page_fault},
 * which lives on the faulting thread's stack): what {@link Vm#faultBegin} looked up and
 * {@link Vm#faultCommit} installs. Mutable and reused: each vCPU owns one (the one-call
 * {@link Vm#access} uses the one kept with the vCPU's {@link MemoryFaultExit}), so a fault
 * allocates nothing. Confined to its vCPU.
 */
public final class Stage2Fault {
    Memslot slot;
    long gfn;
    long pageIndex;
    boolean write;
    /** mmu_invalidate_seq read before the host page was looked up. */
    long seq;
    /** The memslot's flags generation read at the same time. */
    long generation;
    boolean privateFault;
    boolean huge;
    boolean writable;
    /** The host frame (4 KiB) or the region's frame signature (huge) the entry will record. */
    int frame;
    /** The gfns the entry covers: [rangeStart, rangeEnd). */
    long rangeStart;
    long rangeEnd;

    /** The faulting gfn. */
    public long gfn() {
        return gfn;
    }

    /** Whether the faulting access writes. */
    public boolean isWrite() {
        return write;
    }

    /** Whether the fault is on private (guest_memfd) memory. */
    public boolean isPrivate() {
        return privateFault;
    }

    /** Whether the entry to install is a 2 MiB one. */
    public boolean isHuge() {
        return huge;
    }

    /** Whether the entry to install is writable. */
    public boolean isWritable() {
        return writable;
    }

    /** The mmu_invalidate_seq snapshot of this fault. */
    public long seq() {
        return seq;
    }

    @Override
    public String toString() {
        return "Stage2Fault{gfn=" + gfn + (write ? ", write" : ", read") + (privateFault ? ", private" : "")
                + (huge ? ", 2M" : ", 4K") + (writable ? ", RW" : ", RO") + ", seq=" + seq + '}';
    }
}
