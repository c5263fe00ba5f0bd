package org.postcopysim.cli.validate;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.postcopysim.kernel.KernelCostProbe;
import org.postcopysim.kernel.KernelFaultBench;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;

/**
 * What {@link HostCalibration} measured and the cost model it made of it.
 *
 * @param steps      the kernel steps, each the fastest of its rounds
 * @param copy4kNs   the 4 KiB copy (ns)
 * @param userWork   the kernel benchmark's own userspace work per fault, on the faulting thread and the reader
 * @param acrossCpus the kernel's single-thread round trip, its threads free to run on any CPU
 * @param idle       the wake-up onto an idle CPU, fitted to it
 * @param oneCpu     the same round trip with its threads pinned to one CPU, or null where that cannot be done
 * @param busy       the wake-up onto a busy CPU, fitted to it (null with {@code oneCpu})
 * @param costs      the fitted cost model
 * @param simCheckNs the single-thread round trip simulated with {@code costs} (placement phases and all), the
 *                   fastest of {@code rounds} seeds as the kernel's is of its rounds (ns per page)
 * @param hostCpus   this machine's CPUs (the model's host-cpus)
 * @param rounds     rounds of each measurement
 * @param pages      pages per round
 */
public record Calibration(KernelCostProbe.Measured steps, long copy4kNs, KernelFaultBench.UserWork userWork,
                          HostCalibration.RoundTrip acrossCpus,
                          HostCalibration.Fit idle, HostCalibration.RoundTrip oneCpu, HostCalibration.Fit busy,
                          CostModel costs, double simCheckNs, int hostCpus, int rounds, long pages) {
    /** The costs calibrate-host sets (the others keep their defaults). */
    public static final List<Cost> SET = List.of(Cost.HOST_CPUS, Cost.COPY_4K_NS, Cost.UFFD_POLL_SYSCALL_NS,
            Cost.UFFD_READ_SYSCALL_NS, Cost.UFFD_IOCTL_NS, Cost.PAGE_ALLOC_NS, Cost.HOST_FAULT_NS, Cost.THREAD_WAKEUP_NS,
            Cost.WAKEUP_CPU_NS, Cost.WAKER_CPU_NS, Cost.WAKEUP_CPU_BUSY_NS,
            Cost.WAKER_CPU_BUSY_NS, Cost.UFFD_POLL_WAKE_PER_POLLER_NS, Cost.UFFD_WAKE_HOLD_NS, Cost.STAGE2_FAULT_NS,
            Cost.FAULT_USER_NS, Cost.UFFD_READER_USER_NS, Cost.WAKE_AFFINE_PERCENT, Cost.WAKE_AFFINE_RUN_US,
            Cost.SCHED_SLICE_US, Cost.MIGRATION_COST_US);

    /** The cost file: every value, the calibrated ones saying how each was measured, with the date and CPUs. */
    public String costFileText() {
        String when = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        List<String> header = new ArrayList<>();
        header.add("measured on this machine by postcopy-sim simulate --calibrate-host on " + when + ", " + hostCpus
                + " host CPUs, load average " + LoadAverage.text());
        header.add("each step and round trip the fastest of " + rounds + " rounds of " + pages + " pages, the free round "
                + "trip's placement over all of them; kernel round trip "
                + String.format(Locale.ROOT, "%.0f ns (p50 %d ns), simulated with this file %.0f ns", acrossCpus.ns(),
                acrossCpus.p50Ns(), simCheckNs)
                + (oneCpu == null ? "; on one CPU not measured (the CPU mask could not be set)"
                : String.format(Locale.ROOT, "; on one CPU %.0f ns, simulated %.0f ns", oneCpu.ns(), busy.simFittedNs())));
        header.add("values 'set by " + HostCalibration.SOURCE + "' were measured; the others are the defaults");
        return costs.toFileText(header);
    }

    /** The kernel figure the idle wake-up was fitted to, and the simulated one's ratio to it. */
    private String idleTarget() {
        HostCalibration.Runs runs = acrossCpus.runs();
        return switch (HostCalibration.IdleTarget.of(hostCpus, busy != null, runs)) {
            case ROUND_TRIP -> String.format(Locale.ROOT, "%.2fx the kernel's round trip", idle.simFittedNs() / acrossCpus.ns());
            case BUSY_PRICE -> "one CPU: never charged, taken as the busy one";
            case PING_PONG -> String.format(Locale.ROOT, "too few faults across CPUs to fit to (%d): the ping-pong's wake-up",
                    runs.spreadFaults());
            case FAULTS_ACROSS -> String.format(Locale.ROOT, "%.2fx the kernel's %.0f ns per fault across CPUs",
                    idle.simFittedNs() / runs.spreadRoundTripNs(), runs.spreadRoundTripNs());
        };
    }

    private static String ns(double ns) {
        return Double.isNaN(ns) ? "-" : String.format(Locale.ROOT, "%.0f ns", ns);
    }

    /** What was measured and what it became, for a person (one line each). */
    public List<String> summaryLines() {
        List<String> l = new ArrayList<>();
        KernelCostProbe.Measured m = steps;
        l.add(String.format(Locale.ROOT, "measured (fastest of %d rounds, %d pages each, %d host CPUs; the placement over "
                + "all of them):", rounds, pages, hostCpus));
        l.add(String.format(Locale.ROOT, "  poll of an idle uffd %d ns, read of an idle uffd %d ns, UFFDIO_WAKE %d ns, "
                + "UFFDIO_COPY of a page %d ns", m.pollEmptyNs(), m.readEmptyNs(), m.wakeIoctlNs(), m.copyIoctlNs()));
        KernelCostProbe.Wakeup a = m.acrossCpus();
        l.add(String.format(Locale.ROOT, "  first-touch fault %d ns, 4 KiB copy %d ns, thread wake-up across CPUs %d ns "
                + "(%d ns of it CPU time, %d ns the waker's unpark)", m.firstTouchNs(), copy4kNs, a.oneWayNs(), a.cpuNs(),
                a.wakerNs()));
        l.add(String.format(Locale.ROOT, "  the benchmark's own work per fault: %d ns on the faulting thread, %d ns on the "
                + "reader", userWork.vcpuNs(), userWork.readerNs()));
        if (m.oneCpu() != null) {
            KernelCostProbe.Wakeup b1 = m.oneCpu();
            l.add(String.format(Locale.ROOT, "  thread wake-up on one CPU %d ns (%d ns of it CPU time, %d ns the waker's unpark)",
                    b1.oneWayNs(), b1.cpuNs(), b1.wakerNs()));
        }
        l.add(String.format(Locale.ROOT, "  kernel round trip (1 thread, 1 reader) %.0f ns per page, fault p50 %d ns, "
                + "%d%% of its wake-ups on the waker's CPU", acrossCpus.ns(), acrossCpus.p50Ns(), acrossCpus.sameCpuPercent()));
        HostCalibration.Runs runs = acrossCpus.runs();
        l.add(String.format(Locale.ROOT, "  its placement over all %d rounds (%d faults): %d%% of the wake-ups on the waker's "
                + "CPU; %d runs of faults placed alike; placed %s per fault, %d%% of the time (the fastest round %d%%), a "
                + "placed run %d us on average; across CPUs %s per fault", rounds, runs.faults(), runs.sameCpuPercent(),
                runs.runs(), ns(runs.placedRoundTripNs()), runs.placedTimePercent(), acrossCpus.placedTimePercent(),
                runs.placedRunUs(), ns(runs.spreadRoundTripNs())));
        if (oneCpu != null) {
            l.add(String.format(Locale.ROOT, "  the same on one CPU %.0f ns per page, fault p50 %d ns", oneCpu.ns(),
                    oneCpu.p50Ns()));
            l.add(String.format(Locale.ROOT, "fitted on one CPU: the steps simulate to %.0f ns without wake-ups; its two "
                    + "wake-ups onto a busy CPU are %d ns each; simulated %.0f ns (%.2fx the kernel's)",
                    busy.simStepsNs(), busy.wakeupNs(), busy.simFittedNs(), busy.simFittedNs() / oneCpu.ns()));
        } else {
            l.add("  the same on one CPU: not measured (the CPU mask could not be set); a busy CPU's wake-up is taken as an idle one's");
        }
        l.add(String.format(Locale.ROOT, "fitted across CPUs: the steps simulate to %.0f ns without idle wake-ups; a wake-up "
                + "onto an idle CPU is %d ns; simulated %.0f ns (%s)", idle.simStepsNs(), idle.wakeupNs(),
                idle.simFittedNs(), idleTarget()));
        if (costs.get(Cost.WAKE_AFFINE_RUN_US) > 0) {
            l.add(String.format(Locale.ROOT, "placed in phases: placing %d%% of the time, a placement phase %d us on average",
                    costs.get(Cost.WAKE_AFFINE_PERCENT), costs.get(Cost.WAKE_AFFINE_RUN_US)));
        }
        l.add(String.format(Locale.ROOT, "check: with these costs the round trip simulates to %.0f ns, the fastest of %d "
                + "seeds (%.2fx the kernel's fastest round, %.0f ns)", simCheckNs, rounds, simCheckNs / acrossCpus.ns(),
                acrossCpus.ns()));
        StringBuilder b = new StringBuilder("costs:");
        for (Cost c : SET) b.append(' ').append(c.key()).append('=').append(costs.get(c));
        l.add(b.toString());
        return l;
    }
}
