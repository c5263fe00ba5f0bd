package org.postcopysim.cli.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;

/**
 * {@code org.postcopysim.cli.ChildJvm} (how {@code demo} starts a subcommand in a JVM of its own)
 * seen from this package. ChildJvm is package-private and owned elsewhere, so this reaches it
 * through method handles instead of copying it; the bench's tests start a child through here, so
 * a renamed method fails them at once. When ChildJvm becomes public, call it directly and delete
 * this class.
 */
final class ChildJvmBridge {
    private static final MethodHandle START;
    private static final MethodHandle AWAIT_LINE;
    private static final MethodHandle AWAIT;
    private static final MethodHandle DESTROY;
    private static final MethodHandle IS_ALIVE;

    static {
        try {
            Class<?> c = Class.forName("org.postcopysim.cli.ChildJvm");
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(c, MethodHandles.lookup());
            START = l.findStatic(c, "start", MethodType.methodType(c, String.class, PrintWriter.class, List.class));
            AWAIT_LINE = l.findVirtual(c, "awaitLine", MethodType.methodType(String.class, String.class, long.class));
            AWAIT = l.findVirtual(c, "await", MethodType.methodType(int.class, long.class));
            DESTROY = l.findVirtual(c, "destroy", MethodType.methodType(void.class));
            IS_ALIVE = l.findVirtual(c, "isAlive", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Object child;

    private ChildJvmBridge(Object child) {
        this.child = child;
    }

    /** Starts {@code postcopy-sim ARGS} in a child JVM, echoing its stdout to {@code echo} prefixed with {@code name}. */
    static ChildJvmBridge start(String name, PrintWriter echo, List<String> args) throws IOException {
        try {
            return new ChildJvmBridge(START.invoke(name, echo, args));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Waits up to {@code timeoutMs} for a stdout line starting with {@code prefix}; null if none came. */
    String awaitLine(String prefix, long timeoutMs) throws InterruptedException {
        try {
            return (String) AWAIT_LINE.invoke(child, prefix, timeoutMs);
        } catch (InterruptedException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Waits for the exit; the exit code, or -1 when it had to be killed after {@code timeoutMs}. */
    int await(long timeoutMs) throws InterruptedException {
        try {
            return (int) AWAIT.invoke(child, timeoutMs);
        } catch (InterruptedException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Stops the process (forcibly after 5 s). */
    void destroy() throws InterruptedException {
        try {
            DESTROY.invoke(child);
        } catch (InterruptedException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    boolean isAlive() {
        try {
            return (boolean) IS_ALIVE.invoke(child);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
