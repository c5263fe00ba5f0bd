package org.postcopysim.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class PageContentsTest {
    @Test
    void expectedWordIsNeverZeroEvenWhereTheHashIsZero() {
        // mix64 is a bijection with mix64(0) == 0, so the hash is 0 exactly when the seed equals
        // mix64(gfn * phi + word): the fallback must kick in there.
        long gfn = 12_345;
        int word = 17;
        long seed = PageContents.mix64(gfn * 0x9E3779B97F4A7C15L + word);
        assertNotEquals(0L, PageContents.expectedWord(seed, gfn, word));
        for (long s : new long[] {0, 1, -1, seed}) {
            for (long g = 0; g < 256; g++) {
                for (int w = 0; w < PageContents.WORDS_PER_PAGE; w++) {
                    assertNotEquals(0L, PageContents.expectedWord(s, g, w));
                }
            }
        }
    }

    @Test
    void expectedWordDiffersAcrossGfnsWordsAndSeeds() {
        Set<Long> seen = new HashSet<>();
        int n = 0;
        for (long seed : new long[] {0, 1, 0xDEADBEEFL, -1}) {
            for (long gfn : new long[] {0, 1, 2, 511, 512, 1L << 32, Long.MAX_VALUE, -1}) {
                for (int w = 0; w < PageContents.WORDS_PER_PAGE; w++) {
                    seen.add(PageContents.expectedWord(seed, gfn, w));
                    n++;
                }
            }
        }
        assertEquals(n, seen.size(), "every (seed, gfn, word) gives a distinct word");
    }

    @Test
    void expectedWordIsDeterministic() {
        assertEquals(PageContents.expectedWord(42, 7, 3), PageContents.expectedWord(42, 7, 3));
    }

    @Test
    void fillWritesExpectedWordsAndLeavesPositionUnchanged() {
        ByteBuffer buf = ByteBuffer.allocateDirect(3 * GuestLayout.PAGE_SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(GuestLayout.PAGE_SIZE_BYTES).limit(2 * GuestLayout.PAGE_SIZE_BYTES);
        PageContents.fill(buf, 9, 100);
        assertEquals(GuestLayout.PAGE_SIZE_BYTES, buf.position());
        buf.clear();
        for (int w = 0; w < PageContents.WORDS_PER_PAGE; w++) {
            assertEquals(PageContents.expectedWord(9, 100, w), buf.getLong(GuestLayout.PAGE_SIZE_BYTES + w * 8));
        }
        assertEquals(0L, buf.getLong(0), "the page before is untouched");
        assertEquals(0L, buf.getLong(2 * GuestLayout.PAGE_SIZE_BYTES), "the page after is untouched");
    }

    @Test
    void fillWritesLittleEndianWordsWhateverTheBufferByteOrder() {
        ByteBuffer bigEndian = ByteBuffer.allocate(GuestLayout.PAGE_SIZE_BYTES); // Java's default order
        ByteBuffer littleEndian = ByteBuffer.allocate(GuestLayout.PAGE_SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        PageContents.fill(bigEndian, 3, 4);
        PageContents.fill(littleEndian, 3, 4);
        assertEquals(ByteOrder.BIG_ENDIAN, bigEndian.order(), "fill leaves the buffer's order alone");
        assertEquals(littleEndian, bigEndian, "the page layout is little-endian words in both");
        CRC32C crc = new CRC32C();
        assertEquals(PageContents.crc32c(crc, littleEndian), PageContents.crc32c(crc, bigEndian));
    }

    @Test
    void crc32cIsOfThePageWindowAndLeavesPositionUnchanged() {
        ByteBuffer a = ByteBuffer.allocate(GuestLayout.PAGE_SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        PageContents.fill(a, 1, 2);
        CRC32C crc = new CRC32C();
        int first = PageContents.crc32c(crc, a);
        assertEquals(0, a.position());
        assertEquals(first, PageContents.crc32c(crc, a), "stable across calls with one CRC32C");
        CRC32C fresh = new CRC32C();
        fresh.update(a.array());
        assertEquals((int) fresh.getValue(), first);
        PageContents.fill(a, 1, 3);
        assertNotEquals(first, PageContents.crc32c(crc, a), "another gfn, another checksum");
    }
}
