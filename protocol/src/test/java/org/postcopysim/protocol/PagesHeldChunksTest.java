package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;

class PagesHeldChunksTest {
    @Test
    void aBitmapSplitIntoChunksMergesBackToTheSameWords() {
        long pages = 64 * 5 + 17;
        long[] words = new long[PagesHeldChunks.wordsFor(pages)];
        for (int p = 0; p < pages; p += 3) words[p >>> 6] |= 1L << p;
        List<PagesHeld> chunks = PagesHeldChunks.split(words, 16); // two words per chunk
        assertEquals(3, chunks.size());
        assertTrue(chunks.get(2).getLast());
        assertEquals(128, chunks.get(1).getFirstPageIndex());
        long[] merged = new long[words.length];
        for (PagesHeld c : chunks) assertNull(PagesHeldChunks.merge(c, merged, pages));
        assertArrayEquals(words, merged);
    }

    @Test
    void bitsPastTheLastPageAreIgnoredAndChunksOutsideTheGuestAreRefused() {
        long[] merged = new long[1];
        PagesHeld all = PagesHeld.newBuilder().setPresentBitmap(ByteString.copyFrom(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1}))
                .setLast(true).build();
        assertNull(PagesHeldChunks.merge(all, merged, 10));
        assertEquals((1L << 10) - 1, merged[0]);
        assertNotNull(PagesHeldChunks.merge(all.toBuilder().setFirstPageIndex(64).build(), merged, 10));
        assertNotNull(PagesHeldChunks.merge(all.toBuilder().setFirstPageIndex(3).build(), merged, 10));
        assertNotNull(PagesHeldChunks.merge(all.toBuilder().setPresentBitmap(ByteString.copyFrom(new byte[3])).build(), merged, 10));
    }
}
