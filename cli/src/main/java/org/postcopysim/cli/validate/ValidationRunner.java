package org.postcopysim.cli.validate;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.postcopysim.dest.bench.FaultBench;
import org.postcopysim.dest.bench.FaultBenchConfig;
import org.postcopysim.dest.bench.FaultBenchResult;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.kernel.KernelBenchOptions;
import org.postcopysim.kernel.KernelFaultBench;
import org.postcopysim.kernel.KernelUnavailable;
import org.postcopysim.sim.bench.SimFaultBench;
import org.postcopysim.sim.bench.SimFaultBenchConfig;
import org.postcopysim.sim.bench.SimFaultBenchResult;
import org.postcopysim.sim.cost.CostModel;

/**
 * Runs validate's cells on the three backends: the kernel's userfaultfd ({@link KernelFaultBench}),
 * the threaded model ({@link FaultBench} in mode uffd) and the simulator ({@link SimFaultBench}
 * with the calibrated costs), each with the same vCPUs, readers, uffd scope, memory and seed,
 * every vCPU touching its own range once, no fetch delay.
 *
 * <p>The kernel and the model run in {@code passes}: every cell once per pass, so that a burst of
 * the machine's other work slows one pass of many cells rather than every run of one; each
 * cell's figure is its fastest pass (the least disturbed, the rule the calibration follows). The
 * simulation runs as many passes, pass {@code p} with seed {@code seed + p}, and its figure is the
 * fastest too: with placement in phases ({@code wake-affine-run}) a run is one draw of them, as
 * a kernel pass is one of the kernel's; without, the passes differ only by the cost jitter.
 */
public final class ValidationRunner {
    private final CostModel costs;
    private final long memPerVcpu;
    private final long seed;
    private final int passes;

    /** One cell: a configuration at a vCPU count. */
    public record Cell(ValidateConfig config, int vcpus) {
        FaultBenchConfig bench(long memPerVcpu, long seed) {
            return new FaultBenchConfig(new FaultOptions(FaultMode.UFFD, config.readers(vcpus), config.scope(), 0, true),
                    vcpus, memPerVcpu, 0, 0, seed);
        }

        public String label() {
            return config.label() + " at " + vcpus + " vCPUs";
        }
    }

    public ValidationRunner(CostModel costs, long memPerVcpu, long seed, int passes) {
        if (passes < 1) throw new IllegalArgumentException("passes must be at least 1, got " + passes);
        this.costs = costs;
        this.memPerVcpu = memPerVcpu;
        this.seed = seed;
        this.passes = passes;
    }

    /** Every cell on every backend; {@code progress} hears a line per pass. */
    public List<ValidationRow> run(List<Cell> cells, Consumer<String> progress) throws KernelUnavailable {
        Best[] kernel = new Best[cells.size()];
        Best[] model = new Best[cells.size()];
        for (int i = 0; i < cells.size(); i++) {
            kernel[i] = new Best();
            model[i] = new Best();
        }
        for (int p = 0; p < passes; p++) {
            progress.accept("kernel pass " + (p + 1) + "/" + passes);
            for (int i = 0; i < cells.size(); i++) {
                FaultBenchResult k = KernelFaultBench.run(cells.get(i).bench(memPerVcpu, seed), KernelBenchOptions.DEFAULT);
                kernel[i].add(check(k, "kernel", cells.get(i)));
            }
        }
        for (int p = 0; p < passes; p++) {
            progress.accept("model pass " + (p + 1) + "/" + passes);
            for (int i = 0; i < cells.size(); i++) {
                model[i].add(check(FaultBench.run(cells.get(i).bench(memPerVcpu, seed)), "model", cells.get(i)));
            }
        }
        progress.accept("simulation");
        List<ValidationRow> rows = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            Cell c = cells.get(i);
            rows.add(new ValidationRow(c.config(), c.vcpus(), kernel[i].result(), model[i].result(), simulated(c)));
        }
        return rows;
    }

    /** The simulated cell: the fastest of {@code passes} runs, pass {@code p} with seed {@code seed + p}. */
    CellResult simulated(Cell c) {
        Best sim = new Best();
        for (int p = 0; p < passes; p++) sim.add(simulate(c, seed + p));
        return sim.result();
    }

    /** The simulated cell, with the calibrated costs and {@code runSeed}. */
    SimFaultBenchResult simulate(Cell c, long runSeed) {
        SimFaultBenchResult s = SimFaultBench.run(new SimFaultBenchConfig(FaultMode.UFFD, c.vcpus(), memPerVcpu,
                c.config().readers(c.vcpus()), c.config().scope(), 0, runSeed, costs, false));
        if (!s.verified()) throw new IllegalStateException("simulated " + c.label() + " failed: " + s.error());
        return s;
    }

    private static FaultBenchResult check(FaultBenchResult r, String backend, Cell c) {
        if (!r.verified()) throw new IllegalStateException(backend + " run of " + c.label() + " failed: " + r.error());
        return r;
    }

    /** The fastest of a cell's runs, and the spread between its fastest and slowest. */
    private static final class Best {
        double best;
        double worst = Double.MAX_VALUE;
        long p50;
        int runs;
        final List<Double> rates = new ArrayList<>();

        void add(FaultBenchResult r) {
            add(r.pagesPerSecOverall(), r.faultLatencyNs().p50());
        }

        void add(SimFaultBenchResult r) {
            add(r.pagesPerSecOverall(), r.faultLatencyNs().p50());
        }

        private void add(double pagesPerSec, long p50Ns) {
            runs++;
            rates.add(pagesPerSec);
            worst = Math.min(worst, pagesPerSec);
            if (pagesPerSec > best) {
                best = pagesPerSec;
                p50 = p50Ns;
            }
        }

        CellResult result() {
            return new CellResult(best, p50, runs, best / worst, rates.stream().mapToDouble(Double::doubleValue).toArray());
        }
    }
}
