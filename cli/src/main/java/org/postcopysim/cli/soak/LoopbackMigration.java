package org.postcopysim.cli.soak;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.postcopysim.dest.DestVm;
import org.postcopysim.dest.MigrationSummary;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.SourceVm;

/**
 * A soak migration in this JVM: a {@link SourceVm} on a free loopback port and {@link DestVm}
 * against it on a thread of its own ({@code soak-dest}), so that a run whose vCPUs hang is
 * noticed at the bound instead of hanging the soak. Closing the source then drops the links,
 * which ends the destination.
 */
final class LoopbackMigration implements MigrationRunner {
    /** How long a side waits for a dropped link to come back (postcopy recovery). */
    static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(30);
    /** How long the source may take to report once the destination has finished (ms). */
    static final long SOURCE_REPORT_TIMEOUT_MS = 30_000;

    @Override
    public Outcome run(RunConfig config, Duration bound) {
        long t0 = System.nanoTime();
        long boundMs = bound.toMillis();
        try (SourceVm source = SourceVm.start(config.sourceConfig(RECOVERY_DEADLINE), new SimpleMeterRegistry())) {
            int port = source.boundAddress().getPort();
            CompletableFuture<MigrationSummary> dest = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    dest.complete(DestVm.run(config.destConfig(port, RECOVERY_DEADLINE), new SimpleMeterRegistry()));
                } catch (Throwable e) {
                    dest.completeExceptionally(e);
                }
            }, "soak-dest");
            t.setDaemon(true);
            t.start();
            MigrationSummary summary = dest.get(boundMs, TimeUnit.MILLISECONDS);
            long left = Math.max(1, Math.min(SOURCE_REPORT_TIMEOUT_MS, boundMs - elapsedMs(t0)));
            SourceResult result;
            try {
                result = source.completion().get(left, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // The destination is done: say what it reported, or the cause is lost with the run.
                String why = "the source gave no verdict within " + left + " ms of the destination's result ("
                        + (summary.verified() ? "verified" : summary.error()) + ")";
                return new Outcome(false, summary.verified(), why, summary.pagesTotal(), summary.pagesVerified(),
                        summary.staleReads(), false, 0, why, summary.recoveries(), summary.stalls(), elapsedMs(t0), boundMs,
                        java.util.List.of(), null);
            }
            return Outcome.of(summary, result, elapsedMs(t0), boundMs);
        } catch (TimeoutException e) {
            return Outcome.unfinished(elapsedMs(t0), boundMs);
        } catch (ExecutionException e) {
            return failed("the destination threw " + e.getCause(), t0, boundMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed("interrupted", t0, boundMs);
        } catch (RuntimeException e) {
            return failed("the run could not start: " + e, t0, boundMs);
        }
    }

    private static Outcome failed(String why, long t0, long boundMs) {
        return new Outcome(true, false, why, 0, 0, 0, false, 0, why, -1, -1, elapsedMs(t0), boundMs,
                java.util.List.of(), null);
    }

    private static long elapsedMs(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }
}
