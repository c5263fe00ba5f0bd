package org.postcopysim.cli;

/**
 * A command could not do its work for a reason the user can fix (an address in use, a host that
 * does not resolve, a file that cannot be written): reported as one line on stderr naming what
 * failed and why, exit code 1, no stack trace. Anything else that escapes a command is a bug and
 * keeps picocli's stack trace.
 */
public final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** Exit code of a command that failed so. */
    public static final int EXIT_CODE = 1;
}
