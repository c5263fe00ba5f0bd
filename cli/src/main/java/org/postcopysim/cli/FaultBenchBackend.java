package org.postcopysim.cli;

import java.util.Locale;
import org.postcopysim.dest.bench.FaultBench;
import org.postcopysim.dest.bench.FaultBenchConfig;
import org.postcopysim.dest.bench.FaultBenchResult;
import org.postcopysim.kernel.KernelBenchOptions;
import org.postcopysim.kernel.KernelFaultBench;
import org.postcopysim.kernel.KernelUnavailable;
import org.postcopysim.sim.bench.SimFaultBench;
import org.postcopysim.sim.bench.SimFaultBenchConfig;
import org.postcopysim.sim.cost.CostModel;
import org.postcopysim.sim.dest.SimMmuConfig;

/**
 * What runs the fault benchmark's faults: the simulated KVM and userfaultfd on real threads
 * ({@code model}), Linux's own userfaultfd with host threads ({@code kernel}), or the model in
 * virtual time ({@code sim}). Each returns the same {@link FaultBenchResult}, its
 * {@code backend} field saying which ran.
 */
public enum FaultBenchBackend {
    MODEL, KERNEL, SIM;

    /** The name on the command line and in results. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FaultBenchBackend parse(String s) {
        for (FaultBenchBackend b : values()) if (b.cliName().equals(s.trim().toLowerCase(Locale.ROOT))) return b;
        throw new IllegalArgumentException("expected model, kernel or sim, got '" + s + "'");
    }

    /** Whether a run is worth a discarded warm-up first (real threads, a JIT to warm). */
    boolean warmsUp() {
        return this != SIM;
    }

    /**
     * One kernel run recording where each fault's two sides ran.
     *
     * @throws CommandFailure when the kernel refuses (its one-line reason)
     */
    static KernelFaultBench.PlacedRun runKernelRecordingPlacement(FaultBenchConfig c, KernelBenchOptions kernel) {
        try {
            return KernelFaultBench.runRecordingPlacement(c, kernel);
        } catch (KernelUnavailable e) {
            throw new CommandFailure("fault-bench --backend kernel: " + e.getMessage(), e);
        }
    }

    /**
     * One run.
     *
     * @throws CommandFailure when the kernel refuses (its one-line reason)
     */
    FaultBenchResult run(FaultBenchConfig c, KernelBenchOptions kernel, CostModel costs) {
        switch (this) {
            case MODEL:
                return FaultBench.run(c);
            case KERNEL:
                try {
                    return KernelFaultBench.run(c, kernel);
                } catch (KernelUnavailable e) {
                    throw new CommandFailure("fault-bench --backend kernel: " + e.getMessage(), e);
                }
            case SIM:
                if (c.writeFraction() > 0 || c.faults().internalAccessFraction() > 0) {
                    throw new IllegalArgumentException("the simulated fault benchmark only reads: --write-fraction and "
                            + "--internal-access-fraction must be 0");
                }
                if (!c.faults().partitioned()) {
                    throw new IllegalArgumentException("the simulator runs partitioned access only: use --access partitioned");
                }
                SimFaultBenchConfig s = new SimFaultBenchConfig(c.faults().mode(), c.vcpus(), c.memPerVcpuBytes(),
                        c.faults().uffdReaders(), c.faults().uffdScope(), c.fetchDelayNs(), c.seed(), costs, true,
                        SimMmuConfig.NONE);
                return SimFaultBench.run(s).asFaultBenchResult(s);
            default:
                throw new AssertionError(this);
        }
    }
}
