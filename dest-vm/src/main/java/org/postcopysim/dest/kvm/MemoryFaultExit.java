package org.postcopysim.dest.kvm;

import org.postcopysim.memory.GuestLayout;

/**
 * The {@code kvm_run.memory_fault} record of a KVM_EXIT_MEMORY_FAULT exit
 * (KVM_CAP_MEMORY_FAULT_INFO, kernel-background.md §3). Mutable and reused: each vCPU owns one
 * and the fault path overwrites it, so an exit allocates nothing.
 */
public final class MemoryFaultExit {
    /** KVM_EXIT_MEMORY_FAULT, the kvm_run exit reason. */
    public static final int KVM_EXIT_MEMORY_FAULT = 39;

    /** The faulting access was a read. */
    public static final long FLAG_READ = 1L << 0;
    /** The faulting access was a write. */
    public static final long FLAG_WRITE = 1L << 1;
    /** The faulting access was an instruction fetch. */
    public static final long FLAG_EXEC = 1L << 2;
    /** The access targeted private (guest_memfd) memory. */
    public static final long FLAG_PRIVATE = 1L << 3;
    /** The exit was caused by a set bit in the KVM Userfault bitmap. */
    public static final long FLAG_USERFAULT = 1L << 4;

    private long gpa;
    private long sizeBytes;
    private long flags;

    /** Guest physical address of the fault (bytes). */
    public long gpa() {
        return gpa;
    }

    /** Size of the faulting range (bytes). */
    public long size() {
        return sizeBytes;
    }

    /** {@code FLAG_*} bits. */
    public long flags() {
        return flags;
    }

    /** Guest frame number of {@link #gpa()}. */
    public long gfn() {
        return gpa >>> GuestLayout.PAGE_SHIFT;
    }

    /** Whether every bit of {@code flag} is set in {@link #flags()}. */
    public boolean has(long flag) {
        return (flags & flag) == flag;
    }

    /** Overwrites the record (what KVM does before returning from KVM_RUN). */
    public void set(long gpa, long sizeBytes, long flags) {
        this.gpa = gpa;
        this.sizeBytes = sizeBytes;
        this.flags = flags;
    }

    /** Resets every field to zero. */
    public void clear() {
        set(0, 0, 0);
    }

    /** E.g. {@code "WRITE|USERFAULT"}; unknown bits in hex. */
    public static String describeFlags(long flags) {
        if (flags == 0) return "0";
        StringBuilder sb = new StringBuilder();
        append(sb, flags, FLAG_READ, "READ");
        append(sb, flags, FLAG_WRITE, "WRITE");
        append(sb, flags, FLAG_EXEC, "EXEC");
        append(sb, flags, FLAG_PRIVATE, "PRIVATE");
        append(sb, flags, FLAG_USERFAULT, "USERFAULT");
        long unknown = flags & ~(FLAG_READ | FLAG_WRITE | FLAG_EXEC | FLAG_PRIVATE | FLAG_USERFAULT);
        if (unknown != 0) {
            if (sb.length() > 0) sb.append('|');
            sb.append("0x").append(Long.toHexString(unknown));
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, long flags, long flag, String name) {
        if ((flags & flag) == 0) return;
        if (sb.length() > 0) sb.append('|');
        sb.append(name);
    }

    @Override
    public String toString() {
        return "KVM_EXIT_MEMORY_FAULT{gpa=0x" + Long.toHexString(gpa) + ", gfn=" + gfn()
                + ", size=" + sizeBytes + ", flags=" + describeFlags(flags) + '}';
    }
}
