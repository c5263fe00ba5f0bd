package org.postcopysim.kernel;

/**
 * How the kernel backend's fault benchmark uses the userfaultfd.
 *
 * @param registration              MISSING (anonymous memory, UFFDIO_COPY) or MINOR (shmem, UFFDIO_CONTINUE)
 * @param separateWake              resolve with DONTWAKE and wake with a separate UFFDIO_WAKE (false: the
 *                                  resolving ioctl wakes the waiters itself)
 * @param stallTimeoutMs            a run with threads waiting and no fault resolved for this long fails (ms)
 * @param runTimeoutMs              bound on the whole run (ms)
 * @param killFirstReaderAfterFaults test hook: the first reader dies after resolving this many faults; -1 never
 * @param wrongSourcePage           test hook (a negative control): the readers copy the page after the one
 *                                  that faulted, which the read checks and the verifier must catch
 */
public record KernelBenchOptions(Uffd.Registration registration, boolean separateWake, long stallTimeoutMs,
                                 long runTimeoutMs, long killFirstReaderAfterFaults, boolean wrongSourcePage) {
    public static final long DEFAULT_STALL_TIMEOUT_MS = 10_000;
    public static final long DEFAULT_RUN_TIMEOUT_MS = 600_000;
    public static final KernelBenchOptions DEFAULT = new KernelBenchOptions(Uffd.Registration.MISSING, false,
            DEFAULT_STALL_TIMEOUT_MS, DEFAULT_RUN_TIMEOUT_MS, -1, false);

    public KernelBenchOptions {
        if (stallTimeoutMs < 1 || runTimeoutMs < 1) throw new IllegalArgumentException("timeouts must be at least 1 ms");
    }

    public KernelBenchOptions withRegistration(Uffd.Registration r) {
        return new KernelBenchOptions(r, separateWake, stallTimeoutMs, runTimeoutMs, killFirstReaderAfterFaults, wrongSourcePage);
    }

    public KernelBenchOptions withSeparateWake(boolean s) {
        return new KernelBenchOptions(registration, s, stallTimeoutMs, runTimeoutMs, killFirstReaderAfterFaults, wrongSourcePage);
    }

    KernelBenchOptions withReaderKilledAfter(long faults, long stallMs) {
        return new KernelBenchOptions(registration, separateWake, stallMs, runTimeoutMs, faults, wrongSourcePage);
    }

    KernelBenchOptions withWrongSourcePage() {
        return new KernelBenchOptions(registration, separateWake, stallTimeoutMs, runTimeoutMs, killFirstReaderAfterFaults, true);
    }
}
