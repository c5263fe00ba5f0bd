package org.postcopysim.cli.compare;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.postcopysim.cli.ByteSize;
import org.postcopysim.cli.HostOptions;
import org.postcopysim.cli.SeedOption;
import org.postcopysim.cli.VersionProvider;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.sim.bench.SimFaultBench;
import org.postcopysim.sim.bench.SimFaultBenchConfig;
import org.postcopysim.sim.bench.SimFaultBenchResult;
import org.postcopysim.sim.bench.TableA;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;
import org.postcopysim.cli.SimCosts;
import org.postcopysim.sim.cost.HostCostProbe;
import org.postcopysim.sim.migration.SimMigration;
import org.postcopysim.sim.migration.SimMigrationConfig;
import org.postcopysim.sim.migration.SimMigrationResult;
import org.postcopysim.dest.workload.HostEventSpec;
import org.postcopysim.guest.Workload;
import org.postcopysim.sim.dest.SimHostEvents;
import org.postcopysim.sim.dest.SimMmuConfig;
import org.postcopysim.sim.dest.SimMmuCounters;
import org.postcopysim.source.policy.BackgroundOrder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code postcopy-sim simulate}: the comparison of {@code compare}, in virtual time, at any vCPU
 * count: every mode x vCPU count x readers x repeat runs in this JVM on the discrete-event
 * simulator, driving the same model as the real run. Writes what {@code compare} writes (a table
 * on stdout; results.csv, results.json and the plots in the output directory), every record
 * marked {@code "simulated": true}.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Simulate fault modes in virtual time (a deterministic discrete-event simulation of the same "
                + "KVM and userfaultfd model, with simulated host CPUs and locks and a cost model of named "
                + "parameters): every mode x vCPU count x readers x repeat; prints a table and writes results.csv, "
                + "results.json, pages-per-sec.png and fault-latency-cdf.png to --out. The same seed gives the same "
                + "trace hash.")
public final class SimulateCommand implements Callable<Integer> {
    /** The modes a simulation takes. */
    static final List<String> MODES = List.of("none", "kvm-userfault", "exit-on-missing", "uffd", "uffd+kvm-userfault");

    @Spec
    CommandSpec spec;

    @Option(names = "--bench", paramLabel = "KIND", defaultValue = "fault", converter = Bench.Converter.class,
            description = "fault (the fault benchmark: every vCPU touches each page of its range once, as the "
                    + "kernel's demand_paging_test) or migration (a whole postcopy migration: the vCPUs run --workload "
                    + "while the source streams every page and answers their requests over simulated channels). "
                    + "Default: ${DEFAULT-VALUE}.")
    Bench bench;

    @Option(names = "--channels", paramLabel = "N", defaultValue = "2",
            description = "Migration: 1 (demand answers queue behind the background stream on one channel) or 2 "
                    + "(postcopy-preempt: demand answers on their own channel). Default: ${DEFAULT-VALUE}.")
    int channels;

    @Option(names = "--net-latency-us", paramLabel = "US",
            description = "Migration: one-way latency of each channel (microseconds; default: the cost model's net-latency, 30).")
    Long netLatencyUs;

    @Option(names = "--workload", paramLabel = "KIND", defaultValue = "uniform",
            description = "Migration: what the vCPUs do: uniform, sequential, zipf[:theta] or hotset. Default: ${DEFAULT-VALUE}.")
    String workload;

    @Option(names = "--write-fraction", paramLabel = "F", defaultValue = "0.2",
            description = "Migration: fraction of guest accesses that write. Default: ${DEFAULT-VALUE}.")
    double writeFraction;

    @Option(names = "--access-rate", paramLabel = "N", defaultValue = "1000000",
            description = "Migration: guest accesses per second per vCPU (0 = flat out). Default: ${DEFAULT-VALUE}.")
    long accessRate;

    @Option(names = "--max-bandwidth", paramLabel = "BYTES/S", defaultValue = "0", converter = ByteSize.class,
            description = "Migration: cap of the background stream in bytes/s (0 = uncapped: it saturates its channel). "
                    + "Default: ${DEFAULT-VALUE}.")
    long maxBandwidth;

