package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DiscardChunksTest {
    @Test
    void aDiscardSetSplitIntoChunksMergesBackAndAMalformedChunkNamesTheMessage() {
        long pages = 64 * 3 + 5;
        long[] words = new long[BitmapChunks.wordsFor(pages)];
        for (int p = 1; p < pages; p += 7) words[p >>> 6] |= 1L << p;
        List<Discard> chunks = DiscardChunks.split(words, 8);
        assertEquals(4, chunks.size());
        assertTrue(chunks.get(3).getLast());
        long[] merged = new long[words.length];
        for (Discard c : chunks) assertNull(DiscardChunks.merge(c, merged, pages));
        assertArrayEquals(words, merged);
        String why = DiscardChunks.merge(chunks.get(0).toBuilder().setFirstPageIndex(256).build(), merged, pages);
        assertTrue(why != null && why.startsWith("Discard chunk covers pages 256"), why);
    }
}
