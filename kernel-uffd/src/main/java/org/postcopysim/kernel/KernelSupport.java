package org.postcopysim.kernel;

import java.util.Locale;

/**
 * Whether this machine can run the kernel backend, and if not, why, in one line: not Linux, a
 * processor the backend has no system call number for, the native library not loading, no
 * permission, or a kernel without the feature.
 */
public final class KernelSupport {
    private static final long SYS_USERFAULTFD_X86_64 = 323;
    private static final long SYS_USERFAULTFD_AARCH64 = 282;

    private KernelSupport() {
    }

    /** Null when {@code registration} works here (a userfaultfd opens and registers memory), else why not. */
    public static String unavailableReason(Uffd.Registration registration) {
        try {
            probe(registration);
            return null;
        } catch (KernelUnavailable e) {
            return e.getMessage();
        }
    }

    /** Opens a userfaultfd and registers one page the way a run would; throws saying why it cannot. */
    public static void probe(Uffd.Registration registration) throws KernelUnavailable {
        try (Uffd uffd = Uffd.open(registration);
             GuestRegion region = GuestRegion.map(1, registration)) {
            uffd.register(region.address(), region.bytes(), registration);
        }
    }

    static void requireLinux() throws KernelUnavailable {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            throw new KernelUnavailable("the kernel backend needs Linux's userfaultfd; this is " + os
                    + ": use --backend model");
        }
        userfaultfdSyscall();
        try {
            Class.forName(Libc.class.getName(), true, Libc.class.getClassLoader());
        } catch (LinkageError | ClassNotFoundException e) {
            throw new KernelUnavailable("the native-access library (JNA) could not load: " + e.getMessage()
                    + " (a noexec temporary directory? set -Djna.tmpdir to a writable, executable one)");
        }
    }

    static long userfaultfdSyscall() throws KernelUnavailable {
        String arch = System.getProperty("os.arch", "");
        switch (arch) {
            case "amd64":
            case "x86_64":
                return SYS_USERFAULTFD_X86_64;
            case "aarch64":
                return SYS_USERFAULTFD_AARCH64;
            default:
                throw new KernelUnavailable("the kernel backend knows userfaultfd(2)'s number on x86-64 and arm64 "
                        + "only, not on " + arch + ": use --backend model");
        }
    }
}
