package org.postcopysim.protocol;

import java.util.List;

/**
 * The Discard bitmap of the switchover after precopy, split into frame-sized chunks and put back
 * together ({@link BitmapChunks}): the source {@link #split}s the words of its discard set; the
 * destination {@link #merge}s each chunk, checking bounds.
 */
public final class DiscardChunks {
    private DiscardChunks() {}

    /** {@code words} (bit i of word w = page 64w+i discarded) as Discard chunks of at most {@code bytesPerChunk}; the last has last=true. */
    public static List<Discard> split(long[] words, int bytesPerChunk) {
        return BitmapChunks.split(words, bytesPerChunk, (first, bitmap, last) ->
                Discard.newBuilder().setFirstPageIndex(first).setDirtyBitmap(bitmap).setLast(last).build());
    }

    /**
     * ORs {@code chunk} into {@code words}, a bitmap of {@code totalPages} pages.
     *
     * @return null when merged, else why the chunk is malformed (then nothing changed)
     */
    public static String merge(Discard chunk, long[] words, long totalPages) {
        return BitmapChunks.merge("Discard", chunk.getFirstPageIndex(), chunk.getDirtyBitmap(), words, totalPages);
    }
}
