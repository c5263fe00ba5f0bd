package org.postcopysim.cli.compare;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.postcopysim.cli.CommandFailure;
import org.postcopysim.cli.IoReasons;
import org.postcopysim.cli.SeedOption;
import org.postcopysim.cli.Terminal;
import org.postcopysim.cli.VersionProvider;
import org.postcopysim.protocol.VcpuCount;
import org.postcopysim.source.policy.BackgroundOrder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code postcopy-sim compare}: every fault mode x vCPU count x repeat as a child JVM, then a
 * table on stdout and, in the output directory, results.csv, results.json and two PNG plots.
 * Exits 0 when every run finished, 1 when any failed (what finished is still written), 2 on a
 * usage error (before anything starts).
 */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Compare fault modes: runs every mode x vCPU count x repeat in a child JVM (`fault-bench`, or "
                + "`demo` for --bench migration), prints a table and writes results.csv, results.json, "
                + "pages-per-sec.png and fault-latency-cdf.png to the output directory. Each run's seed is derived "
                + "from --seed and printed; the modes of one vCPU count and repeat share it. Exits 0 only when every "
                + "run finished.")
public final class CompareCommand implements Callable<Integer> {
    /** The fault modes a child accepts for {@code --fault-mode}. */
    static final List<String> FAULT_MODES = List.of("kvm-userfault", "exit-on-missing", "uffd", "uffd+kvm-userfault", "none");
    /** Default bound on one child's run (seconds); the child is killed after it and the run counts as failed. */
    static final long DEFAULT_RUN_TIMEOUT_SEC = 1800;

    @Spec
    CommandSpec spec;

    @Option(names = "--modes", split = ",", required = true, paramLabel = "MODE",
            description = "Fault modes to compare, comma-separated: kvm-userfault, exit-on-missing, uffd, "
                    + "uffd+kvm-userfault, none (fault bench only). The first is the baseline of the table's ratio column.")
    List<String> modes;

    @Option(names = "--vcpus", split = ",", required = true, paramLabel = "N",
            description = "vCPU counts, comma-separated (e.g. 1,2,4,8).")
    List<Integer> vcpuCounts;

    @Option(names = "--backends", split = ",", paramLabel = "WHAT",
            description = "Fault-bench backends to compare, comma-separated: model, kernel (this machine's Linux "
                    + "userfaultfd; modes none and uffd), sim (virtual time, see --sim-cost-file and --sim-host-cpus). "
                    + "Each mode runs on each backend, shown as 'MODE [BACKEND]' in one table and one plot. Without it "
                    + "every run uses the model, labelled by mode alone.")
    List<String> backends;

    @Option(names = "--background-order", split = ",", paramLabel = "ORDER",
            description = "Migration bench: background orders to compare, comma-separated: linear, follow-faults, "
                    + "prepage:W, grow-chunks (see `demo --help`). Each mode runs with each order, shown as "
                    + "'MODE [ORDER]'; the table adds network-bound faults as a share of the pages the guest touched, "
                    + "demand faults and blocktime. Without it every run uses demo's default order, labelled by mode alone.")
    List<String> backgroundOrders;

    @Option(names = "--sim-cost-file", paramLabel = "FILE",
            description = "The sim backend's cost file (simulate --calibrate-host writes one for this machine); "
                    + "without it the cost model's defaults.")
    Path simCostFile;

    @Option(names = "--sim-host-cpus", paramLabel = "N",
            description = "Host CPUs the sim backend simulates (default: this machine's, so that it is compared "
                    + "with the runs beside it).")
    Integer simHostCpus;

