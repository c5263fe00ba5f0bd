package org.postcopysim.kernel;

import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.postcopysim.memory.GuestLayout;

/**
 * Guest memory as the kernel sees it: an mmap'd range, page aligned, not on the Java heap.
 * <ul>
 *   <li>for {@link Uffd.Registration#MISSING}: private anonymous memory ({@code MAP_NORESERVE}),
 *       every page missing until a {@code UFFDIO_COPY} puts one there;</li>
 *   <li>for {@link Uffd.Registration#MINOR}: a memfd (shmem) mapped twice, the guest's view (to
 *       register) and an alias through which the contents are written into the page cache
 *       beforehand; a guest touch then finds the page cached but not mapped, a minor fault.</li>
 * </ul>
 * Views of the memory as {@link ByteBuffer}s are for threads that know the pages are there:
 * Java code touching a missing page would hold up the JVM's safepoints for as long as the fault
 * lasts, so the faulting threads read through native code ({@link Pointer#getLong}) instead.
 */
public final class GuestRegion implements AutoCloseable {
    private static final long CHUNK_BYTES = 1L << 30;

    private final long address;
    private final long aliasAddress;
    private final long bytes;
    private final int memfd;
    private boolean closed;

    private GuestRegion(long address, long aliasAddress, long bytes, int memfd) {
        this.address = address;
        this.aliasAddress = aliasAddress;
        this.bytes = bytes;
        this.memfd = memfd;
    }

    /** {@code pages} pages of memory for {@code registration}; see the class comment. */
    public static GuestRegion map(long pages, Uffd.Registration registration) throws KernelUnavailable {
        KernelSupport.requireLinux();
        if (pages < 1) throw new IllegalArgumentException("a region needs at least one page, got " + pages);
        long bytes = pages * GuestLayout.PAGE_SIZE_BYTES;
        if (registration == Uffd.Registration.MISSING) {
            long a = Libc.mmap(0, bytes, Libc.PROT_READ | Libc.PROT_WRITE,
                    Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
            if (a == Libc.MAP_FAILED) throw mmapFailed(bytes, Libc.errno());
            return new GuestRegion(a, 0, bytes, -1);
        }
        int fd = Libc.memfd_create("postcopy-sim-guest", Libc.MFD_CLOEXEC);
        if (fd < 0) throw new KernelUnavailable("memfd_create failed: " + Libc.errnoName(Libc.errno()));
        if (Libc.ftruncate(fd, bytes) != 0) {
            int e = Libc.errno();
            Libc.close(fd);
            throw new KernelUnavailable("could not size the shmem guest memory to " + bytes + " bytes: " + Libc.errnoName(e));
        }
        int prot = Libc.PROT_READ | Libc.PROT_WRITE;
        long guest = Libc.mmap(0, bytes, prot, Libc.MAP_SHARED, fd, 0);
        if (guest == Libc.MAP_FAILED) {
            int e = Libc.errno();
            Libc.close(fd);
            throw mmapFailed(bytes, e);
        }
        long alias = Libc.mmap(0, bytes, prot, Libc.MAP_SHARED, fd, 0);
        if (alias == Libc.MAP_FAILED) {
            int e = Libc.errno();
            Libc.munmap(guest, bytes);
            Libc.close(fd);
            throw mmapFailed(bytes, e);
        }
        return new GuestRegion(guest, alias, bytes, fd);
    }

    private static KernelUnavailable mmapFailed(long bytes, int errno) {
        return new KernelUnavailable("mmap of " + bytes + " bytes failed: " + Libc.errnoName(errno));
    }

    /** Start of the guest's view (the range to register). */
    public long address() {
        return address;
    }

    /** Start of the shmem alias (MINOR), 0 for anonymous memory. */
    public long aliasAddress() {
        return aliasAddress;
    }

    public long bytes() {
        return bytes;
    }

    public long pages() {
        return bytes / GuestLayout.PAGE_SIZE_BYTES;
    }

    /**
     * A little-endian view of {@code length} bytes at {@code offset} of the range starting at
     * {@code base} ({@link #address} or {@link #aliasAddress}); see the class comment for who may use it.
     */
    public static ByteBuffer view(long base, long offset, int length) {
        return new Pointer(base + offset).getByteBuffer(0, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Views of at most 1 GiB each over {@code [base, base + bytes)}; chunk i covers offsets from i GiB. */
    static ByteBuffer[] chunks(long base, long bytes) {
        int n = (int) ((bytes + CHUNK_BYTES - 1) / CHUNK_BYTES);
        ByteBuffer[] out = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            long off = i * CHUNK_BYTES;
            out[i] = view(base, off, (int) Math.min(CHUNK_BYTES, bytes - off));
        }
        return out;
    }

    static int chunkOf(long offset) {
        return (int) (offset / CHUNK_BYTES);
    }

    static int offsetInChunk(long offset) {
        return (int) (offset % CHUNK_BYTES);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Libc.munmap(address, bytes);
        if (aliasAddress != 0) Libc.munmap(aliasAddress, bytes);
        if (memfd >= 0) Libc.close(memfd);
    }
}
