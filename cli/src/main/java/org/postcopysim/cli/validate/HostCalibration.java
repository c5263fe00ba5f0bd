package org.postcopysim.cli.validate;

import org.postcopysim.dest.bench.FaultBenchConfig;
import org.postcopysim.dest.bench.FaultBenchResult;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.kernel.CpuAffinity;
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
 * thread wake-up across cores), the 4 KiB copy ({@link HostCostProbe}), the benchmark's own
 * userspace work per fault on each side ({@link KernelFaultBench#measureUserWork}), and the whole round trip
 * (the kernel fault benchmark with one thread, one reader, no fetch delay). Each simulator cost
 * is the measured step less the lock holds the simulator charges inside it (left at their
 * defaults: they only matter under contention).
 *
 * <p>A wake-up on this host is not one number: on an idle virtual machine it is several times
 * what it is on a busy one (an idle CPU halts, and waking it goes through the hypervisor), and
 * the simulator has one for each case ({@code SimDest.wake}: onto an idle CPU when one is free,
 * else queued on a busy one). Both are fitted to a round trip: what of it the steps do not
 * account for is its two wake-ups (the reader's out of poll, the faulting thread's out of the
 * fault, with the thread's retry and the benchmark loop's own work). The busy one to the round
 * trip with both threads pinned to one CPU (simulated on one host CPU), the idle one to the
 * faults of the round trip free to run anywhere that crossed CPUs ({@link IdleTarget}). Each is split as a ping-pong
 * between two threads measured in the same placement splits it: the waker's unpark is charged to
 * the waker (under the wait queue's or poll queue's lock, as the kernel wakes), the rest of its
 * CPU time to the woken thread, and only what is left of its latency is latency: on a 2-CPU
 * machine a wake-up's CPU time, not its latency, bounds the faults per second. Where the CPU
 * mask cannot be set the busy wake-up is taken to be the idle one.
 *
 * <p>Every step and the pinned round trip take the fastest of their rounds: the machine is shared
 * with other work, and the least disturbed round is the closest to what the step costs with this
 * machine's CPUs to itself, which is what the simulator models ({@code host-cpus} = nproc, all
 * free). The same rule picks the kernel's figure in {@code validate}. The free round trip's
 * placement is taken over all its rounds instead (its runs outlast a round): the faults that
 * crossed CPUs, timed, for the idle wake-up, and the share of the time placed and a placed run's
 * mean length for the simulation's placement phases ({@code wake-affine}, {@code
 * wake-affine-run}). The running thread's slice ({@code sched-slice}) is Linux's default for
 * this many CPUs, not measured.
 */
public final class HostCalibration {
    /** Where the calibrated values say they come from (in the cost file's comments). */
    public static final String SOURCE = "calibrate-host";

