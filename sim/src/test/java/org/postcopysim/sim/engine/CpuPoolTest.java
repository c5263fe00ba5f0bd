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
        cpus.release(); // the woken thread sleeps again: the hog gets the CPU back
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("0:1", "200:2"), hog.seen);
        assertEquals(1, cpus.preemptions());
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
        cpus.release();
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("100:3"), woken.seen);
        assertEquals(List.of(), runnable.seen);
    }

    @Test
    void aWakeUpTakesAFreeCpuAtOnceAndNoneWhenAllAreBusy() {
        Simulator sim = new Simulator(64);
        CpuPool cpus = new CpuPool(sim, 2, SWITCH_NS, 8);
        assertTrue(cpus.tryReserve());
        assertEquals(1, cpus.free());
        assertTrue(cpus.tryReserve());
        assertFalse(cpus.tryReserve(), "no CPU left: the wake-up goes onto a busy CPU's queue");
        assertEquals(0, cpus.free());
        cpus.release();
        assertEquals(1, cpus.free());
    }
}
