package org.postcopysim.protocol;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The PagesHeld bitmap of postcopy recovery, split into frame-sized chunks and put back
 * together: one bit per dense page index, in little-endian 64-bit words. The destination
 * {@link #split}s the words of its present-page bitmap; the source {@link #merge}s each chunk
 * into its own word array, checking bounds. Not a hot path (once per recovery).
 */
public final class PagesHeldChunks {
    /** Bitmap bytes per PagesHeld frame: 64 KiB (512 Ki pages), far under the 1 MiB frame limit. */
    public static final int DEFAULT_BYTES_PER_CHUNK = 64 << 10;

    private PagesHeldChunks() {}

    /** Words of a bitmap of {@code pages} bits (count). */
    public static int wordsFor(long pages) {
        return Math.toIntExact((pages + 63) >>> 6);
    }

    /** {@code words} (bit i of word w = page 64w+i held) as PagesHeld chunks of at most {@code bytesPerChunk}; the last has last=true. */
    public static List<PagesHeld> split(long[] words, int bytesPerChunk) {
        if (bytesPerChunk < 8 || bytesPerChunk % 8 != 0) throw new IllegalArgumentException("chunk must be a positive multiple of 8 bytes");
        int wordsPerChunk = bytesPerChunk / 8;
        List<PagesHeld> chunks = new ArrayList<>();
        int w = 0;
        do {
            int n = Math.min(wordsPerChunk, words.length - w);
            ByteBuffer b = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) b.putLong(words[w + i]);
            b.flip();
            chunks.add(PagesHeld.newBuilder().setFirstPageIndex((long) w << 6).setPresentBitmap(ByteString.copyFrom(b))
                    .setLast(w + n >= words.length).build());
            w += n;
        } while (w < words.length);
        return chunks;
    }

    /**
     * ORs {@code chunk} into {@code words}, a bitmap of {@code totalPages} pages.
     *
     * @return null when merged, else why the chunk is malformed (then nothing changed)
     */
    public static String merge(PagesHeld chunk, long[] words, long totalPages) {
        long first = chunk.getFirstPageIndex();
        int bytes = chunk.getPresentBitmap().size();
        if ((first & 63) != 0) return "PagesHeld first_page_index " + Long.toUnsignedString(first) + " is not a multiple of 64";
        if (bytes % 8 != 0) return "PagesHeld bitmap of " + bytes + " bytes is not whole 64-bit words";
        if (first < 0 || first >= Math.max(totalPages, 1) || (first >>> 6) + bytes / 8 > words.length) {
            return "PagesHeld chunk covers pages " + Long.toUnsignedString(first) + ".." + (first + bytes * 8L)
                    + " outside the guest's " + totalPages + " pages";
        }
        ByteBuffer b = chunk.getPresentBitmap().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int w = (int) (first >>> 6);
        int lastWordBits = (int) (totalPages & 63);
        while (b.remaining() >= 8) {
            long v = b.getLong();
            if (w == words.length - 1 && lastWordBits != 0) v &= (1L << lastWordBits) - 1;
            words[w++] |= v;
        }
        return null;
    }
}