    @Option(names = "--bench", paramLabel = "KIND", defaultValue = "fault", converter = Bench.Converter.class,
            description = "fault (`fault-bench`: fault handling alone) or migration (`demo`: a whole migration "
                    + "between two processes). Default: ${DEFAULT-VALUE}.")
    Bench bench;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "1",
            description = "Runs of each mode and vCPU count. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "Directory for results.csv, results.json, the plots and runs/ (each child's JSON and stdout).")
    Path outDir;

    @Option(names = "--run-timeout", paramLabel = "SECONDS", defaultValue = "" + DEFAULT_RUN_TIMEOUT_SEC,
            description = "A child still running after this is killed and its run fails. Default: ${DEFAULT-VALUE}.")
    long runTimeoutSec;

    @Option(names = "--verbose", description = "Show the children's INFO logs (default: warnings and errors only).")
    boolean verbose;

    @Mixin
    SeedOption seed;

    @Mixin
    PassthroughOptions passthrough;

    /** Null: each run in a child JVM ({@link ChildRunner}); tests put a fake here. */
    private final RunExecutor executor;

    public CompareCommand() {
        this(null);
    }

    CompareCommand(RunExecutor executor) {
        this.executor = executor;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        validate(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Series series = Series.of(modes, backends, simArgs(), canonicalOrders());
        RunPlan plan = RunPlan.of(bench, series.labels(), vcpuCounts, repeats, seed.value());
        Path runsDir = outDir.resolve("runs");
        try {
            Files.createDirectories(runsDir);
        } catch (IOException e) {
            throw new CommandFailure("cannot create " + runsDir + ": " + IoReasons.of(e), e);
        }
        printPlan(out, plan);

        List<RunOutcome> outcomes = new ArrayList<>(plan.runs().size());
        try (CompareProgress progress = CompareProgress.start(Terminal.stderrIsTerminal(), plan.runs().size(), err)) {
            RunExecutor exec = executor != null ? executor
                    : new ChildRunner(bench, series::childArgs, passthrough.args(), runsDir, verbose, runTimeoutSec * 1000,
                    progress.childStderr());
            for (RunPlan.Run run : plan.runs()) {
                progress.starting(run.label());
                RunOutcome outcome = exec.execute(run);
                outcomes.add(outcome);
                progress.step(outcomes.size());
                if (!progress.shown()) printOutcome(out, plan, outcome);
            }
        }

        List<RunRecord> records = outcomes.stream().filter(RunOutcome::ok).map(RunOutcome::record)
                .collect(Collectors.toList());
        out.println();
        ResultTable.print(out, plan, records);
        boolean written = writeResults(out, err, plan, records);
        List<RunOutcome> failed = outcomes.stream().filter(o -> !o.ok()).collect(Collectors.toList());
        if (!failed.isEmpty()) {
            out.printf(Locale.ROOT, "compare: FAILED: %d of %d runs did not finish (seed %d):%n",
                    failed.size(), outcomes.size(), plan.seed());
            for (RunOutcome o : failed) {
                out.printf(Locale.ROOT, "  %s (seed %d): %s%s%n", o.run().label(), o.run().seed(), o.failure(),
                        o.log() != null ? "; output in " + o.log() : "");
            }
        }
        out.flush();
        return failed.isEmpty() && written ? 0 : 1;
    }

    private void printPlan(PrintWriter out, RunPlan plan) {
        out.printf(Locale.ROOT, "compare: seed %d; %d run%s of `%s` (%s bench): modes %s x vCPUs %s x %d repeat%s; "
                        + "output in %s%n", plan.seed(), plan.runs().size(), plan.runs().size() == 1 ? "" : "s",
                bench.subcommand, bench.label,
                String.join(",", plan.modes()), plan.vcpuCounts().stream().map(String::valueOf).collect(Collectors.joining(",")),
                plan.repeats(), plan.repeats() == 1 ? "" : "s", outDir);
        out.printf(Locale.ROOT, "compare: run seeds (the same for every mode):%n");
        for (int v : plan.vcpuCounts()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %4d vCPU%s:", v, v == 1 ? "" : "s"));
            for (int r = 0; r < plan.repeats(); r++) {
                line.append(String.format(Locale.ROOT, " repeat %d seed %d%s", r, RunPlan.seedFor(plan.seed(), v, r),
                        r + 1 < plan.repeats() ? "," : ""));
            }
            out.println(line);
        }
        if (!passthrough.args().isEmpty()) out.printf("compare: passed to every child: %s%n", String.join(" ", passthrough.args()));
        out.flush();
    }

    private static void printOutcome(PrintWriter out, RunPlan plan, RunOutcome o) {
        String head = String.format(Locale.ROOT, "compare: [%d/%d] %s (seed %d): ", o.run().index() + 1, plan.runs().size(),
                o.run().label(), o.run().seed());
        if (o.ok()) {
            RunRecord r = o.record();
            out.printf(Locale.ROOT, "%s%s pages/s, fault p50 %s, p99 %s%n", head, ResultTable.rate(r.pagesPerSecOverall()),
                    ResultTable.duration(r.latencyNs("p50")), ResultTable.duration(r.latencyNs("p99")));
        } else {
            out.printf(Locale.ROOT, "%sFAILED: %s%n", head, o.failure());
        }
        out.flush();
    }

    /** Writes the CSV, the JSON and the plots; false (with the reason on stderr) if any could not be written. */
    private boolean writeResults(PrintWriter out, PrintWriter err, RunPlan plan, List<RunRecord> records) {
        boolean ok = true;
        List<String> wrote = new ArrayList<>();
        Path csv = outDir.resolve("results.csv");
        Path json = outDir.resolve("results.json");
        Path rate = outDir.resolve("pages-per-sec.png");
        Path cdf = outDir.resolve("fault-latency-cdf.png");
        try {
            CsvWriter.write(csv, records);
            wrote.add(csv.toString());
            JsonResults.write(json, records);
            wrote.add(json.toString());
        } catch (IOException e) {
            err.printf("compare: could not write the results: %s%n", e);
            ok = false;
        }
        try {
            if (records.isEmpty()) {
                // A plot of no finished run would only show an empty frame; an old one would mislead.
                Files.deleteIfExists(rate);
                Files.deleteIfExists(cdf);
                out.println("compare: no run finished, so no plots were drawn");
            } else {
                Plots.pagesPerSec(rate, plan.bench(), records);
                wrote.add(rate.toString());
                Plots.faultLatencyCdf(cdf, records);
                wrote.add(cdf.toString());
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            // AWT without fonts (a bare container) fails here; the numbers are written already.
            err.printf("compare: could not draw the plots: %s%n", e);
            ok = false;
        }
        out.printf("compare: wrote %s%n", String.join(", ", wrote));
        err.flush();
        return ok;
    }

    /** The background orders in their canonical spelling, or null without --background-order. */
    private List<String> canonicalOrders() {
        if (backgroundOrders == null) return null;
        List<String> c = new ArrayList<>();
        for (String o : backgroundOrders) c.add(BackgroundOrder.parse(o).toString());
        return c;
    }

    /** The options only sim children get. */
    private List<String> simArgs() {
        List<String> a = new ArrayList<>(List.of("--host-cpus",
                Integer.toString(simHostCpus != null ? simHostCpus : Runtime.getRuntime().availableProcessors())));
        if (simCostFile != null) a.addAll(List.of("--cost-file", simCostFile.toString()));
        return a;
    }

    /** Usage errors (exit 2) for values no child would accept, before anything starts. */
    private void validate(CommandLine cl) {
        Set<String> seen = new HashSet<>();
        for (String m : modes) {
            if (!FAULT_MODES.contains(m)) {
                Usage.invalid(cl, "--modes", "unknown fault mode '" + m + "' (expected one or more of "
                        + String.join(", ", FAULT_MODES) + ")");
            }
            if (!seen.add(m)) Usage.invalid(cl, "--modes", "'" + m + "' is listed twice");
            if (m.equals("none") && bench == Bench.MIGRATION) {
                Usage.invalid(cl, "--modes", "none fetches nothing, so --bench migration cannot run it");
            }
        }
        Set<Integer> seenVcpus = new HashSet<>();
        for (int v : vcpuCounts) {
            try {
                VcpuCount.check(v);
            } catch (IllegalArgumentException e) {
                Usage.invalid(cl, "--vcpus", e.getMessage());
            }
            if (!seenVcpus.add(v)) Usage.invalid(cl, "--vcpus", v + " is listed twice");
        }
        boolean sim = backends != null && backends.contains("sim");
        if (!sim && (simCostFile != null || simHostCpus != null)) {
            Usage.invalid(cl, simCostFile != null ? "--sim-cost-file" : "--sim-host-cpus", "applies to --backends with sim only");
        }
        if (simHostCpus != null && simHostCpus < 1) Usage.invalid(cl, "--sim-host-cpus", "must be at least 1");
        if (simCostFile != null && !Files.isReadable(simCostFile)) Usage.invalid(cl, "--sim-cost-file", simCostFile + " cannot be read");
        if (backgroundOrders != null) {
            if (bench != Bench.MIGRATION) Usage.invalid(cl, "--background-order", "applies to --bench migration only");
            Set<String> seenOrders = new HashSet<>();
            for (String o : backgroundOrders) {
                try {
                    if (!seenOrders.add(BackgroundOrder.parse(o).toString())) Usage.invalid(cl, "--background-order", "'" + o + "' is listed twice");
                } catch (IllegalArgumentException e) {
                    Usage.invalid(cl, "--background-order", e.getMessage());
                }
            }
        }
        if (backends != null) {
            if (bench != Bench.FAULT) Usage.invalid(cl, "--backends", "applies to --bench fault only");
            Set<String> seenBackends = new HashSet<>();
            for (String b : backends) {
                try {
                    org.postcopysim.cli.FaultBenchBackend.parse(b);
                } catch (IllegalArgumentException e) {
                    Usage.invalid(cl, "--backends", e.getMessage());
                }
                if (!seenBackends.add(b)) Usage.invalid(cl, "--backends", "'" + b + "' is listed twice");
                if (b.equals("kernel")) {
                    for (String m : modes) {
                        if (!m.equals("uffd") && !m.equals("none")) {
                            Usage.invalid(cl, "--backends", "kernel runs modes none and uffd only (" + m + " needs KVM "
                                    + "Userfault, which the upstream kernel has not got)");
                        }
                    }
                }
            }
        }
        if (repeats < 1) Usage.invalid(cl, "--repeat", "must be at least 1, got " + repeats);
        if (runTimeoutSec < 1) Usage.invalid(cl, "--run-timeout", "must be at least 1 second, got " + runTimeoutSec);
        if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
            Usage.invalid(cl, "--out", outDir + " exists and is not a directory");
        }
        passthrough.validate(cl, bench);
    }
}
