package org.postcopysim.cli.validate;

import org.postcopysim.dest.bench.FaultBenchConfig;
import org.postcopysim.dest.bench.FaultBenchResult;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.kernel.KernelBenchOptions;
import org.postcopysim.kernel.KernelCostProbe;
import org.postcopysim.kernel.KernelFaultBench;
import org.postcopysim.kernel.KernelUnavailable;
import org.postcopysim.sim.bench.SimFaultBench;
import org.postcopysim.sim.bench.SimFaultBenchConfig;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;
import org.postcopysim.sim.cost.HostCostProbe;

/**
 * Measures this host's costs with the kernel backend and turns them into the simulator's cost
 * model ({@code simulate --calibrate-host}): the steps of a userfaultfd fault's round trip each on
 * its own ({@link KernelCostProbe}: poll, read, UFFDIO_WAKE, UFFDIO_COPY, a first-touch fault, a
 * thread wake-up across cores), the 4 KiB copy ({@link HostCostProbe}), and the whole round trip
 * (the kernel fault benchmark with one thread, one reader, no fetch delay). Each simulator cost
 * is the measured step less the lock holds the simulator charges inside it (left at their
 * defaults: they only matter under contention). A wake-up is split as the ping-pong measured
 * it: the waker's unpark is charged to the waker (under the wait queue's or poll queue's lock,
 * as the kernel wakes), the rest of its CPU time to the woken thread ({@code wakeup-cpu}), and
 * only what is left of its latency is {@code thread-wakeup}: on a 2-CPU machine a wake-up's
 * CPU time, not its latency, is what bounds the faults per second. The size of a wake-up is
 * fitted to the round trip: what of it the steps do not account for is its two wake-ups (the
 * reader's out of poll, the faulting thread's out of the fault, with the thread's retry and the
 * benchmark loop's own work), so that the simulated single-thread round trip equals the measured
 * one. A wake-up on this host is not one number: on an idle virtual machine it is ten times what
 * it is on a busy one (an idle CPU halts, and waking it costs the hypervisor); the ping-pong
 * measures the same and gives only the split.
 *
 * <p>Every step and the round trip take the fastest of their rounds: the machine is shared with
 * other work, and the least disturbed round is the closest to what the step costs with this
 * machine's CPUs to itself, which is what the simulator models ({@code host-cpus} = nproc, all
 * free). The same rule picks the kernel's figure in {@code validate}.
 */
public final class HostCalibration {
    /** Where the calibrated values say they come from (in the cost file's comments). */
    public static final String SOURCE = "calibrate-host";

    /**
     * How much to measure.
     *
     * @param rounds        rounds of each step and of the round trip
     * @param pages         pages per round of the step probes and of the round-trip benchmark
     * @param seed          seed of the benchmark's contents and of the simulated fit
     */
    public record Options(int rounds, long pages, long seed) {
        public static final int DEFAULT_ROUNDS = 7;
        public static final long DEFAULT_PAGES = 4096;

        public Options {
            if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
            if (pages < 16) throw new IllegalArgumentException("pages must be at least 16, got " + pages);
        }
    }

    private HostCalibration() {
    }

    /** Measures and fits; {@code hostCpus} is the simulated machine's CPUs (this one's). */
    public static Calibration run(Options o, int hostCpus) throws KernelUnavailable {
        KernelCostProbe.Measured steps = KernelCostProbe.measure(o.rounds(), o.pages());
        HostCostProbe.Measured copy = HostCostProbe.measure();
        double roundTripNs = Double.MAX_VALUE;
        long p50 = 0;
        FaultBenchConfig single = singleThread(o);
        KernelFaultBench.run(single, KernelBenchOptions.DEFAULT); // warm-up
        for (int r = 0; r < o.rounds(); r++) {
            FaultBenchResult k = KernelFaultBench.run(single, KernelBenchOptions.DEFAULT);
            if (!k.verified()) throw new IllegalStateException("the kernel round-trip run failed: " + k.error());
            double ns = 1e9 / k.pagesPerSecOverall();
            if (ns < roundTripNs) {
                roundTripNs = ns;
                p50 = k.faultLatencyNs().p50();
            }
        }
        CostModel base = fromSteps(CostModel.defaults().with(Cost.HOST_CPUS, hostCpus, SOURCE + " (nproc)"),
                steps, copy.copy4kNs()).with(Cost.STAGE2_FAULT_NS, 0, SOURCE + " (0: the part of the round trip no "
                + "step accounts for is in the wake-ups, fitted to it)");
        // Two wake-ups lie on the round trip's path (the reader's out of poll, the thread's out of the fault),
        // and the simulated round trip grows linearly with their size: fit it to the measured one.
        double simNoWake = simulatedRoundTripNs(withWakeup(base, steps, 0), o);
        long probe = Math.max(1, steps.threadWakeupNs());
        double slope = (simulatedRoundTripNs(withWakeup(base, steps, probe), o) - simNoWake) / probe;
        long wakeup = Math.max(0, Math.round((roundTripNs - simNoWake) / slope));
        CostModel fitted = withWakeup(base, steps, wakeup);
        double simFitted = simulatedRoundTripNs(fitted, o);
        return new Calibration(steps, copy.copy4kNs(), roundTripNs, p50, simNoWake, wakeup, simFitted, fitted, hostCpus,
                o.rounds(), o.pages());
    }

