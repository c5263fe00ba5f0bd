package org.postcopysim.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.postcopysim.dest.bench.FaultBenchConfig;
import org.postcopysim.dest.bench.FaultBenchResult;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.guest.Workload;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.kernel.KernelBenchOptions;
import org.postcopysim.kernel.KernelFaultBench;
import org.postcopysim.kernel.Uffd;
import org.postcopysim.sim.cost.CostModel;
import org.postcopysim.protocol.VcpuCount;
import org.postcopysim.text.Plural;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code postcopy-sim fault-bench}: the kernel's demand_paging_test, on the simulated KVM. */
@Command(name = "fault-bench", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        defaultValueProvider = FaultBenchCommand.Defaults.class,
        description = "Measure the fault path alone, like the kernel's demand_paging_test: no network; every page "
                + "starts missing and comes from local memory after --fetch-delay-us; each vCPU touches every page of "
                + "its range once. Prints per-vCPU and overall pages/s and the fault latency.")
public final class FaultBenchCommand implements Callable<Integer> {
    /** Longest --fetch-delay-us (an hour): more is surely a typo, and its nanoseconds must fit a long. */
    static final long MAX_FETCH_DELAY_US = 3_600_000_000L;

    private static final Logger log = LoggerFactory.getLogger(FaultBenchCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--vcpus", paramLabel = "N", defaultValue = "1", description = "vCPU threads. Default: ${DEFAULT-VALUE}.")
    int vcpus;

    @Option(names = "--mem-per-vcpu", paramLabel = "SIZE", converter = ByteSize.class, defaultValue = "64M",
            description = "Memory each vCPU touches (as in the KVM Userfault cover letter's runs). Default: ${DEFAULT-VALUE}.")
    long memPerVcpu;

    @Option(names = "--fetch-delay-us", paramLabel = "US", defaultValue = "0",
            description = "Time each page takes to arrive, in microseconds. Default: ${DEFAULT-VALUE}.")
    long fetchDelayUs;

    @Option(names = "--write-fraction", paramLabel = "F", defaultValue = "0",
            description = "Fraction of touches that write; reads are checked against the source. Default: ${DEFAULT-VALUE}.")
    double writeFraction;

    @Option(names = "--warmup-mem", paramLabel = "SIZE", converter = ByteSize.class, defaultValue = "256M",
            description = "Before measuring, run the same benchmark once over this much memory in all (split over the "
                    + "vCPUs) and discard it, so the JIT has compiled the fault path; about 64 Ki faults suffice "
                    + "here. 0 = no warm-up. Default: ${DEFAULT-VALUE}.")
    long warmupMem;

    @Option(names = "--backend", paramLabel = "WHAT", defaultValue = "model",
            description = "What resolves the faults: model (the simulated KVM and userfaultfd, real threads), kernel "
                    + "(this machine's Linux userfaultfd with host threads; --fault-mode none or uffd) or sim (the "
                    + "model in virtual time, with --cost-file and --host-cpus). Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--uffd-register", paramLabel = "MODE", defaultValue = "missing",
            description = "Kernel backend: missing (anonymous memory, resolved by UFFDIO_COPY) or minor (shmem whose "
                    + "pages wait in the page cache, resolved by UFFDIO_CONTINUE). Default: ${DEFAULT-VALUE}.")
    String uffdRegister;

    @Option(names = "--uffd-wake", paramLabel = "HOW", defaultValue = "inline",
            description = "Kernel backend: inline (the resolving ioctl wakes the waiters) or separate (it runs with "
                    + "DONTWAKE and a UFFDIO_WAKE follows). Default: ${DEFAULT-VALUE}.")
    String uffdWake;

    @Option(names = "--record-placement",
            description = "Kernel backend, uffd: record the CPU of both sides of every fault (sched_getcpu) and print "
                    + "how many of the wake-ups stayed on the waker's CPU (calibrate-host's wake-affine).")
    boolean recordPlacement;

    @Option(names = "--cost-file", paramLabel = "FILE",
            description = "Sim backend: the cost model's values (see simulate --print-costs; simulate "
                    + "--calibrate-host writes one for this machine).")
    java.nio.file.Path costFile;

    @Option(names = "--host-cpus", paramLabel = "N",
            description = "Sim backend: simulated host CPUs (default: the cost model's host-cpus).")
    Integer hostCpus;

    @Mixin
    FaultModeOptions faults;

    @Mixin
    SeedOption seed;

    @Mixin
    JsonOption json;

    /**
     * Where the benchmark's defaults differ from the shared options' (demand_paging_test gives each
     * vCPU its own range): picocli applies these and the help shows them, so help and run agree.
     */
    static final class Defaults implements IDefaultValueProvider {
        static final String ACCESS = "partitioned";

        @Override
        public String defaultValue(ArgSpec argSpec) {
            return argSpec instanceof OptionSpec o && o.longestName().equals("--access") ? ACCESS : null;
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        long s = seed.value();
        FaultBenchConfig config = validatedConfig(faults.resolve(spec.commandLine()), s);
        CommandLine cl = spec.commandLine();
        FaultBenchBackend b = parsed(cl, "--backend", () -> FaultBenchBackend.parse(backend));
        KernelBenchOptions kernel = kernelOptions(cl, b);
        CostModel costs = costs(cl, b);
        if (recordPlacement && (b != FaultBenchBackend.KERNEL || config.faults().mode() != FaultMode.UFFD
                || !config.faults().partitioned())) {
            throw new CommandLine.ParameterException(cl, "--record-placement needs --backend kernel, --fault-mode uffd "
                    + "and --access partitioned (it records each page's fault)");
        }
        out.printf(Locale.ROOT, "seed: %d%n", s);
        out.flush();
        if (warmupMem > 0 && b.warmsUp()) {
            long warmupPerVcpu = Math.max(4096, warmupMem / vcpus / 4096 * 4096);
            FaultBenchResult w = run(cl, b, new FaultBenchConfig(config.faults(), vcpus, warmupPerVcpu,
                    config.fetchDelayNs(), writeFraction, s ^ 0x3A3A), kernel, costs);
            logRate("warm-up (discarded)", w);
            if (!w.verified()) {
                out.printf("warm-up run FAILED: %s%n", w.error());
                return 1;
            }
        }
        KernelFaultBench.Placement placement = null;
        FaultBenchResult r;
        if (recordPlacement) {
            KernelFaultBench.PlacedRun placed = FaultBenchBackend.runKernelRecordingPlacement(config, kernel);
            r = placed.result();
            placement = placed.placement();
        } else {
            r = run(cl, b, config, kernel, costs);
        }
        logRate("measured", r);
        print(out, r);
        if (placement != null) {
            out.printf(Locale.ROOT, "  placement %d%% of the wake-ups on the waker's CPU: of %d faults, %d read by a reader on "
                    + "the faulting thread's CPU, %d resumed on the resolving reader's CPU; the reader's placement in %d "
                    + "runs (consecutive faults placed alike)%n", placement.sameCpuPercent(),
                    placement.faults(), placement.readerOnFaultingCpu(), placement.resumedOnResolvingCpu(), placement.runs());
            KernelFaultBench.RunTimes times = placement.times();
            long spread = placement.faults() - placement.readerOnFaultingCpu();
            out.printf(Locale.ROOT, "  runs      placed: %d runs, %s per fault, %s per run; spread: %d runs, %s per fault, %s "
                    + "per run (a fault's time: its thread's, touch to next touch)%n", times.placedRuns(),
                    us(times.placedNs(), placement.readerOnFaultingCpu()), us(times.placedNs(), times.placedRuns()), times.spreadRuns(),
                    us(times.spreadNs(), spread), us(times.spreadNs(), times.spreadRuns()));
            StringBuilder threads = new StringBuilder();
            for (KernelFaultBench.ThreadCpus t : placement.threads()) threads.append(threads.length() == 0 ? "" : "; ").append(t.text());
            out.printf(Locale.ROOT, "  threads   %s (faults each ran per CPU: a vCPU thread where it faulted, a reader where it "
                    + "resolved)%n", threads);
        }
        if (json.file != null) SummaryPrinter.writeJson(json.file, r);
        return r.exitCode();
    }

    /** {@code ns / n} in microseconds ("-" for none). */
    private static String us(long ns, long n) {
        return n == 0 ? "-" : String.format(Locale.ROOT, "%.1f us", ns / 1e3 / n);
    }

    /** A run on {@code b}; a configuration the backend cannot run is a usage error naming --backend. */
    private static FaultBenchResult run(CommandLine cl, FaultBenchBackend b, FaultBenchConfig c, KernelBenchOptions kernel,
                                        CostModel costs) {
        try {
            return b.run(c, kernel, costs);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--backend': " + b.cliName() + ": "
                    + e.getMessage());
        }
    }

    private static <T> T parsed(CommandLine cl, String option, java.util.function.Supplier<T> parse) {
        Object[] v = new Object[1];
        OptionCheck.check(cl, option, () -> v[0] = parse.get());
        @SuppressWarnings("unchecked")
        T t = (T) v[0];
        return t;
    }

    /** The kernel backend's options; given with another backend they are a usage error (they would do nothing). */
    private KernelBenchOptions kernelOptions(CommandLine cl, FaultBenchBackend b) {
        Uffd.Registration reg = parsed(cl, "--uffd-register", () -> {
            switch (uffdRegister.trim().toLowerCase(Locale.ROOT)) {
                case "missing": return Uffd.Registration.MISSING;
                case "minor": return Uffd.Registration.MINOR;
                default: throw new IllegalArgumentException("expected missing or minor, got '" + uffdRegister + "'");
            }
        });
        boolean separate = parsed(cl, "--uffd-wake", () -> {
            switch (uffdWake.trim().toLowerCase(Locale.ROOT)) {
                case "inline": return false;
                case "separate": return true;
                default: throw new IllegalArgumentException("expected inline or separate, got '" + uffdWake + "'");
            }
        });
        if (b != FaultBenchBackend.KERNEL) {
            for (String o : new String[] {"--uffd-register", "--uffd-wake"}) {
                if (cl.getParseResult() != null && cl.getParseResult().hasMatchedOption(o)) {
                    throw new CommandLine.ParameterException(cl, o + " applies to --backend kernel only");
                }
            }
        }
        return KernelBenchOptions.DEFAULT.withRegistration(reg).withSeparateWake(separate);
    }

    /** The simulator's costs (--cost-file, --host-cpus); given with another backend they are a usage error. */
    private CostModel costs(CommandLine cl, FaultBenchBackend b) {
        if (b != FaultBenchBackend.SIM) {
            if (costFile != null) throw new CommandLine.ParameterException(cl, "--cost-file applies to --backend sim only");
            if (hostCpus != null) throw new CommandLine.ParameterException(cl, "--host-cpus applies to --backend sim only");
            return CostModel.defaults();
        }
        return SimCosts.resolve(cl, costFile, hostCpus);
    }

    /** The run's configuration; each value is checked under its own option, so that an error names the one at fault. */
    private FaultBenchConfig validatedConfig(FaultOptions f, long s) {
        CommandLine cl = spec.commandLine();
        json.checkWritable(cl);
        OptionCheck.check(cl, "--vcpus", () -> VcpuCount.check(vcpus));
        OptionCheck.check(cl, "--fetch-delay-us", () -> {
            if (fetchDelayUs < 0 || fetchDelayUs > MAX_FETCH_DELAY_US) {
                throw new IllegalArgumentException("must be within 0.." + MAX_FETCH_DELAY_US + " microseconds, got " + fetchDelayUs);
            }
        });
        OptionCheck.check(cl, "--write-fraction", () -> Workload.parse("uniform", writeFraction));
        OptionCheck.check(cl, "--warmup-mem", () -> {
            if (warmupMem < 0) throw new IllegalArgumentException("must not be negative, got " + warmupMem);
        });
        FaultBenchConfig[] config = new FaultBenchConfig[1];
        OptionCheck.check(cl, "--mem-per-vcpu", () -> config[0] = new FaultBenchConfig(f, vcpus, memPerVcpu,
                fetchDelayUs * 1000L, writeFraction, s));
        return config[0];
    }

    /** One INFO line per run, saying which run it was: the warm-up's rate is not the result. */
    private static void logRate(String which, FaultBenchResult r) {
        log.info("fault-bench {} run: {} ({}), {}, {} pages/s overall", which, r.mode(), r.backend(), Plural.of(r.vcpus(), "vCPU"),
                Math.round(r.pagesPerSecOverall()));
    }

    static void print(PrintWriter out, FaultBenchResult r) {
        out.printf(Locale.ROOT, "fault-bench %s (%s backend): %s, %s per vCPU, %s access%s%s, fetch delay %d us%n", r.mode(),
                r.backend(),
                Plural.of(r.vcpus(), "vCPU"), ByteSize.format(r.memPerVcpuBytes()), r.access(),
                r.readers() > 0 ? ", " + Plural.of(r.readers(), "reader") + " per uffd, " + r.uffdScope() + " uffd" : "",
                r.internalAccessFraction() > 0 ? ", internal accesses " + r.internalAccessFraction() : "",
                r.fetchDelayUs());
        if (!r.verified()) out.printf("  FAILED: %s%n", r.error());
        out.printf(Locale.ROOT, "  overall   %,.0f pages/s (%s in %s)%n", r.pagesPerSecOverall(), Plural.of(r.pagesTouched(), "page"),
                SummaryPrinter.duration(r.elapsedNs()));
        StringBuilder per = new StringBuilder();
        for (int v = 0; v < r.pagesPerSecPerVcpu().length; v++) {
            per.append(String.format(Locale.ROOT, "%svcpu-%d %,.0f", v == 0 ? "" : ", ", v, r.pagesPerSecPerVcpu()[v]));
        }
        out.printf("  per vCPU  %s pages/s%n", per);
        var l = r.faultLatencyNs();
        out.printf(Locale.ROOT, "  latency   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  over %s%n",
                SummaryPrinter.duration(l.p50()), SummaryPrinter.duration(l.p90()), SummaryPrinter.duration(l.p99()),
                SummaryPrinter.duration(l.p999()), SummaryPrinter.duration(l.max()), Plural.of(l.count(), "fault"));
        out.printf(Locale.ROOT, "  faults    %s, %s, %d redundant, %d populated (no copy), %d EEXIST%n",
                Plural.of(r.exits(), "exit"), Plural.of(r.hostFaults(), "uffd sleep"), r.redundantFaults(), r.populates(),
                r.uffd().eexist());
        if (r.readers() > 0) {
            var perWake = r.uffd().waitersVisitedPerWake();
            out.printf(Locale.ROOT, "  uffd      %s%s, %s, %s%n", Plural.of(r.uffd().wakes(), "wake"),
                    perWake == null ? " (the kernel does not say how many waiters each visited)"
                            : String.format(Locale.ROOT, " visiting %.2f waiters on average (max %d)", perWake.mean(), perWake.max()),
                    Plural.of(r.uffd().reads(), "read"), Plural.of(r.uffd().pollerWakeups(), "poller wake-up"));
        }
        out.printf(Locale.ROOT, "  blocktime %s with %s blocked at once%s%n",
                SummaryPrinter.duration(r.blocktime().allVcpusNs()), SummaryPrinter.allVcpus(r.vcpus()),
                r.backend().equals("sim") ? " (virtual time)" : "");
        out.flush();
    }
}
