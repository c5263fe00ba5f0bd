package org.postcopysim.cli.validate;

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
 * Runs one cell of validate on the three backends: the kernel's userfaultfd ({@link KernelFaultBench}),
 * the threaded model ({@link FaultBench} in mode uffd) and the simulator ({@link SimFaultBench}
 * with the calibrated costs), each with the same vCPUs, readers, uffd scope, memory and seed,
 * every vCPU touching its own range once, no fetch delay. The kernel and the model run
 * {@code repeats} times and give their fastest run (the least disturbed by the machine's other
 * work, the rule the calibration follows); the simulation is deterministic and runs once.
 */
public final class ValidationRunner {
    private final CostModel costs;
    private final long memPerVcpu;
    private final long seed;
    private final int repeats;

    public ValidationRunner(CostModel costs, long memPerVcpu, long seed, int repeats) {
        if (repeats < 1) throw new IllegalArgumentException("repeats must be at least 1, got " + repeats);
        this.costs = costs;
        this.memPerVcpu = memPerVcpu;
        this.seed = seed;
        this.repeats = repeats;
    }

    public ValidationRow run(ValidateConfig c, int vcpus) throws KernelUnavailable {
        FaultBenchConfig bench = new FaultBenchConfig(new FaultOptions(FaultMode.UFFD, c.readers(vcpus), c.scope(), 0, true),
                vcpus, memPerVcpu, 0, 0, seed);
        double best = 0;
        double worst = Double.MAX_VALUE;
        long p50 = 0;
        for (int r = 0; r < repeats; r++) {
            FaultBenchResult k = KernelFaultBench.run(bench, KernelBenchOptions.DEFAULT);
            check(k, "kernel", c, vcpus);
            worst = Math.min(worst, k.pagesPerSecOverall());
            if (k.pagesPerSecOverall() > best) {
                best = k.pagesPerSecOverall();
                p50 = k.faultLatencyNs().p50();
            }
        }
        CellResult kernel = new CellResult(best, p50, repeats, best / worst);
        best = 0;
        worst = Double.MAX_VALUE;
        for (int r = 0; r < repeats; r++) {
            FaultBenchResult m = FaultBench.run(bench);
            check(m, "model", c, vcpus);
            worst = Math.min(worst, m.pagesPerSecOverall());
            if (m.pagesPerSecOverall() > best) {
                best = m.pagesPerSecOverall();
                p50 = m.faultLatencyNs().p50();
            }
        }
        CellResult model = new CellResult(best, p50, repeats, best / worst);
        SimFaultBenchResult s = SimFaultBench.run(new SimFaultBenchConfig(FaultMode.UFFD, vcpus, memPerVcpu, c.readers(vcpus),
                c.scope(), 0, seed, costs, false));
        if (!s.verified()) throw new IllegalStateException("simulated " + c.label() + " at " + vcpus + " vCPUs failed: " + s.error());
        CellResult sim = new CellResult(s.pagesPerSecOverall(), s.faultLatencyNs().p50(), 1, 1);
        return new ValidationRow(c, vcpus, kernel, model, sim);
    }

    private static void check(FaultBenchResult r, String backend, ValidateConfig c, int vcpus) {
        if (!r.verified()) {
            throw new IllegalStateException(backend + " run of " + c.label() + " at " + vcpus + " vCPUs failed: " + r.error());
        }
    }
}
