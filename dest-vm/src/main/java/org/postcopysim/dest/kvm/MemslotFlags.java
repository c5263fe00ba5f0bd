package org.postcopysim.dest.kvm;

/**
 * Memslot flags of {@code struct kvm_userspace_memory_region2.flags}. {@link #USERFAULT} is
 * KVM_MEM_USERFAULT from the KVM Userfault proposal (kernel-background.md §5);
 * {@link #EXIT_ON_MISSING} is KVM_MEM_EXIT_ON_MISSING from the exit-on-missing proposal
 * (§4).
 */
public final class MemslotFlags {
    /** KVM_MEM_LOG_DIRTY_PAGES: dirty logging; KVM maps only 4 KiB pages while it is on. */
    public static final int LOG_DIRTY_PAGES = 1 << 0;
    /** KVM_MEM_READONLY: guest writes exit as MMIO; cannot change after creation. */
    public static final int READONLY = 1 << 1;
    /** KVM_MEM_GUEST_MEMFD: memory backed by a guest_memfd; cannot change after creation. */
    public static final int GUEST_MEMFD = 1 << 2;
    /** KVM_MEM_USERFAULT: faults on gfns whose userfault bit is set exit to userspace. */
    public static final int USERFAULT = 1 << 3;
    /**
     * KVM_MEM_EXIT_ON_MISSING: a stage-2 fault whose host page is not mapped exits with
     * KVM_EXIT_MEMORY_FAULT (no USERFAULT exit flag) instead of faulting the host page in, which
     * would end on the userfaultfd wait queue. KVM only tries the fast, non-sleeping lookup.
     *
     * <p>Toggling it needs no stage-2 zap, unlike USERFAULT 0 -> 1: a stage-2 mapping is only
     * created over a host-mapped page, and a host unmap zaps the stage-2 mapping with it
     * ({@link Vm#unmapHostPage}), so no existing mapping can bypass the check. The proposal
     * forbids it on read-only memslots; this model never has those (READONLY is immutable and
     * memslots are created without flags).
     */
    public static final int EXIT_ON_MISSING = 1 << 4;

    /** Every flag this model knows. */
    public static final int ALL = LOG_DIRTY_PAGES | READONLY | GUEST_MEMFD | USERFAULT | EXIT_ON_MISSING;

    /** Flags fixed when the memslot is created: a flags-only update may not change them. */
    public static final int IMMUTABLE = READONLY | GUEST_MEMFD;

    private MemslotFlags() {
    }

    /** Whether {@code flags} contains every bit of {@code flag}. */
    public static boolean has(int flags, int flag) {
        return (flags & flag) == flag;
    }

    /** E.g. {@code "LOG_DIRTY_PAGES|USERFAULT"}, {@code "0"}; unknown bits are shown in hex. */
    public static String describe(int flags) {
        if (flags == 0) return "0";
        StringBuilder sb = new StringBuilder();
        append(sb, flags, LOG_DIRTY_PAGES, "LOG_DIRTY_PAGES");
        append(sb, flags, READONLY, "READONLY");
        append(sb, flags, GUEST_MEMFD, "GUEST_MEMFD");
        append(sb, flags, USERFAULT, "USERFAULT");
        append(sb, flags, EXIT_ON_MISSING, "EXIT_ON_MISSING");
        int unknown = flags & ~ALL;
        if (unknown != 0) {
            if (sb.length() > 0) sb.append('|');
            sb.append("0x").append(Integer.toHexString(unknown));
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, int flags, int flag, String name) {
        if ((flags & flag) == 0) return;
        if (sb.length() > 0) sb.append('|');
        sb.append(name);
    }
}
