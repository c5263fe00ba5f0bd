package org.postcopysim.sim.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulated MMU lock: readers share it, a writer holds it alone, and a queued writer is not overtaken. */
class SimRwLockTest {
    @Test
    void readersShareAWriterWaitsForThemAndLaterReadersWaitForTheWriter() {
        Simulator sim = new Simulator(64);
        SimulatorTest.Recorder r = new SimulatorTest.Recorder(sim);
        int a = sim.register(r);
        SimRwLock lock = new SimRwLock(sim, "mmu", 5, 100, 8);
        lock.acquireRead(a, 1);
        lock.acquireRead(a, 2);
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("5:1", "5:2"), r.seen, "two readers hold it at once");
        assertEquals(2, lock.readers());
        lock.acquireWrite(a, 3); // waits for both readers
        lock.acquireRead(a, 4);  // queued behind the writer: no overtaking
        lock.acquireRead(a, 5);
        sim.run(Long.MAX_VALUE);
        assertEquals(2, r.seen.size(), "nobody got it while the readers hold it");
        lock.releaseRead();
        sim.run(Long.MAX_VALUE);
        assertEquals(2, r.seen.size(), "one reader still holds it");
        lock.releaseRead();
        sim.run(Long.MAX_VALUE);
        assertEquals("105:3", r.seen.get(2), "the writer, after the hand-off");
        assertEquals(true, lock.isWriteHeld());
        lock.releaseWrite();
        sim.run(Long.MAX_VALUE);
        assertEquals(List.of("5:1", "5:2", "105:3", "205:4", "205:5"), r.seen, "both queued readers together");
        assertEquals(2, lock.readers());
        assertEquals(3, lock.contended());
        assertThrows(IllegalStateException.class, lock::releaseWrite);
    }
}
