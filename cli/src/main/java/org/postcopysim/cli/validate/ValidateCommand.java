package org.postcopysim.cli.validate;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.postcopysim.cli.ByteSize;
import org.postcopysim.cli.CommandFailure;
import org.postcopysim.cli.JsonOption;
import org.postcopysim.cli.SeedOption;
import org.postcopysim.cli.VersionProvider;
import org.postcopysim.kernel.KernelSupport;
import org.postcopysim.kernel.KernelUnavailable;
import org.postcopysim.kernel.Uffd;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code postcopy-sim validate}: the simulator checked against this machine's kernel. Calibrates
 * the cost model on this host (or takes {@code --cost-file}), then runs the fault benchmark of
 * three uffd configurations at each vCPU count on the kernel, the threaded model and the
 * simulator, prints them side by side with the ratios, and a verdict.
 */
@Command(name = "validate", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Check the simulator against this machine's kernel: calibrate the cost model with the kernel "
                + "backend (or take --cost-file), then run the fault benchmark (every vCPU touches its own range once) "
                + "with one shared uffd and 1 reader, one shared uffd and readers = vCPUs, and one uffd per vCPU, at each "
                + "vCPU count, on the kernel's userfaultfd, the threaded model and the simulator (host-cpus = this "
                + "machine's CPUs); print them side by side with the ratios and a verdict. Exit 0 when every sim/kernel "
                + "ratio is within [0.5, 2] and the simulation orders the three as the kernel does at each vCPU count, "
                + "1 when not, 2 on a usage error, 3 when this machine cannot run the kernel backend.")