    @Option(names = "--modes", split = ",", paramLabel = "MODE", defaultValue = "none,kvm-userfault,exit-on-missing,uffd,uffd+kvm-userfault",
            description = "Fault modes, comma-separated: none (no userfault: the host resolves first-touch faults), "
                    + "kvm-userfault, exit-on-missing, uffd, uffd+kvm-userfault. The first is the table's baseline; "
                    + "--bench migration leaves none out of the default. Default: ${DEFAULT-VALUE}.")
    List<String> modes;

    @Option(names = "--background-order", split = ",", paramLabel = "ORDER", defaultValue = "follow-faults",
            converter = org.postcopysim.cli.BackgroundOrderConverter.class,
            description = "Migration: the simulated source's background orders, comma-separated, each a run of its own "
                    + "(shown as 'MODE [ORDER]' when more than one): " + org.postcopysim.cli.BackgroundOrderConverter.DESCRIPTION
                    + " The table adds network-bound faults as a share of the pages the guest touched, demand faults "
                    + "and blocktime. Default: ${DEFAULT-VALUE}.")
    List<BackgroundOrder> backgroundOrders;

    @Option(names = "--streams", split = ",", paramLabel = "N", defaultValue = "1",
            description = "Migration: background streams (QEMU's multifd channels, 1.." + org.postcopysim.protocol.StreamCount.MAX
                    + "), comma-separated, each count a run of its own (shown as 'MODE [N streams]' when more than one). "
                    + "The streams share the link (each channel 1/N of net-bandwidth) and the cap; each has its own event "
                    + "loop on the destination. Default: ${DEFAULT-VALUE}.")
    List<Integer> streamCounts;

    @Option(names = "--vcpus", split = ",", paramLabel = "N", defaultValue = "1,2,4,8,16,32,64",
            description = "vCPU counts, comma-separated (1.." + SimFaultBenchConfig.MAX_VCPUS + "). Default: ${DEFAULT-VALUE}.")
    List<Integer> vcpuCounts;

    @Option(names = "--mem-per-vcpu", paramLabel = "SIZE", defaultValue = "64M", converter = ByteSize.class,
            description = "Guest memory per vCPU (each vCPU touches its own range once). Default: ${DEFAULT-VALUE}.")
    long memPerVcpu;

    @Option(names = "--uffd-readers", split = ",", paramLabel = "N|vcpus", defaultValue = "1",
            description = "Reader threads per uffd for the uffd modes, comma-separated: a number, or 'vcpus' for as "
                    + "many as vCPUs (table A's third column). Each value is a run of its own. Default: ${DEFAULT-VALUE}.")
    List<String> readers;

    @Option(names = "--uffd-scope", paramLabel = "SCOPE", defaultValue = "shared",
            description = "shared (one uffd for all memory) or per-vcpu (one per vCPU range). Default: ${DEFAULT-VALUE}.")
    String scope;

    @Option(names = "--host-cpus", paramLabel = "N",
            description = "Host CPUs the vCPU and reader threads compete for (default: the cost model's host-cpus, 96, "
                    + "the machine of the published table).")
    Integer hostCpus;

    @Option(names = "--fetch-delay-us", paramLabel = "US", defaultValue = "0",
            description = "The handler's delay before each copy (microseconds), as demand_paging_test's -d. Default: ${DEFAULT-VALUE}.")
    long fetchDelayUs;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "1",
            description = "Runs of each cell, each with its own seed. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Mixin
    HostOptions host;

    @Option(names = "--internal-access-fraction", paramLabel = "F", defaultValue = "0",
            description = "Fraction of accesses made by KVM itself on a vCPU's behalf (steal time, kvmclock and the "
                    + "like), through each vCPU's gfn-to-pfn cache: they cannot exit, so a missing page faults "
                    + "through the uffd, and host events (--host-events) invalidate the cached translations. Applies "
                    + "to the uffd+kvm-userfault runs, which --modes must include. Default: ${DEFAULT-VALUE}.")
    double internalFraction;

    @Option(names = "--cost-file", paramLabel = "FILE",
            description = "Cost overrides, 'name = value' lines (see --print-costs for the names, units and defaults).")
    Path costFile;

