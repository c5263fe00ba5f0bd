package org.postcopysim.guest;

import org.postcopysim.memory.AtomicBitmap;

/**
 * The source's dirty log, as KVM's dirty bitmap serves QEMU's precopy: one bit per page, set by
 * every guest write on the source, cleared by the sender just before it copies the page out.
 *
 * <p>The one rule that makes it exact: the vCPU writes the page and then sets the bit
 * ({@link GuestVcpu#complete} does both in that order, with volatile atomics), and the sender
 * clears the bit ({@link #clearBeforeCopy}, a volatile atomic) and then copies the page. Either the
 * bit was set before the clear (the clear synchronizes with it, so the copy sees the write) or
 * after it (the page is dirty again and is sent again, or discarded on the destination). So a
 * page whose bit is clear holds exactly what was last copied out; a write never goes unnoticed.
 * Lock-free, allocation-free, safe for any number of vCPUs and one sender.
 */
public final class DirtyLog implements PageWrites {
    private final AtomicBitmap dirty;

    public DirtyLog(long pages) {
        this.dirty = new AtomicBitmap(pages);
    }

    @Override
    public void recordWrite(long pageIndex) {
        dirty.set(pageIndex); // volatile atomic OR, after the write itself
    }

    /** Just before page {@code pageIndex} is copied to be sent: clears its bit; returns whether it was dirty. */
    public boolean clearBeforeCopy(long pageIndex) {
        return dirty.testAndClearVolatile(pageIndex);
    }

    /** Whether page {@code pageIndex} was written since it was last copied out (or since the start). */
    public boolean isDirty(long pageIndex) {
        return dirty.get(pageIndex);
    }

    /** Pages dirty now (a snapshot while vCPUs write). */
    public long dirtyPages() {
        return dirty.cardinality();
    }

    /** The bits, by dense page index: read them, never write them. */
    public AtomicBitmap bitmap() {
        return dirty;
    }
}
