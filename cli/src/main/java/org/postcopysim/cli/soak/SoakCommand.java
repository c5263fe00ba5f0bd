package org.postcopysim.cli.soak;

import java.io.IOException;
import org.postcopysim.cli.StatusLine;
import org.postcopysim.cli.Terminal;
import org.postcopysim.cli.TerminalBar;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.postcopysim.cli.SeedOption;
import org.postcopysim.cli.VersionProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code postcopy-sim soak}: migrations back to back in this JVM until the duration is spent,
 * each configured from a run seed derived from {@code --seed}, each checked by
 * {@link Invariants}. Stops at the first violation, printing the run's seed and the command that
 * replays it; exits 0 when every run passed, 1 on a violation, 2 on a usage error.
 */
@Command(name = "soak", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run migrations back to back in this JVM (source and destination over loopback) until the "
                + "duration is spent, each with a configuration drawn from a run seed derived from --seed: fault mode, "
                + "uffd readers and scope, vCPUs, guest size, memslots, workload, writes, background cap and fault "
                + "injection. After each run checks that every page verified on both sides, no read was stale, no vCPU "
                + "was stuck, no Netty buffer leaked and memory returned to its baseline. Stops at the first violation "
                + "with the command that replays that run; exits 0 only when every run passed.")
public final class SoakCommand implements Callable<Integer> {
    /** Default bound on one run (seconds): past it the run's vCPUs count as stuck. */
    static final long DEFAULT_RUN_TIMEOUT_SEC = 120;

    @Spec
    CommandSpec spec;

