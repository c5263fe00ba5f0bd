package org.postcopysim.kernel;

import com.sun.jna.Pointer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * Times, on this machine's kernel, the steps a userfaultfd fault's round trip is made of, each
 * on its own: a {@code poll} of a uffd with nothing queued, a {@code read} that finds nothing
 * (EAGAIN), a {@code UFFDIO_WAKE} of a range nobody waits on (the ioctl and an empty wake walk),
 * a {@code UFFDIO_COPY} of one page into a registered, never-touched range with nobody waiting
 * (the ioctl, the page's allocation and mapping, the copy), a first-touch write fault on plain
 * anonymous memory (the fault's entry and exit, the allocation and zeroing), and a thread wake-up
 * (one way of a park/unpark ping-pong between two threads, the futex wake and the sleeper running
 * again), with the CPU time the two threads spent per hand-off (what of the wake-up is work rather
 * than waiting) and the waker's share of it (the unpark call). The wake-up is measured twice: with
 * the two threads free to run anywhere (the sleeper is woken onto an idle CPU, which on a virtual
 * machine means waking a halted virtual CPU) and with both on one CPU (the sleeper is queued on
 * the waker's busy CPU and runs when the waker sleeps): the two costs a wake-up has, depending
 * on whether a CPU is idle when it happens.
 *
 * <p>Each step is timed over many repetitions per round, after a warm-up round; the fastest
 * round is reported: on a machine shared with other work the least disturbed round is the
 * closest to what the step itself costs (as {@code HostCostProbe} does for the copy).
 */
public final class KernelCostProbe {
    private static final int PAGE = 4096;
    private static final int SYSCALLS_PER_ROUND = 20_000;
    private static final int PING_PONGS_PER_ROUND = 2_000;

    private KernelCostProbe() {
    }

    /**
     * The fastest rounds (ns per operation; per page for the copy and the first touch).
     *
     * @param pollEmptyNs     poll(2) of a uffd with nothing queued, timeout 0
     * @param readEmptyNs     read(2) of a non-blocking uffd with nothing queued (EAGAIN)
     * @param wakeIoctlNs     UFFDIO_WAKE of one page nobody waits on
     * @param copyIoctlNs     UFFDIO_COPY of one page into a registered range, nobody waiting
     * @param firstTouchNs    a write to a never-touched page of plain anonymous memory
     * @param acrossCpus      a park/unpark ping-pong between two threads free to run on any CPU: a
     *                        wake-up onto an idle CPU, on an idle machine
     * @param oneCpu          the same ping-pong with both threads on one CPU: a wake-up onto a busy CPU
     *                        (the waker's), null where the CPU mask cannot be set
     * @param rounds          rounds each figure is the fastest of
     */
    public record Measured(long pollEmptyNs, long readEmptyNs, long wakeIoctlNs, long copyIoctlNs, long firstTouchNs,
                           Wakeup acrossCpus, Wakeup oneCpu, int rounds) {
    }

    /**
     * One way of a ping-pong's fastest round.
     *
     * @param oneWayNs the hand-off's time (the unpark, the futex wake, the sleeper running again)
     * @param cpuNs    CPU time both threads spent per hand-off (at most {@code oneWayNs})
     * @param wakerNs  of that, the unpark call on the waking thread (at most {@code cpuNs})
     */
    public record Wakeup(long oneWayNs, long cpuNs, long wakerNs) {
        /** The fastest of {@code rounds}, each {time, cpu, unpark}: its parts from the same round, so that they add up. */
        static Wakeup fastest(long[][] rounds) {
            long[] f = rounds[0];
            for (long[] r : rounds) if (r[0] < f[0]) f = r;
            long cpu = Math.min(f[0], f[1]);
            return new Wakeup(f[0], cpu, Math.min(cpu, f[2]));
        }
    }

    /**
     * Runs {@code rounds} rounds, each over {@code pages} pages for the copy and the first touch.
     *
     * @throws KernelUnavailable when this kernel has no usable userfaultfd (the reason in one line)
     */
    public static Measured measure(int rounds, long pages) throws KernelUnavailable {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
        if (pages < 1) throw new IllegalArgumentException("pages must be at least 1, got " + pages);
        long[] poll = new long[rounds];
        long[] read = new long[rounds];
        long[] wake = new long[rounds];
        long[] copy = new long[rounds];
        long[] touch = new long[rounds];
        long[][] across = new long[rounds][];
        long[][] one = new long[rounds][];
        roundOnce(pages, new long[5]); // warm-up: the JIT, JNA's stubs, the page allocator
        pingPong(PING_PONGS_PER_ROUND);
        boolean pinnable = true;
        for (int r = 0; r < rounds; r++) {
            long[] m = new long[5];
            roundOnce(pages, m);
            poll[r] = m[0];
            read[r] = m[1];
            wake[r] = m[2];
            copy[r] = m[3];
            touch[r] = m[4];
            across[r] = pingPong(PING_PONGS_PER_ROUND);
            if (pinnable) {
                try {
                    one[r] = CpuAffinity.onOneCpu(CpuAffinity.firstAllowed(), () -> pingPong(PING_PONGS_PER_ROUND));
                } catch (KernelUnavailable e) {
                    pinnable = false;
                }
            }
        }
        return new Measured(min(poll), min(read), min(wake), min(copy), min(touch), Wakeup.fastest(across),
                pinnable ? Wakeup.fastest(one) : null, rounds);
    }

    private static void roundOnce(long pages, long[] out) throws KernelUnavailable {
        Scratch s = new Scratch(1);
        try (Uffd uffd = Uffd.open(Uffd.Registration.MISSING);
             GuestRegion guest = GuestRegion.map(pages, Uffd.Registration.MISSING);
             GuestRegion source = GuestRegion.map(pages, Uffd.Registration.MISSING);
             GuestRegion plain = GuestRegion.map(pages, Uffd.Registration.MISSING)) {
            uffd.register(guest.address(), guest.bytes(), Uffd.Registration.MISSING);
            touchAll(source.address(), pages); // the copy's source is present, as a monitor's buffer is
            out[0] = perOp(SYSCALLS_PER_ROUND, () -> check(uffd.pollReadable(0, s) == 0, "poll found a message"));
            out[1] = perOp(SYSCALLS_PER_ROUND, () -> check(uffd.readMessages(1, s) == 0, "read found a message"));
            out[2] = perOp(SYSCALLS_PER_ROUND, () -> check(uffd.wake(guest.address(), PAGE, s) == 0, "UFFDIO_WAKE failed"));
            long t0 = System.nanoTime();
            for (long p = 0; p < pages; p++) {
                int r = uffd.copy(guest.address() + p * PAGE, source.address() + p * PAGE, PAGE, false, s);
                if (r != 0) throw new IllegalStateException("UFFDIO_COPY failed: " + Libc.errnoName(-r));
            }
            out[3] = (System.nanoTime() - t0) / pages;
            t0 = System.nanoTime();
            touchAll(plain.address(), pages);
            out[4] = (System.nanoTime() - t0) / pages;
            uffd.unregister(guest.address(), guest.bytes(), s);
        }
    }

    private static void touchAll(long base, long pages) {
        Pointer mem = new Pointer(base);
        for (long p = 0; p < pages; p++) mem.setLong(p * PAGE, p + 1);
    }

    private static long perOp(int n, Runnable op) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) op.run();
        return (System.nanoTime() - t0) / n;
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new IllegalStateException(what + " on an idle userfaultfd");
    }

    /**
     * Two threads hand a token back and forth {@code n} times, each parking until the other
     * unparks it. Returns, per hand-off (one way: the unpark, a futex wake, and the sleeper being
     * scheduled and returning from park): the time, the CPU time the two threads spent, and the
     * time the unpark call took on the waking thread (all ns).
     */
    static long[] pingPong(int n) {
        ThreadMXBean tm = ManagementFactory.getThreadMXBean();
        PingPong pp = new PingPong();
        long[] pongCpu = new long[2];
        Thread other = new Thread(() -> {
            long c0 = tm.getCurrentThreadCpuTime();
            long unpark = 0;
            for (int i = 0; i < n; i++) {
                pp.awaitTurn(1);
                long t = System.nanoTime();
                pp.pass(0);
                unpark += System.nanoTime() - t;
            }
            pongCpu[0] = tm.getCurrentThreadCpuTime() - c0;
            pongCpu[1] = unpark;
        }, "probe-pong");
        pp.threads[0] = Thread.currentThread();
        pp.threads[1] = other;
        other.setDaemon(true);
        other.start();
        long c0 = tm.getCurrentThreadCpuTime();
        long unpark = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            pp.pass(1);
            unpark += System.nanoTime() - t;
            pp.awaitTurn(0);
        }
        long ns = System.nanoTime() - t0;
        long cpu = tm.getCurrentThreadCpuTime() - c0;
        try {
            other.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while joining the ping-pong thread", e);
        }
        long handoffs = 2L * n;
        return new long[] {ns / handoffs, (cpu + pongCpu[0]) / handoffs, (unpark + pongCpu[1]) / handoffs};
    }

    private static final class PingPong {
        final Thread[] threads = new Thread[2];
        volatile int turn;

        void pass(int to) {
            turn = to;
            LockSupport.unpark(threads[to]);
        }

        void awaitTurn(int me) {
            while (turn != me) LockSupport.park(this);
        }
    }

    static long min(long[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }
}