    /**
     * {@code base} with a wake-up of {@code ns} split as the ping-pong's was: its CPU time's share
     * of its latency is CPU time, of that the unpark's share the waker's (under the wait queue's
     * or poll queue's lock, as the kernel wakes), the rest the woken thread's ({@code wakeup-cpu});
     * the rest of {@code ns} is latency ({@code thread-wakeup}).
     */
    static CostModel withWakeup(CostModel base, KernelCostProbe.Measured m, long ns) {
        double cpuShare = m.threadWakeupNs() == 0 ? 0 : Math.min(1, (double) m.wakeupCpuNs() / m.threadWakeupNs());
        double wakerShare = m.wakeupCpuNs() == 0 ? 0 : Math.min(1, (double) m.wakerNs() / m.wakeupCpuNs());
        long cpu = Math.round(ns * cpuShare);
        long waker = Math.round(cpu * wakerShare);
        String how = String.format(java.util.Locale.ROOT, " (a wake-up of %d ns, fitted to the round trip; split as the "
                + "ping-pong's %d ns one way, %d ns of it CPU time, %d ns the waker's unpark)", ns, m.threadWakeupNs(),
                m.wakeupCpuNs(), m.wakerNs());
        return base
                .with(Cost.THREAD_WAKEUP_NS, ns - cpu, SOURCE + how + ": its latency")
                .with(Cost.WAKEUP_CPU_NS, cpu - waker, SOURCE + how + ": the woken thread's CPU time")
                .with(Cost.UFFD_POLL_WAKE_PER_POLLER_NS, waker, SOURCE + how + ": the waker's CPU time")
                .with(Cost.UFFD_WAKE_HOLD_NS, CostModel.defaults().get(Cost.UFFD_WAKE_HOLD_NS) + waker, SOURCE + how
                        + ": the default wake walk plus the waker's CPU time");
    }

    /** The single-thread round trip: 1 thread, 1 reader, one uffd, no fetch delay. */
    static FaultBenchConfig singleThread(Options o) {
        return new FaultBenchConfig(new FaultOptions(FaultMode.UFFD, 1, UffdSet.Scope.SHARED, 0, true), 1,
                o.pages() * 4096, 0, 0, o.seed());
    }

    /** {@code base} with every cost a step measured: the step less the lock holds charged inside it. */
    static CostModel fromSteps(CostModel base, KernelCostProbe.Measured m, long copy4kNs) {
        long lock = base.get(Cost.LOCK_ACQUIRE_NS);
        long poll = m.pollEmptyNs() - base.get(Cost.UFFD_POLL_REGISTER_HOLD_NS) - lock;
        long read = m.readEmptyNs() - base.get(Cost.UFFD_READ_HOLD_NS) - 2 * lock;
        long ioctl = m.wakeIoctlNs() - base.get(Cost.UFFD_WAKE_HOLD_NS) - lock;
        long alloc = m.copyIoctlNs() - m.wakeIoctlNs() - copy4kNs - base.get(Cost.MM_LOCK_HOLD_NS) - lock;
        long alloc0 = Math.max(0, alloc);
        long hostFault = m.firstTouchNs() - alloc0 - base.get(Cost.MM_LOCK_HOLD_NS) - lock;
        return base
                .with(Cost.COPY_4K_NS, copy4kNs, SOURCE + " (4 KiB copy between off-heap buffers)")
                .with(Cost.UFFD_POLL_SYSCALL_NS, Math.max(0, poll), SOURCE + " (poll of an idle uffd: "
                        + m.pollEmptyNs() + " ns, less poll-register-hold and lock-acquire)")
                .with(Cost.UFFD_READ_SYSCALL_NS, Math.max(0, read), SOURCE + " (read of an idle uffd, EAGAIN: "
                        + m.readEmptyNs() + " ns, less uffd-read-hold and two lock-acquires)")
                .with(Cost.UFFD_IOCTL_NS, Math.max(0, ioctl), SOURCE + " (UFFDIO_WAKE of a page nobody waits on: "
                        + m.wakeIoctlNs() + " ns, less uffd-wake-hold and lock-acquire)")
                .with(Cost.PAGE_ALLOC_NS, alloc0, SOURCE + " (UFFDIO_COPY of a page nobody waits on: "
                        + m.copyIoctlNs() + " ns, less the UFFDIO_WAKE, copy-4k, mm-lock-hold and lock-acquire)")
                .with(Cost.HOST_FAULT_NS, Math.max(0, hostFault), SOURCE + " (first-touch write fault on anonymous "
                        + "memory: " + m.firstTouchNs() + " ns, less page-alloc, mm-lock-hold and lock-acquire)");
    }

    /** The simulated single-thread round trip under {@code costs} (ns per page). */
    static double simulatedRoundTripNs(CostModel costs, Options o) {
        var r = SimFaultBench.run(new SimFaultBenchConfig(FaultMode.UFFD, 1, o.pages() * 4096, 1, UffdSet.Scope.SHARED,
                0, o.seed(), costs, false));
        if (!r.verified()) throw new IllegalStateException("the simulated round trip failed: " + r.error());
        return 1e9 / r.pagesPerSecOverall();
    }
}
