package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;

/** Runs a demo in this JVM while a daemon thread calls {@code sample} every {@code everyMs}; fails if the demo fails. */
final class DemoSampling {
    private DemoSampling() {}

    static void run(Runnable sample, long everyMs, String... demoArgs) throws Exception {
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                sample.run();
                try {
                    Thread.sleep(everyMs);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "demo-sampler");
        sampler.setDaemon(true);
        sampler.start();
        try {
            String[] args = new String[demoArgs.length + 1];
            args[0] = "demo";
            System.arraycopy(demoArgs, 0, args, 1, demoArgs.length);
            CliRun run = assertTimeoutPreemptively(Duration.ofMinutes(3), () -> CliRun.of(args));
            assertEquals(0, run.exitCode(), run::toString);
        } finally {
            sampler.interrupt();
            sampler.join();
        }
    }
}
