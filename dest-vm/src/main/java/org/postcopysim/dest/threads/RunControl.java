package org.postcopysim.dest.threads;

import java.util.concurrent.CompletableFuture;

/**
 * Start, stop and failure of one migration's vCPUs, shared by the runner threads and whoever
 * drives the migration. The first failure wins and is kept; stop is a volatile flag.
 */
public final class RunControl {
    private volatile boolean stopRequested;
    private final CompletableFuture<String> failure = new CompletableFuture<>();

    public void requestStop() {
        stopRequested = true;
    }

    public boolean stopRequested() {
        return stopRequested || failure.isDone();
    }

    /** Records the first failure (later ones are ignored). */
    public void fail(String why) {
        failure.complete(why);
    }

    public boolean failed() {
        return failure.isDone();
    }

    /** The first failure's text, or null. */
    public String failureText() {
        return failure.getNow(null);
    }

    /** Completes with the failure text when one occurs. */
    public CompletableFuture<String> failureFuture() {
        return failure;
    }
}
