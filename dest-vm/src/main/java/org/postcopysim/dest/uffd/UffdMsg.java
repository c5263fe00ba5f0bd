package org.postcopysim.dest.uffd;

import org.postcopysim.memory.GuestLayout;

/**
 * One {@code struct uffd_msg} of event UFFD_EVENT_PAGEFAULT, as {@link Userfaultfd#read} fills
 * it. Mutable and reused: each reader owns one, so a read allocates nothing.
 */
public final class UffdMsg {
    /** UFFD_EVENT_PAGEFAULT, the only event this model produces. */
    public static final int UFFD_EVENT_PAGEFAULT = 0x12;
    /** UFFD_PAGEFAULT_FLAG_WRITE: the faulting access was a write. */
    public static final long FLAG_WRITE = 1L << 0;

    private int waiterId = -1;
    private long pageIndex = -1;
    private long gfn = -1;
    private long flags;

    /**
     * The faulting thread's id (the UFFD_FEATURE_THREAD_ID ptid): the runner's waiter id, a
     * vCPU or an internal-access thread.
     */
    public int waiterId() {
        return waiterId;
    }

    /** Dense page index of the faulting page ({@link GuestLayout}). */
    public long pageIndex() {
        return pageIndex;
    }

    /**
     * Faulting address as a byte offset into guest memory ({@code pageIndex << 12}): the real
     * message's host virtual address minus the base of the registered mapping.
     */
    public long address() {
        return pageIndex << GuestLayout.PAGE_SHIFT;
    }

    /** Guest frame number of the page, or -1 when the uffd was built without a layout. */
    public long gfn() {
        return gfn;
    }

    /** Guest physical address ({@code gfn << 12}), or -1 when the uffd was built without a layout. */
    public long gpa() {
        return gfn < 0 ? -1 : gfn << GuestLayout.PAGE_SHIFT;
    }

    /** {@code UFFD_PAGEFAULT_FLAG_*} bits. */
    public long flags() {
        return flags;
    }

    /** Whether the faulting access was a write (else a read). */
    public boolean isWrite() {
        return (flags & FLAG_WRITE) != 0;
    }

    /** Overwrites the message. */
    public void set(int waiterId, long pageIndex, long gfn, long flags) {
        this.waiterId = waiterId;
        this.pageIndex = pageIndex;
        this.gfn = gfn;
        this.flags = flags;
    }

    @Override
    public String toString() {
        return "uffd_msg{PAGEFAULT, ptid=" + waiterId + ", page=" + pageIndex + ", gfn=" + gfn
                + ", " + (isWrite() ? "WRITE" : "READ") + '}';
    }
}