    /**
     * How much to measure.
     *
     * @param rounds        rounds of each step and of the round trip
     * @param pages         pages per round of the step probes and of the round-trip benchmark
     * @param seed          seed of the benchmark's contents and of the simulated fit; the check
     *                      simulates seeds {@code seed .. seed + rounds - 1}
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
        KernelFaultBench.UserWork user = KernelFaultBench.measureUserWork(o.pages(), o.rounds(), o.seed());
        FaultBenchConfig single = singleThread(o);
        KernelFaultBench.run(single, KernelBenchOptions.DEFAULT); // warm-up
        RoundTrip acrossCpus = fastestRoundTrip(o, single);
        RoundTrip oneCpu = steps.oneCpu() == null ? null
                : CpuAffinity.onOneCpu(CpuAffinity.firstAllowed(), () -> fastestRoundTrip(o, single));
        CostModel base = fromSteps(CostModel.defaults().with(Cost.HOST_CPUS, hostCpus, SOURCE + " (nproc)"),
                steps, copy.copy4kNs(), user).with(Cost.STAGE2_FAULT_NS, 0, SOURCE + " (0: the part of the round trip no "
                + "step accounts for is in the wake-ups, fitted to it)")
                .with(Cost.SCHED_SLICE_US, schedSliceUs(hostCpus), SOURCE + " (Linux's default base slice for "
                + hostCpus + " CPUs, sysctl_sched_base_slice: 0.75 ms times 1 + log2 of the CPUs up to 8; not measured)")
                .with(Cost.MIGRATION_COST_US, 500, SOURCE + " (Linux's default sysctl_sched_migration_cost; not measured)");
        // With both threads on one CPU every wake-up finds that CPU busy: the pinned round trip fits
        // the wake-up onto a busy CPU, simulated on one host CPU (where no CPU is ever idle at a wake).
        Fit busy = null;
        if (oneCpu != null) {
            busy = fit(base.with(Cost.HOST_CPUS, 1, SOURCE + " (the pinned round trip's one CPU)"), steps.oneCpu(),
                    WakeRegime.BUSY, null, oneCpu.ns(), o);
            base = withWakeup(base, steps.oneCpu(), busy.wakeupNs(), WakeRegime.BUSY, null);
        }
        // Free to run anywhere, the kernel placed the round trip's faults in runs: some with the reader on the faulting
        // thread's CPU, the others across, onto the idle CPU, each run timed. The idle wake-up is fitted to the faults
        // that ran across, simulated with every wake-up across (wake-affine 0, as base has it). (Without the busy price,
        // where the CPU mask cannot be set, every wake-up is priced as an idle one, fitted to the whole round trip.)
        // On one CPU no wake-up ever finds a CPU idle: the idle price cannot be fitted and is never charged, so it is
        // taken to be the busy one. Where too few faults ran across to time them it cannot be fitted either, but it is
        // charged (a poll herd's second reader goes to the idle CPU): it is the ping-pong's across CPUs.
        Runs runs = acrossCpus.runs();
        IdleTarget target = IdleTarget.of(hostCpus, busy != null, runs);
        KernelCostProbe.Wakeup split = steps.acrossCpus();
        Fit idle = switch (target) {
            case BUSY_PRICE -> busy;
            case PING_PONG -> new Fit(simulatedRoundTripNs(withWakeup(base, split, 0, WakeRegime.IDLE, target), o),
                    split.oneWayNs(), simulatedRoundTripNs(withWakeup(base, split, split.oneWayNs(), WakeRegime.IDLE, target), o));
            case FAULTS_ACROSS -> fit(base, split, WakeRegime.IDLE, target, runs.spreadRoundTripNs(), o);
            case ROUND_TRIP -> fit(base, split, WakeRegime.IDLE, target, acrossCpus.ns(), o);
        };
        CostModel fitted = withWakeup(base, split, idle.wakeupNs(), WakeRegime.IDLE, target);
        // The simulation places in phases as the kernel did over every round: placing for the share of the time its
        // placed faults took, a placement phase as long as a run of them on average.
        if (busy != null && runs.times().placedRuns() > 0 && runs.placedTimePercent() > 0) {
            fitted = fitted.with(Cost.WAKE_AFFINE_PERCENT, runs.placedTimePercent(), SOURCE + " (of the unpinned round "
                    + "trip's time over all " + o.rounds() + " rounds, the share in faults whose reader ran on the faulting "
                    + "thread's CPU: sched_getcpu on both sides of every fault)")
                    .with(Cost.WAKE_AFFINE_RUN_US, runs.placedRunUs(), SOURCE + " (a run of placed faults' mean time "
                    + "over all " + o.rounds() + " rounds: " + runs.times().placedRuns() + " runs, " + runs.placedFaults()
                    + " of " + runs.faults() + " faults)");
        }
        if (oneCpu == null) fitted = withWakeup(fitted, split, idle.wakeupNs(), WakeRegime.BUSY, null);
        return new Calibration(steps, copy.copy4kNs(), user, acrossCpus, idle, oneCpu, busy, fitted,
                fastestSimulatedRoundTripNs(fitted, o), hostCpus, o.rounds(), o.pages());
    }

    /**
     * A kernel round trip: 1 / pages per second of the fastest round (ns), that round's median
     * fault latency, the share of its wake-ups that ran on the waker's CPU (%, {@link
     * KernelFaultBench.Placement#sameCpuPercent}) and the share of its time in faults placed so
     * (%, {@link Runs#placedTimePercent}), and the placement over every round.
     */
    public record RoundTrip(double ns, long p50Ns, int sameCpuPercent, int placedTimePercent, Runs runs) {
    }

    /**
     * The round trip's placement over every round ({@link KernelFaultBench.Placement}): its faults
     * whose reader ran on the faulting thread's CPU (placed) and the others (spread), their runs and
     * their time.
     *
     * @param faults       faults, summed over the rounds
     * @param placedFaults of them, those whose reader ran on the faulting thread's CPU
     * @param placedSides  of the faults' two sides, those on the other side's CPU
     * @param times        the runs and their time, placed and spread apart
     */
    public record Runs(long faults, long placedFaults, long placedSides, KernelFaultBench.RunTimes times) {
        static Runs of(KernelFaultBench.Placement p) {
            return new Runs(p.faults(), p.readerOnFaultingCpu(), p.readerOnFaultingCpu() + p.resumedOnResolvingCpu(),
                    p.times());
        }

