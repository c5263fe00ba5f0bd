package org.postcopysim.cli;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.postcopysim.dest.DestMetrics;

/**
 * A progress bar of pages present, drawn on stderr while a migration runs, only when the process
 * is attached to a terminal (quiet in pipes, files and CI). Reads the registry's gauges, so it
 * needs no hook into the migration itself.
 */
final class MigrationProgress implements AutoCloseable {
    private static final long REFRESH_MS = 200;
    private final Thread thread;
    private volatile boolean done;

    private MigrationProgress(MeterRegistry registry) {
        thread = new Thread(() -> run(registry), "progress");
        thread.setDaemon(true);
        thread.start();
    }

    /** When to draw: on a terminal only (auto), always, or never. */
    enum When { AUTO, ALWAYS, NEVER }

    /** Starts a progress bar if {@code when} says so; otherwise returns null. */
    static MigrationProgress start(When when, MeterRegistry registry) {
        boolean show = when == When.ALWAYS || (when == When.AUTO && Terminal.stderrIsTerminal());
        return show ? new MigrationProgress(registry) : null;
    }

    private void run(MeterRegistry registry) {
        ProgressBar bar = null;
        try {
            while (!done) {
                Gauge total = registry.find(DestMetrics.PAGES_TOTAL).gauge();
                Gauge present = registry.find(DestMetrics.PAGES_PRESENT).gauge();
                if (bar == null && total != null) {
                    bar = new ProgressBarBuilder().setTaskName("pages present").setInitialMax((long) total.value())
                            .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis((int) REFRESH_MS)
                            .setUnit(" pages", 1).continuousUpdate().build();
                }
                if (bar != null && present != null) bar.stepTo((long) present.value());
                Thread.sleep(REFRESH_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (bar != null) bar.close();
        }
    }

    @Override
    public void close() {
        done = true;
        thread.interrupt();
        try {
            thread.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