public final class ValidateCommand implements Callable<Integer> {
    /** Exit code when the kernel backend cannot run here (the reason is printed). */
    public static final int EXIT_KERNEL_UNAVAILABLE = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--vcpus-per-cpu", split = ",", paramLabel = "N", defaultValue = "1,2,4",
            description = "vCPU counts as multiples of this machine's CPUs, comma-separated (ignored with --vcpus). "
                    + "Default: ${DEFAULT-VALUE}.")
    List<Integer> vcpusPerCpu;

    @Option(names = "--vcpus", split = ",", paramLabel = "N",
            description = "vCPU counts, comma-separated (default: --vcpus-per-cpu times this machine's CPUs).")
    List<Integer> vcpus;

    @Option(names = "--mem-per-vcpu", paramLabel = "SIZE", defaultValue = "16M", converter = ByteSize.class,
            description = "Memory each vCPU touches, and the pages of each calibration round. Default: ${DEFAULT-VALUE}.")
    long memPerVcpu;

    @Option(names = "--passes", paramLabel = "N", defaultValue = "3",
            description = "Passes over every cell on the kernel, the model and the simulation (pass p simulated with "
                    + "seed + p); each cell's figure is its fastest pass. Default: ${DEFAULT-VALUE}.")
    int passes;

    @Option(names = "--calibration-rounds", paramLabel = "N", defaultValue = "" + HostCalibration.Options.DEFAULT_ROUNDS,
            description = "Rounds of each calibration measurement (the fastest is taken). Default: ${DEFAULT-VALUE}.")
    int calibrationRounds;

    @Option(names = "--cost-file", paramLabel = "FILE",
            description = "Simulate with this cost file (as simulate --calibrate-host writes it) instead of calibrating "
                    + "first; host-cpus is set to this machine's CPUs either way.")
    Path costFile;

    @Option(names = "--tie-tolerance", paramLabel = "F", defaultValue = "0.1",
            description = "Two configurations whose kernel rates are within this fraction of each other, or that the "
                    + "kernel's passes do not all run in the same order, are tied: either simulated order is accepted. "
                    + "Default: ${DEFAULT-VALUE}.")
    double tieTolerance;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the table and the verdict as JSON to FILE.")
    Path json;

    @Mixin
    SeedOption seed;

    @Override
    public Integer call() throws IOException {
        CommandLine cl = spec.commandLine();
        PrintWriter out = cl.getOut();
        int cpus = Runtime.getRuntime().availableProcessors();
        List<Integer> counts = counts(cl, cpus);
        if (passes < 1) throw new CommandLine.ParameterException(cl, "Invalid value for option '--passes': at least 1, got " + passes);
        if (calibrationRounds < 1) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--calibration-rounds': at least 1, got "
                    + calibrationRounds);
        }
        if (memPerVcpu < 16 * 4096 || memPerVcpu % 4096 != 0) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--mem-per-vcpu': a multiple of 4 KiB, "
                    + "at least 64K");
        }
        if (!(tieTolerance >= 0 && tieTolerance < 1)) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--tie-tolerance': within 0..1, got " + tieTolerance);
        }
        JsonOption.checkWritable(cl, "--json", json);
        CostModel fromFile = costFile == null ? null : loadCosts(cl);
        String why = KernelSupport.unavailableReason(Uffd.Registration.MISSING);
        if (why != null) {
            cl.getErr().printf("validate: the kernel backend cannot run here: %s%n", why);
            cl.getErr().flush();
            return EXIT_KERNEL_UNAVAILABLE;
        }
        long s = seed.value();
        out.printf(Locale.ROOT, "validate: seed %d, %s per vCPU, vCPUs %s, %d host CPUs, %d passes, load average %s%n", s,
                ByteSize.format(memPerVcpu), counts, cpus, passes, LoadAverage.text());
        out.flush();
        try {
            CostModel costs;
            String source;
            if (fromFile != null) {
                costs = fromFile.with(Cost.HOST_CPUS, cpus, "validate (nproc)");
                source = costFile.toString();
            } else {
                out.println("validate: calibrating this host (simulate --calibrate-host)");
                Calibration c = HostCalibration.run(new HostCalibration.Options(calibrationRounds, memPerVcpu / 4096, s), cpus);
                for (String l : c.summaryLines()) out.println("validate:   " + l);
                costs = c.costs();
                source = "calibrated";
            }
            out.flush();
            List<ValidationRunner.Cell> cells = new ArrayList<>();
            for (int v : counts) for (ValidateConfig cfg : ValidateConfig.values()) cells.add(new ValidationRunner.Cell(cfg, v));
            List<ValidationRow> rows = new ValidationRunner(costs, memPerVcpu, s, passes).run(cells, line -> {
                out.println("validate: " + line);
                out.flush();
            });
            out.println();
            out.print(ValidationTable.format(rows));
            Verdict v = Verdict.of(rows, tieTolerance);
            out.printf(Locale.ROOT, "validate: verdict %s: every sim/kernel ratio within [%.1f, %.1f] and the three "
                            + "configurations in the kernel's order at each vCPU count (kernel rates within %.0f%% of each "
                            + "other, or in different orders in different passes, count as tied)%n", v.holds() ? "HOLDS" : "FAILS", Verdict.MIN_RATIO, Verdict.MAX_RATIO,
                    tieTolerance * 100);
            for (String f : v.failures()) out.println("validate: FAILED: " + f);
            out.flush();
            if (json != null) {
                Files.writeString(json, new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(
                        ValidationTable.json(s, memPerVcpu, cpus, passes, source, rows, v)) + "\n");
            }
            return v.holds() ? 0 : 1;
        } catch (KernelUnavailable e) {
            cl.getErr().printf("validate: the kernel backend cannot run here: %s%n", e.getMessage());
            cl.getErr().flush();
            return EXIT_KERNEL_UNAVAILABLE;
        } catch (IllegalStateException e) {
            throw new CommandFailure(e.getMessage(), e);
        }
    }

    private List<Integer> counts(CommandLine cl, int cpus) {
        List<Integer> counts = new ArrayList<>();
        if (vcpus != null) {
            for (int v : vcpus) {
                if (v < 1 || v > 1024) throw new CommandLine.ParameterException(cl, "Invalid value for option '--vcpus': " + v + " is outside 1..1024");
                counts.add(v);
            }
        } else {
            for (int m : vcpusPerCpu) {
                if (m < 1 || m > 64) {
                    throw new CommandLine.ParameterException(cl, "Invalid value for option '--vcpus-per-cpu': " + m + " is outside 1..64");
                }
                counts.add(m * cpus);
            }
        }
        return counts;
    }

    private CostModel loadCosts(CommandLine cl) {
        try {
            return CostModel.defaults().withFile(costFile);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new CommandLine.ParameterException(cl, "Invalid value for option '--cost-file': " + e.getMessage());
        }
    }
}