        Runs plus(Runs o) {
            return new Runs(faults + o.faults, placedFaults + o.placedFaults, placedSides + o.placedSides, times.plus(o.times));
        }

        /** Of the two sides of every fault, the share on the other side's CPU (%). */
        public int sameCpuPercent() {
            return faults == 0 ? 0 : (int) Math.round(50.0 * placedSides / faults);
        }

        public long spreadFaults() {
            return faults - placedFaults;
        }

        /** A spread fault's time (ns; its thread's, touch to next touch), NaN without one. */
        public double spreadRoundTripNs() {
            return spreadFaults() == 0 ? Double.NaN : (double) times.spreadNs() / spreadFaults();
        }

        /** A placed fault's time (ns), NaN without one. */
        public double placedRoundTripNs() {
            return placedFaults == 0 ? Double.NaN : (double) times.placedNs() / placedFaults;
        }

        /** Of the faults' time, the share in placed ones (%), rounded. */
        public int placedTimePercent() {
            long all = times.placedNs() + times.spreadNs();
            return all == 0 ? 0 : (int) Math.round(100.0 * times.placedNs() / all);
        }

        /** A run of placed faults' mean time (us, at least 1), 0 without one. */
        public long placedRunUs() {
            return times.placedRuns() == 0 ? 0 : Math.max(1, Math.round(times.placedNs() / 1e3 / times.placedRuns()));
        }

        public long runs() {
            return times.placedRuns() + times.spreadRuns();
        }
    }

    /**
     * A wake-up fitted to a round trip.
     *
     * @param simStepsNs  the simulated round trip with the measured steps alone (no cost for this wake-up; ns)
     * @param wakeupNs    the wake-up fitted so that the simulated round trip is the kernel's (ns)
     * @param simFittedNs the simulated round trip with it (ns)
     */
    public record Fit(double simStepsNs, long wakeupNs, double simFittedNs) {
    }

    /** Whether a wake-up finds an idle CPU ({@code thread-wakeup}, ...) or only busy ones ({@code thread-wakeup-busy}, ...). */
    enum WakeRegime { IDLE, BUSY }

    /** What the idle wake-up is fitted to, or taken from. */
    enum IdleTarget {
        /** One host CPU: no wake-up ever finds a CPU idle, so the idle price is never charged: the busy one. */
        BUSY_PRICE("taken as the busy one (one CPU: never charged)"),
        /**
         * Too few faults crossed CPUs to time them: the ping-pong's one way across CPUs (the price is
         * still charged: a poll herd's second reader goes to the idle CPU).
         */
        PING_PONG("taken as the ping-pong's one way across CPUs (too few faults crossed CPUs to fit to)"),
        /** The faults of the free round trip that crossed CPUs, their time per fault over every round. */
        FAULTS_ACROSS("fitted to the unpinned round trip's faults that crossed CPUs"),
        /** No CPU mask (no busy price, no placement): the whole free round trip, every wake-up priced idle. */
        ROUND_TRIP("fitted to the unpinned round trip (no CPU mask: every wake-up priced as an idle one)");

        final String how;

        IdleTarget(String how) {
            this.how = how;
        }

        /** The target for {@code hostCpus}, where the busy price was measured or not, and the free round trip's runs. */
        static IdleTarget of(int hostCpus, boolean busyMeasured, Runs runs) {
            if (!busyMeasured) return ROUND_TRIP;
            if (hostCpus == 1) return BUSY_PRICE;
            return runs.spreadFaults() < MIN_SPREAD_FAULTS ? PING_PONG : FAULTS_ACROSS;
        }
    }

    private static RoundTrip fastestRoundTrip(Options o, FaultBenchConfig single) throws KernelUnavailable {
        double best = Double.MAX_VALUE;
        long p50 = 0;
        int sameCpu = 0;
        int placedTime = 0;
        Runs all = new Runs(0, 0, 0, KernelFaultBench.RunTimes.NONE);
        for (int r = 0; r < o.rounds(); r++) {
            KernelFaultBench.PlacedRun run = KernelFaultBench.runRecordingPlacement(single, KernelBenchOptions.DEFAULT);
            FaultBenchResult k = run.result();
            if (!k.verified()) throw new IllegalStateException("the kernel round-trip run failed: " + k.error());
            Runs round = Runs.of(run.placement());
            all = all.plus(round);
            double ns = 1e9 / k.pagesPerSecOverall();
            if (ns < best) {
                best = ns;
                p50 = k.faultLatencyNs().p50();
                sameCpu = run.placement().sameCpuPercent();
                placedTime = round.placedTimePercent();
            }
        }
        return new RoundTrip(best, p50, sameCpu, placedTime, all);
    }

