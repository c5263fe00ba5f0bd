package org.postcopysim.guest;

import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * What one vCPU's guest accesses do, on whichever side the guest runs: the next access of its
 * workload ({@link #next}) and the access itself once the page is there ({@link #complete}). A
 * read checks one data word against the contents generated from the seed, so a page read before
 * its contents are the source's is caught; a write adds 1 to the page's counter word and then
 * records the write ({@link PageWrites}: the destination's write log, the source's dirty log, in
 * that order, which the dirty log relies on). Whether the page is there is the caller's business:
 * the destination's vCPU goes through the KVM model first, the source's finds every page in place.
 * Confined to its vCPU; allocates nothing.
 *
 * <p>With contents elided (no guest memory: the simulator's large guests) reads and writes touch
 * no memory and every read passes.
 */
public final class GuestVcpu {
    /** {@link #complete}: the access wrote. */
    public static final int WROTE = 0;
    /** {@link #complete}: the access read the source's word. */
    public static final int READ_OK = 1;
    /** {@link #complete}: the access read a word the source never had ({@link #seenWord()}). */
    public static final int READ_STALE = 2;

    private final GuestLayout layout;
    private final GuestMemory memory;
    private final PageWrites writes;
    private final AccessStream stream;
    private final long contentSeed;

    private long pageIndex;
    private long gfn;
    private boolean write;
    private long seenWord;

    /** @param memory guest memory, or null when contents are elided */
    public GuestVcpu(GuestLayout layout, GuestMemory memory, PageWrites writes, AccessStream stream, long contentSeed) {
        this.layout = layout;
        this.memory = memory;
        this.writes = writes;
        this.stream = stream;
        this.contentSeed = contentSeed;
    }

    /** Draws the next access. */
    public void next() {
        stream.next();
        pageIndex = stream.pageIndex();
        gfn = layout.gfnOfPageIndex(pageIndex);
        write = stream.isWrite();
    }

    /** Does the current access; returns {@link #WROTE}, {@link #READ_OK} or {@link #READ_STALE}. */
    public int complete() {
        if (write) {
            if (memory != null) memory.getAndAddWord(pageIndex, PageContents.COUNTER_WORD, 1);
            writes.recordWrite(pageIndex);
            return WROTE;
        }
        if (memory == null) return READ_OK;
        seenWord = memory.readWord(pageIndex, stream.word());
        return seenWord == expectedWord() ? READ_OK : READ_STALE;
    }

    /** Dense page index of the current access. */
    public long pageIndex() {
        return pageIndex;
    }

    /** Gfn of the current access. */
    public long gfn() {
        return gfn;
    }

    /** Whether the current access writes. */
    public boolean isWrite() {
        return write;
    }

    /** The data word (1..511) the current read checks. */
    public int word() {
        return stream.word();
    }

    /** The value the last read saw. */
    public long seenWord() {
        return seenWord;
    }

    /** The source's value of the word the current read checks. */
    public long expectedWord() {
        return PageContents.expectedWord(contentSeed, gfn, stream.word());
    }
}
