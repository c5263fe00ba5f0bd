package org.postcopysim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Work run on one CPU: the thread and the threads it starts have that CPU alone, and the mask is restored after. */
class CpuAffinityTest {
    @Test
    void threadsStartedOnOneCpuInheritItAndTheCallersMaskIsRestored() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "sched_setaffinity is Linux's");
        int before = CpuAffinity.allowedCount();
        AtomicInteger inChild = new AtomicInteger();
        int inCaller = CpuAffinity.onOneCpu(CpuAffinity.firstAllowed(), () -> {
            Thread t = new Thread(() -> {
                try {
                    inChild.set(CpuAffinity.allowedCount());
                } catch (KernelUnavailable e) {
                    inChild.set(-1);
                }
            });
            t.start();
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return CpuAffinity.allowedCount();
        });
        assertEquals(1, inCaller);
        assertEquals(1, inChild.get(), "a thread started inside inherits the one CPU");
        assertEquals(before, CpuAffinity.allowedCount(), "the caller's mask is restored");
        assertTrue(before >= 1);
    }
}