    /**
     * Two wake-ups lie on the round trip's path (the reader's out of poll, the thread's out of
     * the fault): the size of a wake-up that makes the simulated round trip {@code targetNs}. The
     * round trip grows with it, but not in proportion: the faster the thread comes back, the more
     * often its next fault finds the reader not yet asleep in poll and skips that wake-up (as on
     * the kernel). So the size is found by bracketing and false position (the Illinois rule) on
     * the simulated round trip, to within 0.5% of the target or 40 simulations.
     */
    static Fit fit(CostModel base, KernelCostProbe.Wakeup split, WakeRegime regime, IdleTarget target, double targetNs,
                   Options o) {
        double simNoWake = simulatedRoundTripNs(withWakeup(base, split, 0, regime, target), o);
        if (simNoWake >= targetNs) return new Fit(simNoWake, 0, simNoWake);
        long lo = 0;
        double fLo = simNoWake - targetNs;
        long hi = Math.max(1, split.oneWayNs());
        double fHi = simulatedRoundTripNs(withWakeup(base, split, hi, regime, target), o) - targetNs;
        int runs = 2;
        while (fHi < 0 && hi < MAX_WAKEUP_NS) {
            lo = hi;
            fLo = fHi;
            hi *= 2;
            fHi = simulatedRoundTripNs(withWakeup(base, split, hi, regime, target), o) - targetNs;
            runs++;
        }
        if (fHi < 0) throw new IllegalStateException(String.format(java.util.Locale.ROOT, "no wake-up up to %d ns "
                + "simulates the measured round trip of %.0f ns", MAX_WAKEUP_NS, targetNs));
        long best = Math.abs(fLo) < Math.abs(fHi) ? lo : hi;
        double fBest = Math.min(Math.abs(fLo), Math.abs(fHi));
        int side = 0;
        while (runs < 40 && hi - lo > 1 && fBest > 0.005 * targetNs) {
            long mid = lo + Math.max(1, Math.min(hi - lo - 1, Math.round((hi - lo) * (-fLo / (fHi - fLo)))));
            double fMid = simulatedRoundTripNs(withWakeup(base, split, mid, regime, target), o) - targetNs;
            runs++;
            if (Math.abs(fMid) < fBest) {
                best = mid;
                fBest = Math.abs(fMid);
            }
            if (fMid < 0) {
                lo = mid;
                fLo = fMid;
                if (side == -1) fHi /= 2;
                side = -1;
            } else {
                hi = mid;
                fHi = fMid;
                if (side == 1) fLo /= 2;
                side = 1;
            }
        }
        return new Fit(simNoWake, best, simulatedRoundTripNs(withWakeup(base, split, best, regime, target), o));
    }

    /** EEVDF's default slice on {@code cpus} CPUs (us): 750 us scaled by 1 + log2(min(cpus, 8)), as Linux's tunable scaling. */
    static long schedSliceUs(int cpus) {
        int factor = 1 + (31 - Integer.numberOfLeadingZeros(Math.max(1, Math.min(cpus, 8))));
        return 750L * factor;
    }

    /** Fewest faults across CPUs, over every round, that time an idle wake-up (fewer: the ping-pong's is taken). */
    static final long MIN_SPREAD_FAULTS = 256;

    /** The largest wake-up the fit tries (ns). */
    static final long MAX_WAKEUP_NS = 10_000_000;

