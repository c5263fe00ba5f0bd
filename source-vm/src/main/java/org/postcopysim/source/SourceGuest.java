package org.postcopysim.source;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;
import org.postcopysim.protocol.PageBatchCodec;

/**
 * The source's guest: off-heap memory generated from a seed, its layout, the CRC32C of every
 * page and the digest over them. Without precopy nothing changes after {@link #generate}. With
 * precopy the guest's vCPUs write its memory until the switchover; the checksum of a page sent
 * then is taken from the copy that is sent ({@link #crc32c(int, int)}), and after the switchover
 * (memory frozen) from memory again ({@link #checksumNow}, {@link #recomputeDigest}). Pages are
 * read through one {@link GuestMemory.View} per thread.
 */
final class SourceGuest implements AutoCloseable {
    private final GuestLayout layout;
    private final GuestMemory memory;
    private final long seed;
    private final int[] pageCrc32c;
    private volatile int memoryDigest;

    private SourceGuest(GuestLayout layout, GuestMemory memory, long seed, int[] pageCrc32c) {
        this.layout = layout;
        this.memory = memory;
        this.seed = seed;
        this.pageCrc32c = pageCrc32c;
        this.memoryDigest = digestOf(pageCrc32c);
    }

    /**
     * Maps memory for {@code layout}, fills every page with its seeded contents and checksums it,
     * on {@code threads} named threads (each with its own view and CRC32C).
     */
    static SourceGuest generate(GuestLayout layout, long seed, int threads) {
        int pages = Math.toIntExact(layout.totalPages());
        GuestMemory memory = GuestMemory.allocate(pages);
        int[] crcs = new int[pages];
        try {
            int n = Math.max(1, Math.min(threads, pages / 1024 + 1));
            List<Thread> workers = new ArrayList<>(n);
            Throwable[] failure = new Throwable[n];
            for (int t = 0; t < n; t++) {
                int from = (int) ((long) pages * t / n);
                int to = (int) ((long) pages * (t + 1) / n);
                int slot = t;
                Thread w = new Thread(() -> {
                    try {
                        fill(layout, memory, seed, crcs, from, to);
                    } catch (Throwable e) {
                        failure[slot] = e;
                    }
                }, "source-fill-" + t);
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) w.join();
            for (Throwable e : failure) {
                if (e != null) throw new IllegalStateException("generating guest memory failed", e);
            }
        } catch (InterruptedException e) {
            memory.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while generating guest memory", e);
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
        return new SourceGuest(layout, memory, seed, crcs);
    }

    private static void fill(GuestLayout layout, GuestMemory memory, long seed, int[] crcs, int from, int to) {
        GuestMemory.View view = memory.newView();
        CRC32C crc = new CRC32C();
        for (int i = from; i < to; i++) {
            ByteBuffer page = view.page(i);
            PageContents.fill(page, seed, layout.gfnOfPageIndex(i));
            crcs[i] = PageContents.crc32c(crc, page);
        }
    }

    /** CRC32C over {@code crcs} in order, each as a little-endian int. */
    static int digestOf(int[] crcs) {
        CRC32C digest = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        for (int c : crcs) {
            if (!chunk.hasRemaining()) {
                digest.update(chunk.flip());
                chunk.clear();
            }
            chunk.putInt(c);
        }
        digest.update(chunk.flip());
        return (int) digest.getValue();
    }

    GuestLayout layout() {
        return layout;
    }

    long seed() {
        return seed;
    }

    int totalPages() {
        return pageCrc32c.length;
    }

    /** CRC32C of dense page {@code pageIndex}. */
    int crc32c(int pageIndex) {
        return pageCrc32c[pageIndex];
    }

    int memoryDigest() {
        return memoryDigest;
    }

    /** Records the CRC32C of the copy of dense page {@code pageIndex} last sent (precopy). */
    void crc32c(int pageIndex, int crc32c) {
        pageCrc32c[pageIndex] = crc32c;
    }

    /** The CRC32C of dense page {@code pageIndex} as memory holds it now, through the caller's view and engine. */
    int checksumNow(int pageIndex, GuestMemory.View view, CRC32C crc) {
        return PageContents.crc32c(crc, view.page(pageIndex));
    }

    /** The memory digest again, over the checksums as they are now (after precopy changed memory). */
    void recomputeDigest() {
        memoryDigest = digestOf(pageCrc32c);
    }

    /** Guest memory itself: the source's vCPUs run on it during precopy. */
    GuestMemory memory() {
        return memory;
    }

    /** A view for one thread's page reads. */
    GuestMemory.View newView() {
        return memory.newView();
    }

    /** Batches of fewer pages are copied into their frame: most demand answers, a short tail. */
    static final int MIN_PAGES_FROM_MEMORY = 8;
    /** A batch goes out straight from guest memory only if its runs of consecutive pages average this many. */
    static final int MIN_PAGES_PER_RUN = 8;

    /** One thread's scratch for {@link #encodeBatch}: its view of guest memory and its frame writer. */
    final class Encoder {
        private final GuestMemory.View view = memory.newView();
        private final PageBatchCodec.Writer writer = new PageBatchCodec.Writer();
    }

    /** Scratch for one thread's {@link #encodeBatch} calls. */
    Encoder newEncoder() {
        return new Encoder();
    }

    /**
     * Encodes one whole PAGE_BATCH frame of the dense pages {@code pageIndexes[from, to)}. Only
     * while memory is frozen (no precopy, or after the switchover): a batch of long runs of
     * consecutive pages is sent straight from guest memory, its frame the header followed by
     * read-only slices of memory (one composite buffer: a few objects per batch, no copy), be it
     * a background batch or a demand answer; any other batch, and every short one (most demand
     * answers: a page or a few), is copied into its frame. Allocates nothing per page.
     */
    ByteBuf encodeBatch(ByteBufAllocator alloc, long requestId, int[] pageIndexes, int from, int to, Encoder e) {
        int n = to - from;
        int runs = 0;
        for (int i = from; i < to; i += runLength(pageIndexes, i, to)) runs++;
        boolean fromMemory = n >= MIN_PAGES_FROM_MEMORY && (long) runs * MIN_PAGES_PER_RUN <= n;
        PageBatchCodec.Writer w = e.writer;
        ByteBuf header = w.begin(alloc, requestId, 0, n, !fromMemory);
        try {
            for (int i = 0; i < n; i++) {
                int p = pageIndexes[from + i];
                w.page(i, layout.gfnOfPageIndex(p), pageCrc32c[p]);
                if (!fromMemory) w.contents(i, e.view.page(p));
            }
        } catch (RuntimeException ex) {
            w.abandon();
            throw ex;
        }
        w.finish();
        if (!fromMemory) return header;
        CompositeByteBuf frame;
        try {
            frame = alloc.compositeDirectBuffer(runs + 1);
        } catch (RuntimeException ex) {
            header.release();
            throw ex;
        }
        try {
            frame.addComponent(true, header);
            for (int i = from; i < to; ) {
                int count = runLength(pageIndexes, i, to);
                frame.addComponent(true, Unpooled.wrappedBuffer(memory.readOnlyPages(pageIndexes[i], count)));
                i += count;
            }
        } catch (RuntimeException ex) {
            frame.release(); // and the header with it, once added
            throw ex;
        }
        return frame;
    }

    /** Consecutive pages from {@code pageIndexes[i]} (at least 1, below {@code to}), within one chunk of guest memory. */
    static int runLength(int[] pageIndexes, int i, int to) {
        int first = pageIndexes[i];
        long room = Math.min(to - i, GuestMemory.pagesToChunkEnd(first));
        int count = 1;
        while (count < room && pageIndexes[i + count] == first + count) count++;
        return count;
    }

    /** Unmaps guest memory; no view may be used afterwards. */
    @Override
    public void close() {
        memory.close();
    }
}
