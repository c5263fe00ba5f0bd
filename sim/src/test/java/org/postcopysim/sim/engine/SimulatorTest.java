package org.postcopysim.sim.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatorTest {
    /** Records (time, kind) of each event it gets. */
    static final class Recorder implements Actor {
        final Simulator sim;
        final List<String> seen = new ArrayList<>();

        Recorder(Simulator sim) {
            this.sim = sim;
        }

        @Override
        public void onEvent(int kind) {
            seen.add(sim.nowNs() + ":" + kind);
        }
    }

    @Test
    void eventsRunInTimeOrderAndInSchedulingOrderAtTheSameTime() {
        Simulator sim = new Simulator(64);
        Recorder r = new Recorder(sim);
        int a = sim.register(r);
        sim.schedule(30, a, 3);
        sim.schedule(10, a, 1);
        sim.schedule(20, a, 21);
        sim.schedule(20, a, 22);
        sim.schedule(20, a, 23);
        sim.schedule(0, a, 0);
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("0:0", "10:1", "20:21", "20:22", "20:23", "30:3"), r.seen);
        assertEquals(30, sim.nowNs());
        assertEquals(6, sim.events());
    }

    @Test
    void manyRandomEventsComeOutSorted() {
        Simulator sim = new Simulator(10_000);
        long[] last = {-1};
        int[] count = {0};
        int a = sim.register(kind -> {
            assertTrue(sim.nowNs() >= last[0], "time went backwards");
            last[0] = sim.nowNs();
            count[0]++;
        });
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
        for (int i = 0; i < 10_000; i++) sim.schedule(rnd.nextLong(1_000_000), a, i);
        sim.run(Long.MAX_VALUE);
        assertEquals(10_000, count[0]);
    }

    @Test
    void theQueueIsBoundedAndTheBoundFailsLoudly() {
        Simulator sim = new Simulator(4);
        int a = sim.register(kind -> { });
        for (int i = 0; i < 4; i++) sim.schedule(i + 1, a, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> sim.schedule(5, a, 0));
        assertTrue(e.getMessage().contains("without bound"), e.getMessage());
        for (int i = 0; i < 4; i++) sim.schedule(0, a, 0); // events due now have their own bound
        IllegalStateException now = assertThrows(IllegalStateException.class, () -> sim.schedule(0, a, 0));
        assertTrue(now.getMessage().contains("without bound"), now.getMessage());
    }

    @Test
    void eventsDueNowRunAfterEarlierScheduledEventsOfTheSameTime() {
        Simulator sim = new Simulator(64);
        List<String> seen = new ArrayList<>();
        int[] id = new int[1];
        id[0] = sim.register(kind -> {
            seen.add(sim.nowNs() + ":" + kind);
            if (kind == 1) {
                sim.schedule(0, id[0], 3); // due now, after 2 (scheduled earlier for this time)
                sim.schedule(5, id[0], 4);
            }
        });
        sim.schedule(10, id[0], 1);
        sim.schedule(10, id[0], 2);
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("10:1", "10:2", "10:3", "15:4"), seen);
    }

    @Test
    void runStopsAtTheTimeGivenAndResumes() {
        Simulator sim = new Simulator(16);
        Recorder r = new Recorder(sim);
        int a = sim.register(r);
        sim.schedule(10, a, 1);
        sim.schedule(50, a, 2);
        assertEquals(1, sim.run(20));
        assertEquals(1, sim.pending());
        assertEquals(1, sim.run(Long.MAX_VALUE));
        assertEquals(List.of("10:1", "50:2"), r.seen);
    }

    @Test
    void theTraceHashDependsOnEveryEventsTimeActorAndKind() {
        assertEquals(hashOf(10, 1), hashOf(10, 1), "same events, same hash");
        assertNotEquals(hashOf(10, 1), hashOf(11, 1), "a different time");
        assertNotEquals(hashOf(10, 1), hashOf(10, 2), "a different kind");
    }

    private static long hashOf(long t, int kind) {
        Simulator sim = new Simulator(4);
        int a = sim.register(k -> { });
        sim.schedule(t, a, kind);
        sim.run(Long.MAX_VALUE);
        return sim.traceHash();
    }

    @Test
    void aContendedLockServesItsWaitersInOrderAfterEachHandoff() {
        Simulator sim = new Simulator(64);
        SimLock lock = new SimLock(sim, "l", 5, 100, 10, 1000, 8);
        List<String> order = new ArrayList<>();
        int[] ids = new int[3];
        for (int i = 0; i < 3; i++) {
            int me = i;
            ids[i] = sim.register(kind -> {
                if (kind == 0) {
                    lock.acquire(ids[me], 1);
                } else if (kind == 1) {
                    order.add(me + "@" + sim.nowNs());
                    sim.schedule(50, ids[me], 2); // hold 50 ns
                } else {
                    lock.release();
                }
            });
        }
        for (int i = 0; i < 3; i++) sim.schedule(0, ids[i], 0);
        sim.run(Long.MAX_VALUE);
        // 0 takes it free (acquire 5); 1 waits; at 55 the release hands it to 1 with one more spinner
        // (100 + 10); at 215 to 2 with none (100).
        assertEquals(List.of("0@5", "1@165", "2@315"), order);
        assertEquals(2, lock.contended());
    }
}
