package org.postcopysim.dest.kvm;

/**
 * Result codes of {@link Vm#access} and {@link Vm#accessInternal}: how one guest access ended. Ints, not an
 * enum, so the hot path returns a primitive.
 */
public final class AccessResult {
    /** Stage-2 already mapped the gfn: the guest touched memory. */
    public static final int HIT = 0;
    /** Stage-2 fault handled inside KVM (a mapping was created): the guest touched memory. */
    public static final int MAPPED = 1;
    /** KVM_RUN returned with KVM_EXIT_MEMORY_FAULT; the caller's {@link MemoryFaultExit} is filled. */
    public static final int EXIT_MEMORY_FAULT = 2;
    /** The gfn is outside every memslot; the exit record is untouched. */
    public static final int NO_MEMSLOT = 3;
    /**
     * KVM's RET_PF_RETRY: the fault raced memslot flag updates on each of its bounded attempts
     * and kept no mapping. Re-issue the access. Needs several flag updates during one fault.
     */
    public static final int RETRY = 4;
    /**
     * The host page behind the gfn is not mapped and nothing let KVM exit: get_user_pages
     * faulted it in and reached {@code handle_userfault()} (kernel-background.md §2). The
     * caller's {@link MemoryFaultExit} holds gpa, size and READ/WRITE (no USERFAULT) so the
     * runner knows the address; it sleeps the thread on the userfaultfd wait queue and retries
     * the access when woken. Nothing was mapped.
     */
    public static final int HOST_FAULT = 5;

    private AccessResult() {
    }

    /** Name of a result code, for logs. */
    public static String name(int result) {
        switch (result) {
            case HIT: return "HIT";
            case MAPPED: return "MAPPED";
            case EXIT_MEMORY_FAULT: return "EXIT_MEMORY_FAULT";
            case NO_MEMSLOT: return "NO_MEMSLOT";
            case RETRY: return "RETRY";
            case HOST_FAULT: return "HOST_FAULT";
            default: return "UNKNOWN(" + result + ")";
        }
    }
}
