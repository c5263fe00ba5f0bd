package org.postcopysim.protocol;

import java.util.List;

/**
 * The PagesHeld bitmap of postcopy recovery, split into frame-sized chunks and put back
 * together ({@link BitmapChunks}): the destination {@link #split}s the words of its present-page
 * bitmap; the source {@link #merge}s each chunk into its own word array, checking bounds.
 */
public final class PagesHeldChunks {
    /** Bitmap bytes per PagesHeld frame: 64 KiB (512 Ki pages), far under the 1 MiB frame limit. */
    public static final int DEFAULT_BYTES_PER_CHUNK = BitmapChunks.DEFAULT_BYTES_PER_CHUNK;

    private PagesHeldChunks() {}

    /** Words of a bitmap of {@code pages} bits (count). */
    public static int wordsFor(long pages) {
        return BitmapChunks.wordsFor(pages);
    }

    /** {@code words} (bit i of word w = page 64w+i held) as PagesHeld chunks of at most {@code bytesPerChunk}; the last has last=true. */
    public static List<PagesHeld> split(long[] words, int bytesPerChunk) {
        return BitmapChunks.split(words, bytesPerChunk, (first, bitmap, last) ->
                PagesHeld.newBuilder().setFirstPageIndex(first).setPresentBitmap(bitmap).setLast(last).build());
    }

    /**
     * ORs {@code chunk} into {@code words}, a bitmap of {@code totalPages} pages.
     *
     * @return null when merged, else why the chunk is malformed (then nothing changed)
     */
    public static String merge(PagesHeld chunk, long[] words, long totalPages) {
        return BitmapChunks.merge("PagesHeld", chunk.getFirstPageIndex(), chunk.getPresentBitmap(), words, totalPages);
    }
}
