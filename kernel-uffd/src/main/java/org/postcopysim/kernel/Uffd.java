package org.postcopysim.kernel;

import java.nio.ByteBuffer;

/**
 * One Linux userfaultfd, as include/uapi/linux/userfaultfd.h defines it: {@code UFFDIO_API},
 * {@code UFFDIO_REGISTER} (MISSING, or MINOR on shmem), {@code UFFDIO_COPY} with or without
 * {@code UFFDIO_COPY_MODE_DONTWAKE}, {@code UFFDIO_CONTINUE}, {@code UFFDIO_WAKE},
 * {@code UFFDIO_UNREGISTER}, and {@code poll}/{@code read} of its fault messages. Opened
 * non-blocking, so that N readers can share it: the one that loses a read gets EAGAIN.
 *
 * <p>Thread-safe as the kernel object is: any thread may call any method, each with its own
 * {@link Scratch}. The resolving calls return 0 or a negative errno instead of throwing, because
 * EEXIST and EAGAIN are expected outcomes on the fault path.
 */
public final class Uffd implements AutoCloseable {
    static final long UFFD_API = 0xAA;
    static final long UFFDIO_API = 0xC018AA3FL;
    static final long UFFDIO_REGISTER = 0xC020AA00L;
    static final long UFFDIO_UNREGISTER = 0x8010AA01L;
    static final long UFFDIO_WAKE = 0x8010AA02L;
    static final long UFFDIO_COPY = 0xC028AA03L;
    static final long UFFDIO_CONTINUE = 0xC020AA07L;
    /** ioctl of /dev/userfaultfd (Linux 6.1+) that makes a new userfaultfd. */
    static final long USERFAULTFD_IOC_NEW = 0xAA00L;

    static final long REGISTER_MODE_MISSING = 1;
    static final long REGISTER_MODE_MINOR = 4;
    static final long COPY_MODE_DONTWAKE = 1;
    static final long CONTINUE_MODE_DONTWAKE = 1;
    static final long FEATURE_MINOR_SHMEM = 1L << 10;
    /** Only faults from user mode are reported: allowed without privilege whatever vm.unprivileged_userfaultfd says. */
    static final int USER_MODE_ONLY = 1;
    /** Bits of the ioctls a registration allows (UFFDIO_REGISTER's output): _UFFDIO_COPY = 3, _UFFDIO_CONTINUE = 7. */
    static final long IOCTL_COPY_BIT = 1L << 3;
    static final long IOCTL_CONTINUE_BIT = 1L << 7;

    static final int MSG_BYTES = 32;
    static final int EVENT_PAGEFAULT = 0x12;
    private static final int MSG_ADDRESS_OFFSET = 16;
    private static final int MSG_FLAGS_OFFSET = 8;

    /** How the registration reports faults. */
    public enum Registration {
        /** Anonymous memory: a page not yet there; resolved by copying one in ({@code UFFDIO_COPY}). */
        MISSING,
        /** shmem: a page in the page cache but not mapped here; resolved by mapping it ({@code UFFDIO_CONTINUE}). */
        MINOR
    }

    private final int fd;
    private volatile boolean closed;

    private Uffd(int fd) {
        this.fd = fd;
    }

    /**
     * A new userfaultfd with the API handshake done and the features {@code registration} needs.
     *
     * @throws KernelUnavailable saying why the kernel refused, in one line
     */
    public static Uffd open(Registration registration) throws KernelUnavailable {
        KernelSupport.requireLinux();
        int fd = create();
        Uffd u = new Uffd(fd);
        Scratch s = new Scratch(0);
        ByteBuffer a = s.arg;
        long features = registration == Registration.MINOR ? FEATURE_MINOR_SHMEM : 0;
        a.putLong(0, UFFD_API).putLong(8, features).putLong(16, 0);
        if (Libc.ioctl(fd, UFFDIO_API, s.argAddress) != 0) {
            int e = Libc.errno();
            u.close();
            if (registration == Registration.MINOR) {
                throw new KernelUnavailable("this kernel's userfaultfd refused minor faults on shmem (UFFDIO_API: "
                        + Libc.errnoName(e) + "); they need Linux 5.14 or later: use --uffd-register missing");
            }
            throw new KernelUnavailable("this kernel's userfaultfd refused the API handshake (UFFDIO_API: "
                    + Libc.errnoName(e) + "); the kernel backend needs Linux 4.3 or later");
        }
        return u;
    }