    @Option(names = "--print-costs", description = "Print every cost with its unit, value and origin (after --cost-file "
            + "and --host-cpus), as a cost file, and exit.")
    boolean printCosts;

    @Option(names = "--measure-costs", description = "Measure this machine's measured costs (4 KiB copy, CRC32C), "
            + "print them as cost-file lines, and exit.")
    boolean measureCosts;

    @Option(names = "--calibrate-host", paramLabel = "FILE",
            description = "Measure this host's costs with the kernel backend (a fault's round trip through the uffd "
                    + "wait queue, its steps one by one, a thread wake-up across cores, the 4 KiB copy), fit the cost "
                    + "model to them with host-cpus = this machine's CPUs, write it to FILE as a cost file, print what "
                    + "was measured, and exit (validate checks the result against the kernel).")
    Path calibrateHost;

    @Option(names = "--table-a", description = "Simulate every cell of the published KVM Userfault table A (2, 8 and 64 "
            + "vCPUs; none, uffd with 1 reader, uffd with readers = vCPUs, uffd + KVM Userfault, KVM Userfault; one uffd, "
            + "--mem-per-vcpu each) and print it beside the published figures with the ratios; exits 0 when every cell "
            + "is within 2x and the authors' conclusions hold.")
    boolean tableA;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for results.csv, results.json and the plots.")
    Path outDir;

