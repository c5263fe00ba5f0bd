package org.postcopysim.memory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Guest physical memory, off the Java heap: a shared-memory file (tmpfs, like QEMU's memfd
 * backing) mapped in 1 GiB chunks. Mapped memory does not count against the JVM's heap or its
 * direct-memory limit, so a 1 GiB guest runs in a JVM started with {@code -Xmx256m}. Pages are
 * addressed by dense page index (see {@link GuestLayout}); the guest is little-endian.
 *
 * <p>Absolute word reads, writes and atomic adds are safe from any thread. Bulk page access goes
 * through a {@link View}, which each thread owns: a view positions its own buffer duplicates, so
 * it allocates nothing per page.
 */
public final class GuestMemory implements AutoCloseable {
    /** Bytes per mapping: 1 GiB (a mapping is at most 2 GiB in Java). */
    public static final int CHUNK_SHIFT = 30;
    private static final int PAGES_PER_CHUNK_SHIFT = CHUNK_SHIFT - GuestLayout.PAGE_SHIFT;
    private static final long PAGE_IN_CHUNK_MASK = (1L << PAGES_PER_CHUNK_SHIFT) - 1;
    private static final VarHandle LONG_LE =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final ByteBuffer[] chunks;
    private final long pageCount;
    /** Releases memory this class did not map ({@link #over}); null for a mapping of its own. */
    private final Runnable release;
    private volatile boolean closed;

    private GuestMemory(ByteBuffer[] chunks, long pageCount, Runnable release) {
        this.chunks = chunks;
        this.pageCount = pageCount;
        this.release = release;
    }

