package org.postcopysim.guest;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * How many guest writes each page received on the destination. Every guest write adds 1 to the
 * page's counter word (see {@link org.postcopysim.memory.PageContents#COUNTER_WORD}) and to this
 * log, so completion can undo the writes and compare the page with the source's copy.
 */
public final class GuestWriteLog implements PageWrites {
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
    private final long[] counts;

    public GuestWriteLog(long pages) {
        counts = new long[Math.toIntExact(pages)];
    }

    @Override
    public void recordWrite(long pageIndex) {
        COUNTS.getAndAdd(counts, (int) pageIndex, 1L);
    }

    public long writes(long pageIndex) {
        return (long) COUNTS.getVolatile(counts, (int) pageIndex);
    }
}