    /**
     * {@code base} with a wake-up of {@code ns} in {@code regime}, split as the ping-pong's was:
     * its CPU time's share of its latency is CPU time, of that the unpark's share the waker's
     * (under the wait queue's or poll queue's lock, as the kernel wakes), the rest the woken
     * thread's; the rest of {@code ns} is latency (onto a busy CPU, where the woken thread
     * waits for the CPU instead, the woken thread's time on it). The waker's share is its own cost, so the wake
     * walk and the poll wake keep no waker's share of their own (uffd-wake-hold its default,
     * uffd-poll-wake-per-poller 0).
     */
    static CostModel withWakeup(CostModel base, KernelCostProbe.Wakeup m, long ns, WakeRegime regime, IdleTarget target) {
        double cpuShare = m.oneWayNs() == 0 ? 0 : Math.min(1, (double) m.cpuNs() / m.oneWayNs());
        double wakerShare = m.cpuNs() == 0 ? 0 : Math.min(1, (double) m.wakerNs() / m.cpuNs());
        long cpu = Math.round(ns * cpuShare);
        long waker = Math.round(cpu * wakerShare);
        String how = String.format(java.util.Locale.ROOT, " (a wake-up onto %s CPU of %d ns, %s; "
                + "split as the %s ping-pong's %d ns one way, %d ns of it CPU time, %d ns the waker's unpark)",
                regime == WakeRegime.IDLE ? "an idle" : "a busy", ns,
                regime == WakeRegime.BUSY ? "fitted to the pinned round trip" : target.how,
                regime == WakeRegime.IDLE ? "unpinned" : "one-CPU", m.oneWayNs(), m.cpuNs(), m.wakerNs());
        CostModel c = regime == WakeRegime.IDLE
                ? base.with(Cost.THREAD_WAKEUP_NS, ns - cpu, SOURCE + how + ": its latency")
                        .with(Cost.WAKEUP_CPU_NS, cpu - waker, SOURCE + how + ": the woken thread's CPU time")
                        .with(Cost.WAKER_CPU_NS, waker, SOURCE + how + ": the waker's CPU time")
                // Queued on a busy CPU, the woken thread has no latency of its own: it waits for the CPU.
                : base.with(Cost.WAKEUP_CPU_BUSY_NS, ns - waker, SOURCE + how + ": the woken thread's time")
                        .with(Cost.WAKER_CPU_BUSY_NS, waker, SOURCE + how + ": the waker's CPU time");
        return c
                .with(Cost.UFFD_POLL_WAKE_PER_POLLER_NS, 0, SOURCE + " (0: the waker's CPU time is waker-cpu and waker-cpu-busy)")
                .with(Cost.UFFD_WAKE_HOLD_NS, CostModel.defaults().get(Cost.UFFD_WAKE_HOLD_NS), SOURCE
                        + " (the default wake walk; the waker's CPU time is waker-cpu and waker-cpu-busy)");
    }

    /** The single-thread round trip: 1 thread, 1 reader, one uffd, no fetch delay. */
    static FaultBenchConfig singleThread(Options o) {
        return new FaultBenchConfig(new FaultOptions(FaultMode.UFFD, 1, UffdSet.Scope.SHARED, 0, true), 1,
                o.pages() * 4096, 0, 0, o.seed());
    }

    /** {@code base} with every cost a step measured: the step less the lock holds charged inside it. */
    static CostModel fromSteps(CostModel base, KernelCostProbe.Measured m, long copy4kNs, KernelFaultBench.UserWork user) {
        long lock = base.get(Cost.LOCK_ACQUIRE_NS);
        long poll = m.pollEmptyNs() - base.get(Cost.UFFD_POLL_REGISTER_HOLD_NS) - lock;
        long read = m.readEmptyNs() - base.get(Cost.UFFD_READ_HOLD_NS) - 2 * lock;
        long ioctl = m.wakeIoctlNs() - base.get(Cost.UFFD_WAKE_HOLD_NS) - lock;
        long alloc = m.copyIoctlNs() - m.wakeIoctlNs() - copy4kNs - base.get(Cost.MM_LOCK_HOLD_NS) - lock;
        long alloc0 = Math.max(0, alloc);
        long hostFault = m.firstTouchNs() - alloc0 - base.get(Cost.MM_LOCK_HOLD_NS) - lock;
        return base
                .with(Cost.FAULT_USER_NS, user.vcpuNs(), SOURCE + " (the kernel benchmark's own work per faulted page on "
                        + "its thread, timed on present memory)")
                .with(Cost.UFFD_READER_USER_NS, user.readerNs(), SOURCE + " (the kernel benchmark's reader's own work "
                        + "per fault message besides its system calls, timed without them)")
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
        return simulatedRoundTripNs(costs, o, o.seed());
    }

    /**
     * The fastest of {@code rounds} simulated single-thread round trips under {@code costs}, each
     * with its own seed (which draws its own placement phases), as the kernel's figure is the
     * fastest of its rounds (ns per page).
     */
    static double fastestSimulatedRoundTripNs(CostModel costs, Options o) {
        double best = Double.MAX_VALUE;
        for (int r = 0; r < o.rounds(); r++) best = Math.min(best, simulatedRoundTripNs(costs, o, o.seed() + r));
        return best;
    }

    static double simulatedRoundTripNs(CostModel costs, Options o, long seed) {
        var r = SimFaultBench.run(new SimFaultBenchConfig(FaultMode.UFFD, 1, o.pages() * 4096, 1, UffdSet.Scope.SHARED,
                0, seed, costs, false));
        if (!r.verified()) throw new IllegalStateException("the simulated round trip failed: " + r.error());
        return 1e9 / r.pagesPerSecOverall();
    }
}
