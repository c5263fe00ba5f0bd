package org.postcopysim.protocol.chaos;

/**
 * Per held frame, oldest first: its release time (ns), pages and bytes. Plain data beside the
 * direction's queue of the frames themselves; a growable power-of-two ring of longs.
 */
final class HeldRing {
    private static final int INITIAL_ENTRIES = 16;

    private long[] releaseNs = new long[INITIAL_ENTRIES];
    /** pages | bytes << 32. */
    private long[] pagesAndBytes = new long[INITIAL_ENTRIES];
    private int head;
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    void push(long release, int pages, int bytes) {
        if (size == releaseNs.length) grow();
        int i = (head + size) & (releaseNs.length - 1);
        releaseNs[i] = release;
        pagesAndBytes[i] = pages | ((long) bytes << 32);
        size++;
    }

    /** The oldest entry's release time; the ring must not be empty. */
    long oldestReleaseNs() {
        return releaseNs[head];
    }

    int oldestPages() {
        return (int) pagesAndBytes[head];
    }

    long oldestBytes() {
        return pagesAndBytes[head] >>> 32;
    }

    void pop() {
        head = (head + 1) & (releaseNs.length - 1);
        size--;
    }

    void clear() {
        head = 0;
        size = 0;
    }

    private void grow() {
        int n = releaseNs.length;
        long[] r = new long[n * 2];
        long[] m = new long[n * 2];
        for (int k = 0; k < size; k++) {
            r[k] = releaseNs[(head + k) & (n - 1)];
            m[k] = pagesAndBytes[(head + k) & (n - 1)];
        }
        releaseNs = r;
        pagesAndBytes = m;
        head = 0;
    }
}