    @Mixin
    SeedOption seed;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        PrintWriter out = cl.getOut();
        if (measureCosts) {
            HostCostProbe.Measured m = HostCostProbe.measure();
            out.printf("# measured on this machine by postcopy-sim simulate --measure-costs%n");
            out.printf("%s = %d%n%s = %d%n", Cost.COPY_4K_NS.key(), m.copy4kNs(), Cost.CRC32C_4K_NS.key(), m.crc32c4kNs());
            out.flush();
            return 0;
        }
        if (calibrateHost != null) return calibrateHost(cl, out);
        CostModel costs = costs(cl);
        if (printCosts) {
            out.print(costs.toFileText());
            out.flush();
            return 0;
        }
        if (tableA) {
            long s = seed.value();
            out.printf(Locale.ROOT, "simulate: table A in virtual time, seed %d, %s per vCPU, %d host CPUs%n", s,
                    ByteSize.format(memPerVcpu), costs.get(Cost.HOST_CPUS));
            out.flush();
            List<TableA.Cell> cells = TableA.simulate(costs, memPerVcpu, s);
            out.print(TableA.format(cells));
            double worst = TableA.worstRatio(cells);
            List<String> broken = TableA.brokenConclusions(cells);
            out.printf(Locale.ROOT, "simulate: worst cell off by %.2fx (limit 2x); conclusions: %s%n", worst,
                    broken.isEmpty() ? "all hold (exits beat uffd uncontended; the shared uffd collapses as vCPUs grow; "
                            + "at 64 vCPUs more readers make it worse)" : String.join("; ", broken));
            out.flush();
            return worst <= 2.0 && broken.isEmpty() ? 0 : 1;
        }
        if (outDir == null) throw new CommandLine.ParameterException(cl, "--out DIR is required (except with --print-costs or --measure-costs)");
        boolean modesGiven = cl.getParseResult() != null && cl.getParseResult().hasMatchedOption("--modes");
        if (bench == Bench.MIGRATION && !modesGiven) {
            modes = new ArrayList<>(modes);
            modes.remove("none"); // the default list, for a bench that cannot run it
        }
        boolean ordersGiven = cl.getParseResult() != null && cl.getParseResult().hasMatchedOption("--background-order");
        if (ordersGiven && bench != Bench.MIGRATION) {
            throw new CommandLine.ParameterException(cl, "--background-order applies to --bench migration only");
        }
        if (new java.util.HashSet<>(backgroundOrders).size() != backgroundOrders.size()) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--background-order': an order is "
                    + "listed twice (" + backgroundOrders + ")");
        }
        boolean streamsGiven = cl.getParseResult() != null && cl.getParseResult().hasMatchedOption("--streams");
        if (streamsGiven && bench != Bench.MIGRATION) {
            throw new CommandLine.ParameterException(cl, "--streams applies to --bench migration only");
        }
        for (int n : streamCounts) {
            try {
                org.postcopysim.protocol.StreamCount.check(n);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "Invalid value for option '--streams': " + e.getMessage());
            }
        }
        if (new java.util.HashSet<>(streamCounts).size() != streamCounts.size()) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--streams': a count is listed twice ("
                    + streamCounts + ")");
        }
        if (channels != 1 && channels != 2) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--channels': 1 or 2, got " + channels);
        }
        List<Cell> cells = plan(cl);
        if (bench == Bench.MIGRATION && modes.contains("none")) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--modes': none fetches nothing, so "
                    + "--bench migration cannot run it");
        }
        UffdSet.Scope uffdScope = scope(cl);
        if (uffdScope == UffdSet.Scope.PER_VCPU && !modes.contains("uffd") && !modes.contains("uffd+kvm-userfault")) {
            throw new CommandLine.ParameterException(cl, "--uffd-scope per-vcpu needs a uffd mode in --modes");
        }
        if (!(internalFraction >= 0 && internalFraction <= 1)) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--internal-access-fraction': "
                    + "internal access fraction must be within 0..1, got " + internalFraction);
        }
        if (internalFraction > 0 && !modes.contains("uffd+kvm-userfault")) {
            throw new CommandLine.ParameterException(cl, "--internal-access-fraction applies to uffd+kvm-userfault only, "
                    + "which --modes does not include (modes: " + String.join(",", modes) + ")");
        }
        HostEventSpec hostEvents = host.spec(cl);
        long s = seed.value();
        host.options(cl, s); // a fraction outside 0..1 is a usage error before anything runs
        for (Cell c : cells) host.checkMode(cl, c.mode);
        List<String> labels = new ArrayList<>();
        for (Cell c : cells) if (!labels.contains(c.label)) labels.add(c.label);
        RunPlan plan = RunPlan.of(bench, labels, vcpuCounts, repeats, s);
        Files.createDirectories(outDir);
        out.printf(Locale.ROOT, "simulate: seed %d; %d runs in virtual time (%s bench), %s per vCPU, %d host CPUs; output in %s%n",
                s, plan.runs().size(), bench.label, ByteSize.format(memPerVcpu), costs.get(Cost.HOST_CPUS), outDir);
        out.flush();
        List<RunRecord> records = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try (CompareProgress progress = CompareProgress.start(org.postcopysim.cli.Terminal.stderrIsTerminal(),
                plan.runs().size(), cl.getErr())) {
            int done = 0;
            for (RunPlan.Run run : plan.runs()) {
                Cell cell = cellOf(cells, run.mode());
                int r = cell.readersFor(run.vcpus());
                progress.starting(run.label());
                ObjectNode j;
                SimMmuConfig mmu = new SimMmuConfig(hostEvents, host.options(cl, run.seed()), SimHostEvents.Control.NONE);
                SimMmuCounters counters;
                // KVM's own accesses exist in uffd+kvm-userfault only (FaultOptions refuses them elsewhere).
                double internal = cell.mode == FaultMode.UFFD_KVM_USERFAULT ? internalFraction : 0;
                try {
                    if (bench == Bench.FAULT) {
                        SimFaultBenchResult res = SimFaultBench.run(new SimFaultBenchConfig(cell.mode, run.vcpus(), memPerVcpu,
                                r, uffdScope, fetchDelayUs * 1000, run.seed(), costs, false, mmu, internal));
                        j = json(res, run, costs);
                        counters = res.mmu();
                    } else {
                        SimMigrationResult res = SimMigration.run(new SimMigrationConfig(cell.mode, run.vcpus(), memPerVcpu,
                                r, uffdScope, workloadOf(cl), accessRate, channels, 64, maxBandwidth,
                                SimMigrationConfig.DEFAULT_SEND_BUFFER_BYTES, run.seed(), costs, mmu, internal, cell.order,
                                cell.streams));
                        j = json(res, run, costs);
                        counters = res.mmu();
                    }
                } catch (IllegalArgumentException e) {
                    // The model refuses the layout and MMU options (e.g. private memory in a mode that cannot reach it).
                    throw new CommandLine.ParameterException(cl, run.label() + ": " + e.getMessage());
                }
                putMmu(j, counters, hostEvents, host.privateFraction(), host.notifyUpgrades());
                j.put("internalAccessFraction", internal);
                RunRecord rec = new RunRecord(bench, run, j);
                progress.step(++done);
                if (j.path("verified").asBoolean()) {
                    records.add(rec);
                } else {
                    failures.add(run.label() + " (seed " + run.seed() + "): " + j.path("error").asText());
                    if (counters.failure() != null) {
                        cl.getErr().printf("simulate: %s (seed %d): %s%n", run.label(), run.seed(), counters.failure());
                        cl.getErr().flush();
                    }
                }
                if (!progress.shown()) {
                    out.printf(Locale.ROOT, "simulate: [%d/%d] %s: %s pages/s, fault p50 %s, p99 %s%s, %d events, trace %s, %d ms%n",
                            run.index() + 1, plan.runs().size(), run.label(), ResultTable.rate(rec.pagesPerSecOverall()),
                            ResultTable.duration(rec.latencyNs("p50")), ResultTable.duration(rec.latencyNs("p99")),
                            bench != Bench.MIGRATION ? "" : String.format(Locale.ROOT,
                                    ", background %s: %d network-bound faults (%.1f%% of %d pages touched), %d page "
                                            + "requests, blocktime %s", j.path("backgroundOrder").asText(),
                                    j.path("networkBoundFaults").asLong(), 100 * j.path("networkBoundFraction").asDouble(),
                                    j.path("pagesTouched").asLong(), j.path("pageRequests").asLong(),
                                    ResultTable.duration(rec.blocktimeAllNs())),
                            j.path("events").asLong(), j.path("traceHash").asText(), j.path("wallMs").asLong());
                    if (hostEvents != null || internal > 0) {
                        out.printf(Locale.ROOT, "simulate:   host events %d: %d invalidations, %d stage-2 entries zapped, "
                                + "%d local refaults, %d retried faults (%d commits), %d lazy upgrades, %d pfn-cache "
                                + "invalidations, %d refreshes%s, %d arrived pages refetched, MMU invariants %s%s%n",
                                counters.hostEvents(), counters.invalidations(), counters.stage2Zapped(),
                                counters.localRefaults(), counters.retriedFaults(), counters.commitRetries(),
                                counters.lazyUpgrades(), counters.pfnCacheInvalidations(), counters.pfnCacheRefreshes(),
                                internal > 0 ? String.format(Locale.ROOT, " (%d retried) for %d internal accesses",
                                        counters.pfnCacheRetries(), counters.internalAccesses()) : "",
                                counters.refetchedArrivedPages(),
                                counters.violations().isEmpty() ? "hold" : "VIOLATED (" + counters.violations().size() + ")",
                                counters.mmuChecks() > 0 ? " (checked " + counters.mmuChecks() + " times during the run)" : "");
                    }
                    out.flush();
                }
            }
        }
        out.println();
        ResultTable.print(out, plan, records);
        Path csv = outDir.resolve("results.csv");
        Path jsonFile = outDir.resolve("results.json");
        CsvWriter.write(csv, records);
        JsonResults.write(jsonFile, records);
        List<String> wrote = new ArrayList<>(List.of(csv.toString(), jsonFile.toString()));
        if (!records.isEmpty()) {
            try {
                Path rate = outDir.resolve("pages-per-sec.png");
                Path cdf = outDir.resolve("fault-latency-cdf.png");
                Plots.pagesPerSec(rate, bench, records);
                Plots.faultLatencyCdf(cdf, records);
                wrote.add(rate.toString());
                wrote.add(cdf.toString());
            } catch (IOException | RuntimeException | LinkageError e) {
                cl.getErr().printf("simulate: could not draw the plots: %s%n", e);
            }
        }
        out.printf("simulate: wrote %s%n", String.join(", ", wrote));
        for (String f : failures) out.printf("simulate: FAILED: %s%n", f);
        out.flush();
        return failures.isEmpty() ? 0 : 1;
    }

    /** {@code --calibrate-host FILE}: 0 when written, 3 when the kernel backend cannot run here. */
    private int calibrateHost(CommandLine cl, PrintWriter out) throws IOException {
        org.postcopysim.cli.JsonOption.checkWritable(cl, "--calibrate-host", calibrateHost);
        int cpus = Runtime.getRuntime().availableProcessors();
        long s = seed.value();
        out.printf(Locale.ROOT, "simulate: calibrating this host with the kernel backend, seed %d, %d host CPUs%n", s, cpus);
        out.flush();
        try {
            org.postcopysim.cli.validate.Calibration c = org.postcopysim.cli.validate.HostCalibration.run(
                    new org.postcopysim.cli.validate.HostCalibration.Options(
                            org.postcopysim.cli.validate.HostCalibration.Options.DEFAULT_ROUNDS,
                            org.postcopysim.cli.validate.HostCalibration.Options.DEFAULT_PAGES, s), cpus);
            for (String l : c.summaryLines()) out.println("simulate: " + l);
            Files.writeString(calibrateHost, c.costFileText());
            out.printf("simulate: wrote %s%n", calibrateHost);
            out.flush();
            return 0;
        } catch (org.postcopysim.kernel.KernelUnavailable e) {
            cl.getErr().printf("simulate: the kernel backend cannot run here: %s%n", e.getMessage());
            cl.getErr().flush();
            return org.postcopysim.cli.validate.ValidateCommand.EXIT_KERNEL_UNAVAILABLE;
        }
    }

    /** The MMU fields of a simulated record (0 without host events). */
    static void putMmu(ObjectNode j, SimMmuCounters m, HostEventSpec spec, double privateFraction, boolean notifyUpgrades) {
        j.put("hostEventSpec", spec == null ? "" : spec.toString());
        j.put("privateFraction", privateFraction);
        j.put("notifyUpgrades", notifyUpgrades);
        j.put("hostEvents", m.hostEvents());
        j.put("invalidations", m.invalidations());
        j.put("stage2Zapped", m.stage2Zapped());
        j.put("localRefaults", m.localRefaults());
        j.put("pfnCacheInvalidations", m.pfnCacheInvalidations());
        j.put("pfnCacheRefreshes", m.pfnCacheRefreshes());
        j.put("retriedFaults", m.retriedFaults());
        j.put("commitRetries", m.commitRetries());
        j.put("lazyUpgrades", m.lazyUpgrades());
        j.put("refetchedArrivedPages", m.refetchedArrivedPages());
        j.put("mmuLockContended", m.mmuLockContended());
        j.put("internalAccesses", m.internalAccesses());
        j.put("pfnCacheRetries", m.pfnCacheRetries());
        j.put("mmuChecks", m.mmuChecks());
        ArrayNode v = j.putArray("mmuViolations");
        for (String s : m.violations()) v.add(s);
    }

    private Workload workloadOf(CommandLine cl) {
        try {
            return Workload.parse(workload, writeFraction);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--workload': " + e.getMessage());
        }
    }

    private CostModel costs(CommandLine cl) {
        CostModel costs = SimCosts.resolve(cl, costFile, hostCpus);
        if (netLatencyUs != null) {
            try {
                costs = costs.with(Cost.NET_LATENCY_NS, Math.multiplyExact(netLatencyUs, 1000L), "--net-latency-us");
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new CommandLine.ParameterException(cl, "Invalid value for option '--net-latency-us': " + e.getMessage());
            }
        }
        return costs;
    }

    /** One column of the comparison: a mode, for uffd modes one readers setting, and for a migration one background order. */
    static final class Cell {
        final String label;
        final FaultMode mode;
        /** Readers per uffd, or -1 for as many as vCPUs. */
        final int readers;
        final BackgroundOrder order;
        /** Background streams (migration). */
        final int streams;

        Cell(String label, FaultMode mode, int readers, BackgroundOrder order, int streams) {
            this.label = label;
            this.mode = mode;
            this.readers = readers;
            this.order = order;
            this.streams = streams;
        }

        int readersFor(int vcpus) {
            return readers < 0 ? vcpus : readers;
        }
    }

    private List<Cell> plan(CommandLine cl) {
        if (repeats < 1) throw new CommandLine.ParameterException(cl, "Invalid value for option '--repeat': at least 1, got " + repeats);
        for (int v : vcpuCounts) {
            if (v < 1 || v > SimFaultBenchConfig.MAX_VCPUS) {
                throw new CommandLine.ParameterException(cl, "Invalid value for option '--vcpus': " + v + " is outside 1.."
                        + SimFaultBenchConfig.MAX_VCPUS);
            }
        }
        if (memPerVcpu < 4096 || memPerVcpu % 4096 != 0) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--mem-per-vcpu': a positive multiple of 4 KiB");
        }
        if (fetchDelayUs < 0) throw new CommandLine.ParameterException(cl, "Invalid value for option '--fetch-delay-us': must not be negative");
        List<Integer> readerValues = new ArrayList<>();
        for (String r : readers) {
            String t = r.trim().toLowerCase(Locale.ROOT);
            if (t.equals("vcpus")) {
                readerValues.add(-1);
                continue;
            }
            try {
                int n = Integer.parseInt(t);
                if (n < 1 || n > 1024) throw new NumberFormatException();
                readerValues.add(n);
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(cl, "Invalid value for option '--uffd-readers': '" + r
                        + "' is neither 1..1024 nor 'vcpus'");
            }
        }
        List<Cell> cells = new ArrayList<>();
        for (String m : modes) {
            if (!MODES.contains(m)) {
                throw new CommandLine.ParameterException(cl, "Invalid value for option '--modes': unknown mode '" + m
                        + "' (expected " + String.join(", ", MODES) + ")");
            }
            FaultMode mode = FaultMode.parse(m);
            List<BackgroundOrder> orders = bench == Bench.MIGRATION ? backgroundOrders : List.of(BackgroundOrder.DEFAULT);
            List<Integer> counts = bench == Bench.MIGRATION ? streamCounts : List.of(1);
            for (BackgroundOrder o : orders) {
                for (int n : counts) {
                    List<String> dims = new ArrayList<>();
                    if (orders.size() > 1) dims.add(o.toString());
                    if (counts.size() > 1) dims.add(n + (n == 1 ? " stream" : " streams"));
                    String suffix = dims.isEmpty() ? "" : " [" + String.join(", ", dims) + "]";
                    if (!mode.usesUffd() || readerValues.size() == 1) {
                        int r = mode.usesUffd() ? readerValues.get(0) : 1;
                        cells.add(new Cell(m + suffix, mode, r, o, n));
                    } else {
                        for (int r : readerValues) cells.add(new Cell(m + ":" + (r < 0 ? "vcpus" : r) + suffix, mode, r, o, n));
                    }
                }
            }
        }
        return cells;
    }

    private UffdSet.Scope scope(CommandLine cl) {
        switch (scope.trim().toLowerCase(Locale.ROOT)) {
            case "shared":
                return UffdSet.Scope.SHARED;
            case "per-vcpu":
                return UffdSet.Scope.PER_VCPU;
            default:
                throw new CommandLine.ParameterException(cl, "Invalid value for option '--uffd-scope': expected shared or per-vcpu, got '" + scope + "'");
        }
    }

    private static Cell cellOf(List<Cell> cells, String label) {
        for (Cell c : cells) if (c.label.equals(label)) return c;
        throw new IllegalStateException("no cell " + label);
    }

    private static void putLatency(ObjectNode j, SimFaultBenchResult.Latency l) {
        ObjectNode lat = j.putObject("faultLatencyNs");
        lat.put("count", l.count());
        lat.put("p50", l.p50());
        lat.put("p90", l.p90());
        lat.put("p99", l.p99());
        lat.put("p999", l.p999());
        lat.put("max", l.max());
        lat.put("mean", l.mean());
    }

    /** The record of one simulated migration, with compare's field names, marked simulated. */
    static ObjectNode json(SimMigrationResult r, RunPlan.Run run, CostModel costs) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("simulated", true);
        j.put("bench", Bench.MIGRATION.label);
        j.put("mode", r.mode());
        j.put("vcpus", r.vcpus());
        j.put("readers", r.readers());
        j.put("repeat", run.repeat());
        j.put("seed", r.seed());
        j.put("channels", r.channels());
        j.put("netLatencyNs", r.netLatencyNs());
        j.put("netBandwidthBytesPerSec", costs.get(Cost.NET_BANDWIDTH_BYTES_PER_SEC));
        j.put("hostCpus", costs.get(Cost.HOST_CPUS));
        j.put("verified", r.verified());
        if (r.error() != null) j.put("error", r.error());
        j.put("pagesTotal", r.pages());
        j.put("migrationTimeMs", r.migrationNs() / 1e6);
        j.put("pagesPerSecOverall", r.migrationNs() == 0 ? 0 : r.pages() * 1e9 / r.migrationNs());
        j.put("guestAccesses", r.guestAccesses());
        j.put("pageRequests", r.pageRequests());
        j.put("demandFaults", r.demandFaults());
        j.put("redundantFaults", r.redundantFaults());
        j.put("exits", r.exits());
        j.put("hostFaults", r.hostFaults());
        j.put("demandPages", r.demandPagesInstalled());
        j.put("backgroundPages", r.backgroundPagesInstalled());
        j.put("duplicatePages", r.duplicatePages());
        putLatency(j, r.faultLatencyNs());
        j.put("blocktimeAllMs", r.allBlockedNs() / 1e6);
        j.put("blockedNsTotal", r.blockedNsTotal());
        j.put("backgroundOrder", r.backgroundOrder());
        j.put("streams", r.streams());
        com.fasterxml.jackson.databind.node.ArrayNode sp = j.putArray("streamPages");
        for (long p : r.streamPages()) sp.add(p);
        j.put("pagesTouched", r.networkBound().pagesTouched());
        j.put("networkBoundFaults", r.networkBound().faults());
        j.put("networkBoundFraction", r.networkBound().fraction());
        j.put("events", r.events());
        j.put("traceHash", r.traceHashHex());
        j.put("wallMs", r.wallMs());
        return j;
    }

    /** The record of one run, with compare's field names, marked simulated. */
    static ObjectNode json(SimFaultBenchResult r, RunPlan.Run run, CostModel costs) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("simulated", true);
        j.put("bench", Bench.FAULT.label);
        j.put("mode", r.mode());
        j.put("vcpus", r.vcpus());
        j.put("readers", r.readers());
        j.put("uffdScope", r.uffdScope());
        j.put("repeat", run.repeat());
        j.put("seed", r.seed());
        j.put("memPerVcpuBytes", r.memPerVcpuBytes());
        j.put("hostCpus", costs.get(Cost.HOST_CPUS));
        j.put("verified", r.verified());
        if (r.error() != null) j.put("error", r.error());
        j.put("pagesTouched", r.pagesTouched());
        j.put("pagesPerSecOverall", r.pagesPerSecOverall());
        ArrayNode per = j.putArray("pagesPerSecPerVcpu");
        for (double d : r.pagesPerSecPerVcpu()) per.add(d);
        putLatency(j, r.faultLatencyNs());
        j.put("exits", r.exits());
        j.put("hostFaults", r.hostFaults());
        j.put("demandFaults", r.demandFaults());
        j.put("redundantFaults", r.redundantFaults());
        j.put("populates", r.populates());
        ObjectNode uffd = j.putObject("uffd");
        uffd.put("reads", r.uffdReads());
        uffd.put("wakes", r.uffdWakes());
        uffd.put("waitersVisited", r.waitersVisited());
        uffd.put("eexist", r.eexist());
        uffd.put("pollerWakeups", r.pollerWakeups());
        j.put("waitersVisitedPerWake", r.waitersVisitedPerWake());
        j.put("lockContended", r.lockContended());
        j.put("virtualNs", r.virtualNs());
        j.put("events", r.events());
        j.put("traceHash", r.traceHashHex());
        j.put("wallMs", r.wallMs());
        return j;
    }
}
