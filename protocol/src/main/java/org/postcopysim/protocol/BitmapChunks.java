package org.postcopysim.protocol;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A page bitmap (one bit per dense page index, in little-endian 64-bit words) split into
 * frame-sized chunks and put back together, for the messages that carry one: PagesHeld
 * ({@link PagesHeldChunks}) and Discard ({@link DiscardChunks}). Not a hot path (once per
 * recovery, once per switchover).
 */
public final class BitmapChunks {
    /** Bitmap bytes per frame: 64 KiB (512 Ki pages), far under the 1 MiB frame limit. */
    public static final int DEFAULT_BYTES_PER_CHUNK = 64 << 10;

    /** Makes the message of one chunk. */
    @FunctionalInterface
    public interface Chunk<T> {
        T of(long firstPageIndex, ByteString bitmap, boolean last);
    }

    private BitmapChunks() {}

    /** Words of a bitmap of {@code pages} bits (count). */
    public static int wordsFor(long pages) {
        return Math.toIntExact((pages + 63) >>> 6);
    }

    /** {@code words} (bit i of word w = page 64w+i) as chunks of at most {@code bytesPerChunk}; the last has last=true. */
    public static <T> List<T> split(long[] words, int bytesPerChunk, Chunk<T> chunk) {
        if (bytesPerChunk < 8 || bytesPerChunk % 8 != 0) throw new IllegalArgumentException("chunk must be a positive multiple of 8 bytes");
        int wordsPerChunk = bytesPerChunk / 8;
        List<T> chunks = new ArrayList<>();
        int w = 0;
        do {
            int n = Math.min(wordsPerChunk, words.length - w);
            ByteBuffer b = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) b.putLong(words[w + i]);
            b.flip();
            chunks.add(chunk.of((long) w << 6, ByteString.copyFrom(b), w + n >= words.length));
            w += n;
        } while (w < words.length);
        return chunks;
    }

    /**
     * ORs the chunk of message {@code what} ({@code first}, {@code bitmap}) into {@code words}, a
     * bitmap of {@code totalPages} pages.
     *
     * @return null when merged, else why the chunk is malformed (then nothing changed)
     */
    public static String merge(String what, long first, ByteString bitmap, long[] words, long totalPages) {
        int bytes = bitmap.size();
        if ((first & 63) != 0) return what + " first_page_index " + Long.toUnsignedString(first) + " is not a multiple of 64";
        if (bytes % 8 != 0) return what + " bitmap of " + bytes + " bytes is not whole 64-bit words";
        if (first < 0 || first >= Math.max(totalPages, 1) || (first >>> 6) + bytes / 8 > words.length) {
            return what + " chunk covers pages " + Long.toUnsignedString(first) + ".." + (first + bytes * 8L)
                    + " outside the guest's " + totalPages + " pages";
        }
        ByteBuffer b = bitmap.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
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
