package org.postcopysim.sim.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CPU pool's scheduling: a woken thread runs before threads that have been running, and
 * preempts one that runs on; a wake-up with a CPU free takes it at once.
 */
class CpuPoolTest {
    private static final long SWITCH_NS = 100;

    @Test
    void aThreadThatRunsOnKeepsItsCpuWhenNoWokenThreadWaits() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 1, SWITCH_NS, 8);
        SimulatorTest.Recorder hog = new SimulatorTest.Recorder(sim);
        int h = sim.register(hog);
        SimulatorTest.Recorder other = new SimulatorTest.Recorder(sim);
        int o = sim.register(other);
        cpus.acquire(h, 1);
        sim.run(Long.MAX_VALUE);
        cpus.acquire(o, 7); // a thread that has been running (not woken): it waits
        assertFalse(cpus.runOnOrYield(h, 2));
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("0:1", "0:2"), hog.seen);
        assertEquals(List.of(), other.seen);
        assertEquals(0, cpus.preemptions());
    }

    @Test
    void aWokenThreadPreemptsOneThatRunsOnAndTheHogWaitsBehindIt() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 1, SWITCH_NS, 8);
        SimulatorTest.Recorder hog = new SimulatorTest.Recorder(sim);
        int h = sim.register(hog);
        SimulatorTest.Recorder sleeper = new SimulatorTest.Recorder(sim);
        int s = sim.register(sleeper);
        cpus.acquire(h, 1);
        sim.run(Long.MAX_VALUE);
        cpus.acquireWoken(s, 5); // woken while the only CPU is busy
        assertTrue(cpus.runOnOrYield(h, 2));
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("100:5"), sleeper.seen, "the woken thread runs after one context switch");
        assertEquals(List.of("0:1"), hog.seen, "the hog waits for the CPU");
        cpus.release(s); // the woken thread sleeps again: the hog gets the CPU back
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("0:1", "200:2"), hog.seen);
        assertEquals(1, cpus.preemptions());
    }

    /**
     * With slices protected a woken thread does not preempt one that got its CPU less than a slice
     * ago (EEVDF's RUN_TO_PARITY), and does once the slice is over. Control: without (slice 0) it
     * preempts at once, as the test above shows.
     */
    @Test
    void withSlicesProtectedAWokenThreadPreemptsOnlyAfterTheSlice() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 1, SWITCH_NS, 8);
        cpus.protectSlices(1_000);
        SimulatorTest.Recorder hog = new SimulatorTest.Recorder(sim);
        int h = sim.register(hog);
        SimulatorTest.Recorder sleeper = new SimulatorTest.Recorder(sim);
        int s = sim.register(sleeper);
        cpus.acquire(h, 1);
        sim.run(Long.MAX_VALUE);
        cpus.acquireWoken(s, 5);
        assertFalse(cpus.runOnOrYield(h, 2), "within its slice the hog runs on");
        sim.run(Long.MAX_VALUE);
        sim.schedule(999, h, 3); // still within the slice at 999 ns
        sim.run(Long.MAX_VALUE);
        assertFalse(cpus.runOnOrYield(h, 4));
        sim.run(Long.MAX_VALUE);
        sim.schedule(1, h, 6); // 1000 ns after it got the CPU: the slice is over
        sim.run(Long.MAX_VALUE);
        assertTrue(cpus.runOnOrYield(h, 7));
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("0:1", "0:2", "999:3", "999:4", "1000:6"), hog.seen);
        assertEquals(List.of("1100:5"), sleeper.seen, "the woken thread runs after the slice and a context switch");
        assertEquals(1, cpus.preemptions());
    }

    /** A thread handed a CPU (a context switch after a preemption) is protected from the moment it got it. */
    @Test
    void theSliceStartsWhenAThreadIsHandedItsCpu() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 1, SWITCH_NS, 8);
        cpus.protectSlices(1_000);
        SimulatorTest.Recorder hog = new SimulatorTest.Recorder(sim);
        int h = sim.register(hog);
        SimulatorTest.Recorder first = new SimulatorTest.Recorder(sim);
        int f = sim.register(first);
        SimulatorTest.Recorder second = new SimulatorTest.Recorder(sim);
        int s = sim.register(second);
        cpus.acquire(h, 1);
        sim.run(Long.MAX_VALUE);
        cpus.acquireWoken(f, 5);
        sim.schedule(1_000, h, 2);
        sim.run(Long.MAX_VALUE);
        assertTrue(cpus.runOnOrYield(h, 3), "the hog's slice is over at 1000 ns");
        sim.run(Long.MAX_VALUE); // the first woken thread gets the CPU at 1100 ns
        cpus.acquireWoken(s, 6);
        sim.schedule(900, f, 7); // 1999 ns: 899 ns after it got the CPU
        sim.run(Long.MAX_VALUE);
        assertFalse(cpus.runOnOrYield(f, 8), "handed the CPU at 1100 ns, it is within its slice at 1999 ns");
        sim.run(Long.MAX_VALUE);
        sim.schedule(101, f, 9); // 2100 ns: its slice is over
        sim.run(Long.MAX_VALUE);
        assertTrue(cpus.runOnOrYield(f, 10));
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("1100:5", "2000:7", "2000:8", "2101:9"), first.seen);
        assertEquals(List.of("2201:6"), second.seen);
    }

    /** What a cache-hot pull left: the CPUs free 999 ns after the release and at the end, and what the sleeper ran. */
    private record Pull(int freeAt999Ns, int free, List<String> sleeperRan) {}

    /**
     * Three threads on 2 CPUs under a migration cost of {@code costNs}: a hog holds one, a sleeper
     * runs on the other and sleeps at 0 ns, and another thread takes that CPU; {@code idleNs} later
     * the sleeper wakes onto the hog's CPU's queue and the other thread releases its CPU, which is
     * about to go idle and may pull the sleeper.
     */
    private static Pull pullAfter(long costNs, long idleNs) {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 2, SWITCH_NS, 8);
        cpus.protectCacheHot(costNs);
        int h = sim.register(new SimulatorTest.Recorder(sim));
        SimulatorTest.Recorder sleeper = new SimulatorTest.Recorder(sim);
        int s = sim.register(sleeper);
        int g = sim.register(new SimulatorTest.Recorder(sim));
        cpus.acquire(h, 1);
        cpus.acquire(s, 1);
        sim.run(Long.MAX_VALUE);
        int sCpu = cpus.cpuOf(s);
        cpus.release(s);
        assertEquals(sCpu, cpus.lastCpuOf(s), "the CPU it last held");
        cpus.acquire(g, 1);
        sim.run(Long.MAX_VALUE);
        if (idleNs > 0) {
            sim.schedule(idleNs, g, 2);
            sim.run(Long.MAX_VALUE);
        }
        cpus.acquireOnCpu(cpus.cpuOf(h), s, 5);
        cpus.release(g);
        long releasedNs = sim.nowNs();
        sim.run(releasedNs + 999);
        int freeAt999Ns = cpus.free();
        sim.run(Long.MAX_VALUE);
        return new Pull(freeAt999Ns, cpus.free(), sleeper.seen);
    }

    /**
     * With cache-hot threads protected, a CPU about to go idle does not pull a thread waiting for
     * another CPU that ran within the migration cost; it goes idle, and pulls the thread once it
     * has cooled (Linux's idle balancing runs again while the CPU is idle). Control: without the
     * protection the same hot thread is pulled at once.
     */
    @Test
    void anIdleCpuPullsNoCacheHotThread() {
        Pull hot = pullAfter(1_000, 0);
        assertEquals(1, hot.freeAt999Ns(), "the hot thread is not pulled: the CPU idles");
        assertEquals(List.of("0:1", "1100:5"), hot.sleeperRan(), "pulled when it cooled, at 1000 ns, after a switch");
        assertEquals(0, hot.free());
        Pull control = pullAfter(0, 0);
        assertEquals(0, control.free(), "control: without the protection it is pulled");
        assertEquals(List.of("0:1", "100:5"), control.sleeperRan());
    }

    /** A waiting thread that ran longer ago than the migration cost is pulled by a CPU about to go idle. */
    @Test
    void anIdleCpuPullsAThreadThatIsNoLongerHot() {
        Pull cold = pullAfter(1_000, 2_000);
        assertEquals(0, cold.free());
        assertEquals(List.of("0:1", "2100:5"), cold.sleeperRan());
    }

    @Test
    void aReleasedCpuGoesToAWokenThreadBeforeOnesThatWereRunning() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 1, SWITCH_NS, 8);
        SimulatorTest.Recorder first = new SimulatorTest.Recorder(sim);
        int f = sim.register(first);
        SimulatorTest.Recorder runnable = new SimulatorTest.Recorder(sim);
        int r = sim.register(runnable);
        SimulatorTest.Recorder woken = new SimulatorTest.Recorder(sim);
        int w = sim.register(woken);
        cpus.acquire(f, 1);
        cpus.acquire(r, 2);     // waited first
        cpus.acquireWoken(w, 3); // woken later
        cpus.release(f);
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("100:3"), woken.seen);
        assertEquals(List.of(), runnable.seen);
    }

    @Test
    void aWakeUpTakesAFreeCpuAtOnceAndNoneWhenAllAreBusy() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 2, SWITCH_NS, 8);
        assertTrue(cpus.tryReserve(0));
        assertEquals(1, cpus.free());
        assertTrue(cpus.tryReserve(1));
        assertFalse(cpus.tryReserve(2), "no CPU left: the wake-up goes onto a busy CPU's queue");
        assertEquals(0, cpus.free());
        cpus.release(0);
        assertEquals(1, cpus.free());
    }

    /**
     * Wake-affine placement: a thread placed on its waker's CPU waits for it although the other
     * CPU is idle, runs when the waker yields, and the waker (preempted) waits behind it with
     * the idle CPU still idle. The control is the same wake-up not placed: it takes the idle CPU
     * at once and the waker runs on.
     */
    @Test
    void aThreadPlacedOnItsWakersCpuWaitsForItWhileAnotherIsIdle() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 2, SWITCH_NS, 8);
        SimulatorTest.Recorder waker = new SimulatorTest.Recorder(sim);
        int w = sim.register(waker);
        SimulatorTest.Recorder wakee = new SimulatorTest.Recorder(sim);
        int e = sim.register(wakee);
        cpus.acquire(w, 1);
        sim.run(Long.MAX_VALUE);
        cpus.acquireOnCpuOf(w, e, 5);
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of(), wakee.seen, "placed on the waker's CPU, it waits although a CPU is idle");
        assertEquals(1, cpus.free());
        assertTrue(cpus.runOnOrYield(w, 2), "the waker yields its CPU to the thread placed on it");
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("100:5"), wakee.seen);
        assertEquals(List.of("0:1"), waker.seen, "the preempted waker waits: the idle CPU does not pull it");
        assertEquals(1, cpus.free());
        cpus.release(e);
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("0:1", "200:2"), waker.seen, "the waker gets its CPU back when the woken thread sleeps");

        // Control: the same wake-up not placed on the waker's CPU takes the idle one at once.
        Simulator sim2 = new Simulator(64);
        CpuPool free = new CpuPool(sim2, 2, SWITCH_NS, 8);
        SimulatorTest.Recorder waker2 = new SimulatorTest.Recorder(sim2);
        int w2 = sim2.register(waker2);
        SimulatorTest.Recorder wakee2 = new SimulatorTest.Recorder(sim2);
        int e2 = sim2.register(wakee2);
        free.acquire(w2, 1);
        sim2.run(Long.MAX_VALUE);
        free.acquireWoken(e2, 5);
        assertFalse(free.runOnOrYield(w2, 2));
        sim2.run(Long.MAX_VALUE);
        assertEquals(List.of("0:5"), wakee2.seen);
        assertEquals(List.of("0:1", "0:2"), waker2.seen);
    }

    /**
     * The waker a placed thread preempted waits on its CPU, ahead of the global queues: when the
     * placed thread sleeps the waker gets the CPU back, before a thread woken meanwhile onto the
     * busy pool. The control is the global woken thread itself, which would run first if the
     * preempted waker had gone to the runnable queue as an ordinary preempted thread does.
     */
    @Test
    void theWakerAPlacedThreadPreemptedGetsItsCpuBackFirst() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 1, SWITCH_NS, 8);
        SimulatorTest.Recorder waker = new SimulatorTest.Recorder(sim);
        int w = sim.register(waker);
        SimulatorTest.Recorder placed = new SimulatorTest.Recorder(sim);
        int p = sim.register(placed);
        SimulatorTest.Recorder other = new SimulatorTest.Recorder(sim);
        int o = sim.register(other);
        cpus.acquire(w, 1);
        sim.run(Long.MAX_VALUE);
        cpus.acquireOnCpuOf(w, p, 5);
        assertTrue(cpus.runOnOrYield(w, 2));
        sim.run(Long.MAX_VALUE);
        cpus.acquireWoken(o, 7); // woken onto the busy pool meanwhile
        cpus.release(p);
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("0:1", "200:2"), waker.seen, "the preempted waker runs again first");
        assertEquals(List.of(), other.seen);
    }

    /**
     * A CPU about to go idle takes a thread waiting for another, busy CPU (the idle balance): no
     * thread waits for a busy CPU across the moment another goes idle. The control: without that
     * CPU going idle, it waits on.
     */
    @Test
    void aCpuAboutToGoIdlePullsAThreadWaitingForABusyOne() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 2, SWITCH_NS, 8);
        SimulatorTest.Recorder hog = new SimulatorTest.Recorder(sim);
        int h = sim.register(hog);
        SimulatorTest.Recorder other = new SimulatorTest.Recorder(sim);
        int o = sim.register(other);
        SimulatorTest.Recorder placed = new SimulatorTest.Recorder(sim);
        int p = sim.register(placed);
        cpus.acquire(h, 1);
        cpus.acquire(o, 1);
        sim.run(Long.MAX_VALUE);
        cpus.acquireOnCpuOf(h, p, 3);
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of(), placed.seen, "control: both CPUs busy, it waits for its waker's");
        int otherCpu = cpus.cpuOf(o);
        cpus.release(o); // the other CPU would go idle: it takes the waiting thread
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("100:3"), placed.seen);
        assertEquals(otherCpu, cpus.cpuOf(p));
        assertEquals(0, cpus.free());
    }

    /** A placed wake-up whose waker holds no CPU any more waits as any woken thread does: a free CPU takes it. */
    @Test
    void aPlacedWakeUpWhoseWakerSleptTakesAFreeCpu() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 1, SWITCH_NS, 8);
        SimulatorTest.Recorder wakee = new SimulatorTest.Recorder(sim);
        int e = sim.register(wakee);
        cpus.acquireOnCpuOf(7, e, 3);
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("0:3"), wakee.seen);
    }
}