    private static int create() throws KernelUnavailable {
        int flags = Libc.O_CLOEXEC | Libc.O_NONBLOCK | USER_MODE_ONLY;
        long fd = Libc.syscall(KernelSupport.userfaultfdSyscall(), flags);
        if (fd >= 0) return (int) fd;
        int e = Libc.errno();
        if (e == Libc.EINVAL) {
            // Kernels before 5.11 know no UFFD_USER_MODE_ONLY.
            fd = Libc.syscall(KernelSupport.userfaultfdSyscall(), Libc.O_CLOEXEC | Libc.O_NONBLOCK);
            if (fd >= 0) return (int) fd;
            e = Libc.errno();
        }
        if (e == Libc.EPERM || e == Libc.ENOSYS) {
            // A seccomp filter or vm.unprivileged_userfaultfd=0: /dev/userfaultfd may still be open to us.
            int dev = Libc.open("/dev/userfaultfd", Libc.O_RDWR | Libc.O_CLOEXEC);
            if (dev >= 0) {
                int made = Libc.ioctl(dev, USERFAULTFD_IOC_NEW, Libc.O_CLOEXEC | Libc.O_NONBLOCK);
                int devErr = Libc.errno();
                Libc.close(dev);
                if (made >= 0) return made;
                e = devErr;
            }
        }
        switch (e) {
            case Libc.ENOSYS:
                throw new KernelUnavailable("this kernel has no userfaultfd (userfaultfd(2): ENOSYS): it needs "
                        + "CONFIG_USERFAULTFD, or a seccomp filter (a container's) forbids the call");
            case Libc.EPERM:
            case Libc.EACCES:
                throw new KernelUnavailable("userfaultfd is not allowed for this user (" + Libc.errnoName(e)
                        + "): run as root, or set the sysctl vm.unprivileged_userfaultfd=1, or give this user "
                        + "read-write access to /dev/userfaultfd");
            default:
                throw new KernelUnavailable("userfaultfd(2) failed: " + Libc.errnoName(e));
        }
    }

    public int fd() {
        return fd;
    }

    /**
     * UFFDIO_REGISTER over {@code [address, address + length)}; checks that the registration
     * allows the resolving ioctl it needs.
     */
    public void register(long address, long length, Registration registration) throws KernelUnavailable {
        Scratch s = new Scratch(0);
        long mode = registration == Registration.MINOR ? REGISTER_MODE_MINOR : REGISTER_MODE_MISSING;
        s.arg.putLong(0, address).putLong(8, length).putLong(16, mode).putLong(24, 0);
        if (Libc.ioctl(fd, UFFDIO_REGISTER, s.argAddress) != 0) {
            int e = Libc.errno();
            throw new KernelUnavailable("UFFDIO_REGISTER (" + registration.name().toLowerCase(java.util.Locale.ROOT)
                    + ") of " + length + " bytes failed: " + Libc.errnoName(e)
                    + (registration == Registration.MINOR ? " (minor faults need shmem, and Linux 5.14 or later)" : ""));
        }
        long ioctls = s.arg.getLong(24);
        long needed = registration == Registration.MINOR ? IOCTL_CONTINUE_BIT : IOCTL_COPY_BIT;
        if ((ioctls & needed) == 0) {
            throw new KernelUnavailable("the registration does not allow "
                    + (registration == Registration.MINOR ? "UFFDIO_CONTINUE" : "UFFDIO_COPY") + " on this kernel");
        }
    }

    /** UFFDIO_UNREGISTER: threads waiting in the range are woken and refault without the uffd. Returns 0 or -errno. */
    public int unregister(long address, long length, Scratch s) {
        s.arg.putLong(0, address).putLong(8, length);
        return Libc.ioctl(fd, UFFDIO_UNREGISTER, s.argAddress) == 0 ? 0 : -Libc.errno();
    }

