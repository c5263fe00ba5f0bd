package org.postcopysim.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Guest page contents generated from a seed, so that any party can check any page or word
 * without a copy of the source's memory.
 *
 * <p>Page layout (64-bit little-endian words, {@value #WORDS_PER_PAGE} per page):
 * <ul>
 *   <li>word {@value #COUNTER_WORD}: the write counter. The source's value is generated like
 *       every other word; each guest write on the destination atomically adds 1 to it, and the
 *       destination counts writes per page, so the source's value can be recovered.</li>
 *   <li>words 1..511: never written by the guest; a guest read checks one against
 *       {@link #expectedWord}.</li>
 * </ul>
 */
public final class PageContents {
    public static final int WORDS_PER_PAGE = GuestLayout.PAGE_SIZE_BYTES / Long.BYTES;
    /** The word guest writes increment. */
    public static final int COUNTER_WORD = 0;
    /** First word a guest read may check. */
    public static final int FIRST_DATA_WORD = 1;

    private PageContents() {}

    /** The source's value of word {@code word} of page {@code gfn}. Never 0, so a zero page never passes. */
    public static long expectedWord(long seed, long gfn, int word) {
        long z = mix64(seed ^ mix64(gfn * 0x9E3779B97F4A7C15L + word));
        return z == 0 ? 0x5A5A5A5A5A5A5A5AL : z;
    }

    /**
     * Fills {@code page} (position at the page start, 4 KiB remaining) with gfn's source contents,
     * as little-endian words whatever the buffer's byte order; position and order unchanged.
     */
    public static void fill(ByteBuffer page, long seed, long gfn) {
        int base = page.position();
        boolean swap = page.order() != ByteOrder.LITTLE_ENDIAN;
        for (int w = 0; w < WORDS_PER_PAGE; w++) {
            long v = expectedWord(seed, gfn, w);
            page.putLong(base + (w << 3), swap ? Long.reverseBytes(v) : v);
        }
    }

    /** CRC32C of the page at {@code page}'s position..limit; position unchanged. */
    public static int crc32c(CRC32C crc, ByteBuffer page) {
        int pos = page.position();
        crc.reset();
        crc.update(page);
        page.position(pos);
        return (int) crc.getValue();
    }

    /** Stafford's variant 13 of the MurmurHash3 finalizer (as in SplitMix64). */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