    @Mixin
    SeedOption seed;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10m", converter = SoakDuration.class,
            description = "Keep starting runs until this much time has passed, e.g. 90s, 10m, 1h (at least one run). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--runs", paramLabel = "N",
            description = "Stop after N runs even if time is left.")
    Integer maxRuns;

    @Option(names = "--replay", paramLabel = "RUN_SEED",
            description = "Run only the run of this run seed (as a failing soak prints it), then stop.")
    Long replay;

    @Option(names = "--run-timeout", paramLabel = "SECONDS", defaultValue = "" + DEFAULT_RUN_TIMEOUT_SEC,
            description = "A run still going after this counts as stuck. Default: ${DEFAULT-VALUE}.")
    long runTimeoutSec;

    @Option(names = "--junit", paramLabel = "FILE", description = "Write a JUnit XML report, one test case per run.")
    Path junit;

    @Option(names = "--json", paramLabel = "FILE", description = "Write a JSON array with one record per run.")
    Path json;

    @Option(names = "--verbose", description = "Show the source's and destination's logs (default: errors only).")
    boolean verbose;

    /** Null: real loopback migrations; tests put a fake here. */
    private final MigrationRunner runner;
    private final Features features;

    public SoakCommand() {
        this(null, null);
    }

    SoakCommand(MigrationRunner runner, Features features) {
        this.runner = runner;
        this.features = features;
    }

    /** The command that replays run {@code runSeed} alone. */
    static String replayCommand(long runSeed) {
        return replayCommand(runSeed, DEFAULT_RUN_TIMEOUT_SEC);
    }

    static String replayCommand(long runSeed, long runTimeoutSec) {
        return "./postcopy-sim soak --replay " + runSeed
                + (runTimeoutSec == DEFAULT_RUN_TIMEOUT_SEC ? "" : " --run-timeout " + runTimeoutSec);
    }

    @Override
    public Integer call() throws IOException {
        validate();
        if (!verbose) quietLogs();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Features f = features != null ? features : Features.detect();
        MigrationRunner r = runner != null ? runner : new LoopbackMigration();
        NettyWatch watch = new NettyWatch();
        long soakSeed = replay != null ? replay : seed.value();
        Duration bound = Duration.ofSeconds(runTimeoutSec);
        if (replay != null) {
            out.printf(Locale.ROOT, "soak: replaying run seed %d; %s%n", replay, f.describe());
        } else {
            out.printf(Locale.ROOT, "soak: seed %d, duration %s%s, run bound %d s; %s%n", soakSeed,
                    SoakDuration.format(duration), maxRuns == null ? "" : ", at most " + maxRuns + " runs",
                    runTimeoutSec, f.describe());
        }
        out.flush();
        if (!watch.listening()) {
            // A soak that cannot see leaks would pass runs that leak: refuse to run instead.
            err.println("soak: Netty's leak detector is out of reach on this build, so leaks could not be checked");
            err.flush();
            return 2;
        }

        watch.collectLeaks();
        watch.checkMemory(); // baseline before the first run, so a single run (--replay) is checked too
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        long deadline = t0 + duration.toNanos();
        List<RunResult> results = new ArrayList<>();
        RunResult failed = null;
        // The reports are rewritten whole after every run: a soak killed by a CI timeout leaves
        // valid reports of the runs it finished.
        boolean reportsWritten = writeReports(err, soakSeed, started, 0, results);
        try (TerminalBar bar = progressBar(err); StatusLine.SystemErrRoute logs = bar == null ? null : bar.routeSystemErr(err)) {
            PrintWriter runOut = bar == null ? out : bar.linesTo(out); // run lines above the bar, never under it
            for (int i = 0; ; i++) {
                if (replay != null && i == 1) break;
                if (replay == null && i > 0 && (System.nanoTime() >= deadline || (maxRuns != null && i >= maxRuns))) break;
                long runSeed = replay != null ? replay : RunConfigs.runSeed(soakSeed, i);
                RunConfig config = RunConfigs.forSeed(runSeed, f);
                if (bar != null) bar.setExtraMessage("run " + i);
                Instant runStarted = Instant.now();
                Outcome o = r.run(config, bound);
                List<String> leaks = watch.collectLeaks();
                String memory = o.finished() ? watch.checkMemory() : null;
                RunResult result = new RunResult(i, config, o.withFindings(leaks, memory),
                                Invariants.violations(o.withFindings(leaks, memory), config), runStarted);
                results.add(result);
                printRun(runOut, result);
                if (reportsWritten) {
                    reportsWritten = writeReports(err, soakSeed, started, (System.nanoTime() - t0) / 1e9, results);
                }
                if (bar != null) bar.stepTo(Math.min(duration.toSeconds(), (System.nanoTime() - t0) / 1_000_000_000L));
                if (!result.passed()) {
                    failed = result;
                    break;
                }
            }
        }
        double totalSec = (System.nanoTime() - t0) / 1e9;
        if (reportsWritten) reportsWritten = writeReports(err, soakSeed, started, totalSec, results);
        if (reportsWritten && junit != null) out.printf("soak: wrote %s%n", junit);
        if (reportsWritten && json != null) out.printf("soak: wrote %s%n", json);
        if (failed != null) {
            out.printf(Locale.ROOT, "soak: FAILED: run %d (seed %d) violated: %s%n", failed.index(), failed.seed(),
                    failed.violations().get(0));
            for (int k = 1; k < failed.violations().size(); k++) out.printf("  also: %s%n", failed.violations().get(k));
            out.printf(Locale.ROOT, "soak: the run: %s%n", failed.config().describe());
            out.printf(Locale.ROOT, "soak: replay it with: %s%n", replayCommand(failed.seed(), runTimeoutSec));
            if (replay == null) {
                out.printf(Locale.ROOT, "soak: replay the whole sequence (leaks, memory) with: ./postcopy-sim soak --seed %d --runs %d%s%n",
                        soakSeed, failed.index() + 1,
                        runTimeoutSec == DEFAULT_RUN_TIMEOUT_SEC ? "" : " --run-timeout " + runTimeoutSec);
            }
            out.flush();
            return 1;
        }
        NettyWatch.Sample base = watch.baseline();
        out.printf(Locale.ROOT, "soak: PASSED: %d run%s verified in %.1f s (seed %d)%s%n", results.size(),
                results.size() == 1 ? "" : "s", totalSec, soakSeed,
                base == null ? "" : "; memory after GC " + NettyWatch.sample().describe() + ", baseline " + base.describe());
        out.flush();
        return reportsWritten ? 0 : 2;
    }

    private static void printRun(PrintWriter out, RunResult r) {
        Outcome o = r.outcome();
        String verdict = r.passed()
                ? String.format(Locale.ROOT, "verified in %d ms%s", o.elapsedMs(),
                        o.recoveries() > 0 ? " after " + o.recoveries() + " recover" + (o.recoveries() == 1 ? "y" : "ies") : "")
                : String.format(Locale.ROOT, "FAILED after %d ms", o.elapsedMs());
        out.printf(Locale.ROOT, "run %d seed %d: %s ... %s%n", r.index(), r.seed(), r.config().describe(), verdict);
        out.flush();
    }

    /** Rewrites the reports asked for with {@code results}; false (said on {@code err}) when one cannot be written. */
    private boolean writeReports(PrintWriter err, long soakSeed, Instant started, double totalSec, List<RunResult> results) {
        try {
            if (junit != null) SoakReports.writeJunit(junit, soakSeed, started, totalSec, results);
            if (json != null) SoakReports.writeJson(json, results);
        } catch (IOException e) {
            err.printf("soak: could not write a report: %s%n", e);
            err.flush();
            return false;
        }
        return true;
    }

    private void checkWritable(String option, Path file) {
        if (file == null) return;
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) java.nio.file.Files.createDirectories(parent);
            if (java.nio.file.Files.isDirectory(file)) throw new IOException("it is a directory");
            boolean existed = java.nio.file.Files.exists(file);
            java.nio.file.Files.newOutputStream(file, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND).close(); // a real probe: root passes isWritable on /proc
            if (!existed) java.nio.file.Files.delete(file);
        } catch (IOException | RuntimeException e) {
            throw new ParameterException(spec.commandLine(), option + ": cannot write " + file + " (" + e.getMessage() + ")");
        }
    }

    private TerminalBar progressBar(PrintWriter err) {
        if (!Terminal.stderrIsTerminal() || replay != null) return null;
        return TerminalBar.open(err, "soak", duration.toSeconds(), "s");
    }

    private void validate() {
        if (maxRuns != null && maxRuns < 1) {
            throw new ParameterException(spec.commandLine(), "--runs must be at least 1, got " + maxRuns);
        }
        if (runTimeoutSec < 1) {
            throw new ParameterException(spec.commandLine(), "--run-timeout must be at least 1 second, got " + runTimeoutSec);
        }
        if (runTimeoutSec > 86_400) {
            throw new ParameterException(spec.commandLine(), "--run-timeout must be at most 86400 seconds, got " + runTimeoutSec);
        }
        checkWritable("--junit", junit);
        checkWritable("--json", json);
        if (replay != null && replay < 0) {
            throw new ParameterException(spec.commandLine(), "--replay takes a run seed as the soak prints it (not negative)");
        }
    }

    // slf4j-simple reads this when its first logger is made; in a fresh CLI JVM that is after here.
    private static void quietLogs() {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
    }
}
