package org.postcopysim.kernel;

/**
 * The kernel refused what the backend needs; the message is one line saying which refusal and
 * what to do about it (a user sees it as is, and the tests skip with it).
 */
public final class KernelUnavailable extends Exception {
    private static final long serialVersionUID = 1L;

    public KernelUnavailable(String oneLine) {
        super(oneLine);
    }
}