    /**
     * UFFDIO_COPY of one page from {@code src} to {@code dst}; with {@code dontWake} the waiters
     * stay asleep until {@link #wake}. Returns 0, {@code -EEXIST} (already mapped: another
     * resolver won), {@code -EAGAIN} (the mm changed: retry) or another negative errno.
     */
    public int copy(long dst, long src, long length, boolean dontWake, Scratch s) {
        s.arg.putLong(0, dst).putLong(8, src).putLong(16, length).putLong(24, dontWake ? COPY_MODE_DONTWAKE : 0)
                .putLong(32, 0);
        return Libc.ioctl(fd, UFFDIO_COPY, s.argAddress) == 0 ? 0 : -Libc.errno();
    }

    /** UFFDIO_CONTINUE: maps the page-cache page at {@code address}; returns 0, -EEXIST, -EAGAIN or -errno. */
    public int continueRange(long address, long length, boolean dontWake, Scratch s) {
        s.arg.putLong(0, address).putLong(8, length).putLong(16, dontWake ? CONTINUE_MODE_DONTWAKE : 0).putLong(24, 0);
        return Libc.ioctl(fd, UFFDIO_CONTINUE, s.argAddress) == 0 ? 0 : -Libc.errno();
    }

    /** UFFDIO_WAKE over the range: the threads waiting there re-run their fault. Returns 0 or -errno. */
    public int wake(long address, long length, Scratch s) {
        s.arg.putLong(0, address).putLong(8, length);
        return Libc.ioctl(fd, UFFDIO_WAKE, s.argAddress) == 0 ? 0 : -Libc.errno();
    }

    /**
     * poll(2) for a readable message, up to {@code timeoutMs}. Returns 1 when readable, 0 on
     * timeout or EINTR, a negative errno on failure.
     */
    public int pollReadable(int timeoutMs, Scratch s) {
        s.pollfd.putInt(0, fd).putShort(4, Libc.POLLIN).putShort(6, (short) 0);
        int n = Libc.poll(s.pollfdAddress, 1, timeoutMs);
        if (n > 0) return 1;
        if (n == 0) return 0;
        int e = Libc.errno();
        return e == Libc.EINTR ? 0 : -e;
    }

    /**
     * read(2) of up to {@code max} fault messages into {@code s.messages}. Returns how many, 0
     * when another reader took them (EAGAIN), or a negative errno.
     */
    public int readMessages(int max, Scratch s) {
        long n = Libc.read(fd, s.messagesAddress, (long) max * MSG_BYTES);
        if (n >= 0) return (int) (n / MSG_BYTES);
        int e = Libc.errno();
        return e == Libc.EAGAIN || e == Libc.EINTR ? 0 : -e;
    }

    /** Writes a page-fault message for {@code address} (flags 0) into slot {@code i}, as the kernel's read does. */
    static void writeFaultMessage(Scratch s, int i, long address) {
        s.messages.put(i * MSG_BYTES, (byte) EVENT_PAGEFAULT);
        s.messages.putLong(i * MSG_BYTES + MSG_FLAGS_OFFSET, 0);
        s.messages.putLong(i * MSG_BYTES + MSG_ADDRESS_OFFSET, address);
    }

    /** Message {@code i}'s event (EVENT_PAGEFAULT for a fault). */
    static int event(Scratch s, int i) {
        return s.messages.get(i * MSG_BYTES) & 0xFF;
    }

    /** Message {@code i}'s fault address (not page aligned). */
    static long faultAddress(Scratch s, int i) {
        return s.messages.getLong(i * MSG_BYTES + MSG_ADDRESS_OFFSET);
    }

    /** Message {@code i}'s fault flags (UFFD_PAGEFAULT_FLAG_WRITE 1, _MINOR 4). */
    static long faultFlags(Scratch s, int i) {
        return s.messages.getLong(i * MSG_BYTES + MSG_FLAGS_OFFSET);
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Libc.close(fd);
    }
}