    /**
     * Guest memory over memory mapped by someone else (the kernel backend's anonymous mapping,
     * registered with a userfaultfd): {@code chunks} are direct buffers of 1 GiB each but the last,
     * covering {@code pageCount} pages in order. {@link #close} runs {@code release} instead of
     * unmapping the buffers. Whoever maps such memory decides which pages may be touched through
     * this object (a page a userfaultfd still holds missing would block the touching thread).
     */
    public static GuestMemory over(ByteBuffer[] chunks, long pageCount, Runnable release) {
        if (pageCount <= 0) throw new IllegalArgumentException("page count must be positive: " + pageCount);
        long bytes = pageCount * GuestLayout.PAGE_SIZE_BYTES;
        int n = (int) ((bytes + (1L << CHUNK_SHIFT) - 1) >>> CHUNK_SHIFT);
        if (chunks.length != n) throw new IllegalArgumentException("expected " + n + " chunks, got " + chunks.length);
        ByteBuffer[] own = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            long size = Math.min(1L << CHUNK_SHIFT, bytes - ((long) i << CHUNK_SHIFT));
            if (!chunks[i].isDirect() || chunks[i].capacity() != size) {
                throw new IllegalArgumentException("chunk " + i + " must be a direct buffer of " + size + " bytes");
            }
            own[i] = chunks[i].duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }
        return new GuestMemory(own, pageCount, java.util.Objects.requireNonNull(release, "release"));
    }

    /**
     * Maps {@code pageCount} zero-filled pages. Uses /dev/shm when it has room, else the JVM's
     * temporary directory; the file is unlinked at once, so it disappears with the mapping.
     */
    public static GuestMemory allocate(long pageCount) {
        if (pageCount <= 0) throw new IllegalArgumentException("page count must be positive: " + pageCount);
        long bytes = pageCount * GuestLayout.PAGE_SIZE_BYTES;
        Path dir = backingDirectory(bytes);
        try {
            Path file = Files.createTempFile(dir, "postcopy-sim-guest-", ".mem");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                int n = (int) ((bytes + (1L << CHUNK_SHIFT) - 1) >>> CHUNK_SHIFT);
                ByteBuffer[] chunks = new ByteBuffer[n];
                ch.truncate(bytes);
                for (int i = 0; i < n; i++) {
                    long offset = (long) i << CHUNK_SHIFT;
                    long size = Math.min(1L << CHUNK_SHIFT, bytes - offset);
                    MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, offset, size);
                    m.order(ByteOrder.LITTLE_ENDIAN);
                    chunks[i] = m;
                }
                return new GuestMemory(chunks, pageCount, null);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + bytes + " bytes of guest memory in " + dir, e);
        }
    }

    private static Path backingDirectory(long bytes) {
        Path shm = Path.of("/dev/shm");
        try {
            if (Files.isDirectory(shm) && Files.isWritable(shm)
                    && Files.getFileStore(shm).getUsableSpace() > bytes + (64L << 20)) {
                return shm;
            }
        } catch (IOException ignored) {
            // fall through to the temporary directory
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try { // never fall back to a directory that cannot hold the guest either: prefault would fill it
            if (Files.getFileStore(tmp).getUsableSpace() > bytes + (64L << 20)) return tmp;
        } catch (IOException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(bytes + " bytes of guest memory fit neither /dev/shm nor " + tmp);
    }

    public long pageCount() {
        return pageCount;
    }

    public long byteSize() {
        return pageCount * GuestLayout.PAGE_SIZE_BYTES;
    }

    /** Reads 64-bit word {@code word} (0..511) of page {@code pageIndex}. */
    public long readWord(long pageIndex, int word) {
        return chunks[chunkOf(pageIndex)].getLong(offsetInChunk(pageIndex) + (word << 3));
    }

    /** Reads 64-bit word {@code word} of page {@code pageIndex} with acquire ordering. */
    public long readWordAcquire(long pageIndex, int word) {
        return (long) LONG_LE.getAcquire(chunks[chunkOf(pageIndex)], offsetInChunk(pageIndex) + (word << 3));
    }

    /** Writes 64-bit word {@code word} of page {@code pageIndex}. */
    public void writeWord(long pageIndex, int word, long value) {
        chunks[chunkOf(pageIndex)].putLong(offsetInChunk(pageIndex) + (word << 3), value);
    }

    /** Atomically adds {@code delta} to word {@code word} of page {@code pageIndex}; returns the old value. */
    public long getAndAddWord(long pageIndex, int word, long delta) {
        return (long) LONG_LE.getAndAdd(chunks[chunkOf(pageIndex)], offsetInChunk(pageIndex) + (word << 3), delta);
    }

    /**
     * Touches every page so the kernel allocates (and zeroes) its backing now, not on the page's
     * first install: like a VMM started with preallocated memory. Writes zeros, so call it only
     * before any page holds data. Splits the work over {@code threads} threads.
     */
    public void prefault(int threads) {
        int n = Math.max(1, threads);
        Thread[] workers = new Thread[n];
        for (int t = 0; t < n; t++) {
            long from = pageCount * t / n;
            long to = pageCount * (t + 1) / n;
            workers[t] = new Thread(() -> {
                for (long p = from; p < to; p++) writeWord(p, 0, 0L);
            }, "prefault-" + t);
            workers[t].start();
        }
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while prefaulting guest memory", e);
            }
        }
    }

    /** Pages from {@code pageIndex} to the end of its mapping chunk, the most one {@link #readOnlyPages} may span. */
    public static long pagesToChunkEnd(long pageIndex) {
        return (1L << PAGES_PER_CHUNK_SHIFT) - (pageIndex & PAGE_IN_CHUNK_MASK);
    }

    /**
     * A read-only buffer over the {@code count} pages from {@code firstPage}, sharing guest memory
     * (no copy; a new buffer object per call): for sending pages straight from memory that nothing
     * writes while the buffer is in use. The pages must lie in one chunk ({@link #pagesToChunkEnd}).
     * The buffer must not be used after {@link #close}.
     */
    public ByteBuffer readOnlyPages(long firstPage, int count) {
        if (count <= 0 || firstPage < 0 || firstPage + count > pageCount || count > pagesToChunkEnd(firstPage)) {
            throw new IndexOutOfBoundsException(count + " pages from " + firstPage + " do not lie in one chunk of " + pageCount + " pages");
        }
        int off = offsetInChunk(firstPage);
        return chunks[chunkOf(firstPage)].asReadOnlyBuffer().position(off).limit(off + (count << GuestLayout.PAGE_SHIFT)).slice();
    }

    /** A new accessor for one thread's bulk page access. */
    public View newView() {
        return new View();
    }

    private static int chunkOf(long pageIndex) {
        return (int) (pageIndex >>> PAGES_PER_CHUNK_SHIFT);
    }

    private static int offsetInChunk(long pageIndex) {
        return (int) ((pageIndex & PAGE_IN_CHUNK_MASK) << GuestLayout.PAGE_SHIFT);
    }

    /** Unmaps the memory now rather than at garbage collection. No access is allowed afterwards. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (int i = 0; i < chunks.length; i++) {
            if (release == null) Unmapper.unmap(chunks[i]);
            chunks[i] = null;
        }
        if (release != null) release.run();
    }

    /**
     * One thread's window onto guest memory: {@link #page(long)} returns a buffer positioned on
     * one page (position = start, limit = end). The buffer is reused by the next call. Not
     * thread-safe: one view per thread.
     */
    public final class View {
        private final ByteBuffer[] dups;

        private View() {
            dups = new ByteBuffer[chunks.length];
            for (int i = 0; i < chunks.length; i++) {
                dups[i] = chunks[i].duplicate().order(ByteOrder.LITTLE_ENDIAN);
            }
        }

        /** Page {@code pageIndex}, positioned for a 4 KiB bulk read or write. */
        public ByteBuffer page(long pageIndex) {
            ByteBuffer b = dups[chunkOf(pageIndex)];
            int off = offsetInChunk(pageIndex);
            b.limit(off + GuestLayout.PAGE_SIZE_BYTES).position(off);
            return b;
        }
    }

    /** Releases a mapping eagerly through the JDK's supported-but-unexported cleaner hook. */
    private static final class Unmapper {
        private static final Object UNSAFE;
        private static final java.lang.reflect.Method INVOKE_CLEANER;

        static {
            Object unsafe = null;
            java.lang.reflect.Method m = null;
            try {
                Class<?> c = Class.forName("sun.misc.Unsafe");
                Field f = c.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                unsafe = f.get(null);
                m = c.getMethod("invokeCleaner", ByteBuffer.class);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // No eager unmap: the mapping goes when the buffer is collected.
            }
            UNSAFE = unsafe;
            INVOKE_CLEANER = m;
        }

        static void unmap(ByteBuffer b) {
            if (INVOKE_CLEANER == null || b == null) return;
            try {
                INVOKE_CLEANER.invoke(UNSAFE, b);
            } catch (ReflectiveOperationException e) {
                // leave it to the garbage collector
            }
        }
    }
}
