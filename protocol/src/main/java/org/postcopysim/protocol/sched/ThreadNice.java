package org.postcopysim.protocol.sched;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The calling thread's niceness on Linux: read from {@code /proc/thread-self/stat}, set with
 * {@code setpriority(PRIO_PROCESS, tid, nice)}, which on Linux applies to the one thread whose id
 * it is given. Raising a thread's niceness needs no privilege; lowering it again needs
 * CAP_SYS_NICE (or RLIMIT_NICE), so {@link #set} can fail there, and says so.
 */
public final class ThreadNice {
    private static final int PRIO_PROCESS = 0;
    /** Where this machine cannot change a thread's niceness (not Linux, no libc), why; null where it can. */
    private static final String UNSUPPORTED = load();

    private ThreadNice() {}

    private static native int setpriority(int which, int who, int prio);

    private static String load() {
        if (!Platform.isLinux()) return "not Linux";
        try {
            Native.register(ThreadNice.class, Platform.C_LIBRARY_NAME);
            return null;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "cannot load the C library: " + e.getMessage();
        }
    }

    /** Why a raised niceness cannot be lowered back here, or null where it can; probed once. */
    private static volatile String restoreRefusal;
    private static volatile boolean restoreProbed;

    /**
     * Null where this process can lower a thread's niceness back after raising it (CAP_SYS_NICE,
     * or an RLIMIT_NICE that allows it); otherwise why not. Found once, on a scratch thread.
     */
    public static String restoreRefusal() {
        if (!restoreProbed) {
            synchronized (ThreadNice.class) {
                if (!restoreProbed) {
                    restoreRefusal = probeRestore();
                    restoreProbed = true;
                }
            }
        }
        return restoreRefusal;
    }

    private static String probeRestore() {
        if (UNSUPPORTED != null) return UNSUPPORTED;
        String[] out = new String[1];
        Thread t = new Thread(() -> {
            try {
                int base = current();
                if (base >= 19) {
                    out[0] = "this process already runs at niceness 19";
                    return;
                }
                String up = set(base + 1);
                out[0] = up != null ? up : set(base);
            } catch (RuntimeException e) {
                out[0] = e.getMessage();
            }
        }, "nice-probe");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while probing the niceness";
        }
        return out[0];
    }

    /** Null where a thread's niceness can be read and set here; otherwise why not. */
    public static String unsupported() {
        return UNSUPPORTED;
    }

    /** The calling thread's kernel id (Linux's gettid). */
    public static int currentTid() {
        try {
            return Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read this thread's id from /proc/thread-self: " + e.getMessage(), e);
        }
    }

    /** The niceness of thread {@code tid} of this process (-20..19), from its /proc stat. */
    public static int of(int tid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read thread " + tid + "'s stat: " + e.getMessage(), e);
        }
        return ofStat(stat);
    }

    /** The niceness in a thread's /proc {@code stat} line (any process's: field 19). */
    public static int ofStat(String stat) {
        // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, nice field 19.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[19 - 3]);
    }

    /** The calling thread's niceness. */
    public static int current() {
        return of(currentTid());
    }

    /**
     * Sets the calling thread's niceness to {@code nice}; null on success, otherwise why it failed
     * (the errno's meaning, or why this machine cannot).
     */
    public static String set(int nice) {
        if (UNSUPPORTED != null) return UNSUPPORTED;
        if (setpriority(PRIO_PROCESS, currentTid(), nice) == 0) return null;
        int errno = Native.getLastError();
        return switch (errno) {
            case 1, 13 -> "not permitted (errno " + errno + "): lowering a niceness needs CAP_SYS_NICE";
            default -> "setpriority failed with errno " + errno;
        };
    }
}
