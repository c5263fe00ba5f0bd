package org.postcopysim.cli.compare;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.postcopysim.cli.ChildJvm;

/**
 * Runs one run of a plan as {@code postcopy-sim fault-bench} or {@code demo} in a child JVM:
 * {@code --fault-mode MODE [--backend B] --vcpus N --seed S --json FILE} plus the passthrough options. The
 * child's summary goes to {@code RUNS_DIR/<stem>.json} and its stdout to
 * {@code RUNS_DIR/<stem>.log}; its stderr (warnings and errors only, unless verbose) to ours.
 */
final class ChildRunner implements RunExecutor {
    private final Bench bench;
    private final Function<String, List<String>> seriesArgs;
    private final List<String> passthrough;
    private final Path runsDir;
    private final List<String> jvmArgs;
    private final long timeoutMs;
    private final Consumer<String> stderr;

    /** @param stderr where the children's stderr lines go, or null for straight to ours */
    ChildRunner(Bench bench, Function<String, List<String>> seriesArgs, List<String> passthrough, Path runsDir,
                boolean verbose, long timeoutMs, Consumer<String> stderr) {
        this.stderr = stderr;
        this.bench = bench;
        this.seriesArgs = seriesArgs;
        this.passthrough = List.copyOf(passthrough);
        this.runsDir = runsDir;
        this.jvmArgs = verbose ? List.of() : List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        this.timeoutMs = timeoutMs;
    }

    /** The child's command line (after {@code postcopy-sim}). */
    List<String> childArgs(RunPlan.Run run, Path json) {
        List<String> args = new ArrayList<>(List.of(bench.subcommand));
        args.addAll(seriesArgs.apply(run.mode()));
        args.addAll(List.of("--vcpus", Integer.toString(run.vcpus()), "--seed", Long.toString(run.seed()),
                "--json", json.toString()));
        args.addAll(passthrough);
        return args;
    }

    @Override
    public RunOutcome execute(RunPlan.Run run) throws InterruptedException {
        Path json = runsDir.resolve(run.fileStem() + ".json");
        Path log = runsDir.resolve(run.fileStem() + ".log");
        List<String> args = childArgs(run, json);
        long startNs = System.nanoTime();
        int code;
        try (PrintWriter echo = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8))) {
            echo.println("$ postcopy-sim " + String.join(" ", args));
            Files.deleteIfExists(json);
            ChildJvm child = ChildJvm.start(bench.subcommand, jvmArgs, args, ChildJvm.echo(bench.subcommand, echo), stderr);
            try {
                code = child.await(timeoutMs);
            } finally {
                if (child.isAlive()) child.destroy();
            }
        } catch (IOException e) {
            return RunOutcome.failed(run, -1, "could not run the child: " + e.getMessage(), log);
        }
        long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        if (code == -1) return RunOutcome.failed(run, -1, "killed after " + timeoutMs / 1000 + " s", log);
        if (code == 2) return RunOutcome.failed(run, code, "exit code 2: the child refused its options (the reason is on stderr)", log);
        if (code != 0) return RunOutcome.failed(run, code, "exit code " + code, log);
        try {
            if (!Files.exists(json) || Files.size(json) == 0) {
                return RunOutcome.failed(run, 0, "exit code 0 but no JSON summary in " + json, log);
            }
            JsonNode summary = JsonResults.JSON.readTree(json.toFile());
            return RunOutcome.finished(RunRecord.fromChild(bench, run, summary, wallMs), log);
        } catch (IOException e) {
            return RunOutcome.failed(run, 0, "unreadable JSON summary " + json + ": " + e.getMessage(), log);
        }
    }
}
