package org.postcopysim.cli;

/**
 * A command could not start for a reason the user can fix (an address in use, a host that does
 * not resolve): reported as one line on stderr naming what failed and why, exit code 1, no stack
 * trace. Anything else that escapes a command is a bug and keeps picocli's stack trace.
 */
public final class StartupFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StartupFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** Exit code of a command that could not start. */
    public static final int EXIT_CODE = 1;
}
