package org.postcopysim.kernel;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The C library calls the kernel backend needs, through JNA's direct mapping (one JNI transition
 * per call, no reflection, no allocation). Every address is a {@code long}, so a hot call builds
 * no {@code Pointer}. The error of a failed call is {@link Native#getLastError()}, read by the
 * caller right after it, on the same thread.
 *
 * <p>Constants are those of Linux's uapi headers on x86-64 and arm64 (where the two differ, the
 * system call number, both are given).
 */
final class Libc {
    static {
        Native.register(Libc.class, Platform.C_LIBRARY_NAME);
    }

    private Libc() {
    }

    // --- memory
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MAP_PRIVATE = 2;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final long MAP_FAILED = -1L;
    static final int MFD_CLOEXEC = 1;

    // --- files
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final short POLLIN = 1;

    // --- errno
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(long addr, long length);

    static native int memfd_create(String name, int flags);

    static native int ftruncate(int fd, long length);

    static native int open(String path, int flags);

    static native int close(int fd);

    /** {@code syscall(number, a1)}: userfaultfd(2) has no C library wrapper before glibc 2.36. */
    static native long syscall(long number, long a1);

    static native int ioctl(int fd, long request, long argp);

    static native int poll(long fds, long nfds, int timeoutMs);

    static native long read(int fd, long buf, long count);

    static native long memcpy(long dst, long src, long n);

    /** The CPU the calling thread runs on (glibc's vDSO-backed call). */
    static native int sched_getcpu();

    /** The calling thread's CPU mask ({@code pid} 0), {@code bytes} long. */
    static native int sched_getaffinity(int pid, long bytes, long[] mask);

    /** Sets the calling thread's CPU mask ({@code pid} 0); threads it starts later inherit it. */
    static native int sched_setaffinity(int pid, long bytes, long[] mask);

    static int errno() {
        return Native.getLastError();
    }

    /** "EEXIST (17)": the name of the errors this backend meets, else the number. */
    static String errnoName(int errno) {
        switch (errno) {
            case EPERM: return "EPERM";
            case ENOENT: return "ENOENT";
            case EINTR: return "EINTR";
            case EAGAIN: return "EAGAIN";
            case ENOMEM: return "ENOMEM";
            case EACCES: return "EACCES";
            case EEXIST: return "EEXIST";
            case EINVAL: return "EINVAL";
            case ENOSYS: return "ENOSYS";
            default: return "errno " + errno;
        }
    }
}
