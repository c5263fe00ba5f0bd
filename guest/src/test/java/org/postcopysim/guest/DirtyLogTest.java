package org.postcopysim.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * The dirty log's one rule (write, then set the bit; clear the bit, then copy) loses no write:
 * after vCPUs wrote while a sender copied pages out, every page whose bit is clear holds exactly
 * what the sender last copied. The negative control copies before clearing, as a sender that got
 * the order wrong would, and the same check finds a write that went unnoticed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DirtyLogTest {
    private static final long SEED = 9;

    /** A sender's copy of one page: the page's counter word, the only word guest writes change. */
    interface Sender {
        void copyIfDirty(DirtyLog log, GuestMemory memory, long page, long[] lastCopied);
    }

    static final Sender CLEAR_THEN_COPY = (log, memory, page, last) -> {
        if (log.clearBeforeCopy(page)) last[(int) page] = memory.readWordAcquire(page, PageContents.COUNTER_WORD);
    };

    /** Runs two writing vCPUs against {@code sender} for {@code passes} passes; returns the pages whose clear bit hides a write. */
    static int lostWrites(Sender sender, int pages, int passes) throws InterruptedException {
        GuestLayout layout = GuestLayout.contiguous((long) pages * GuestLayout.PAGE_SIZE_BYTES, 1);
        try (GuestMemory memory = GuestMemory.allocate(pages)) {
            DirtyLog log = new DirtyLog(pages);
            long[] lastCopied = new long[pages];
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> vcpus = new ArrayList<>();
            for (int v = 0; v < 2; v++) {
                GuestVcpu vcpu = new GuestVcpu(layout, memory, log,
                        new AccessStream(Workload.parse("uniform", 1.0), 0, pages, SplitMix64.fork(SEED, v), 0), SEED);
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        vcpu.next();
                        vcpu.complete();
                    }
                }, "test-vcpu-" + v);
                vcpus.add(t);
                t.start();
            }
            for (int pass = 0; pass < passes; pass++) {
                for (long p = 0; p < pages; p++) {
                    if (pass == 0) log.recordWrite(p); // the first round sends every page
                    sender.copyIfDirty(log, memory, p, lastCopied);
                }
            }
            stop.set(true);
            for (Thread t : vcpus) t.join();
            int lost = 0;
            for (long p = 0; p < pages; p++) {
                if (!log.isDirty(p) && lastCopied[(int) p] != memory.readWord(p, PageContents.COUNTER_WORD)) lost++;
            }
            return lost;
        }
    }

    @Test
    void aPageWhoseBitIsClearHoldsWhatWasLastCopied() throws InterruptedException {
        for (int run = 0; run < 5; run++) assertEquals(0, lostWrites(CLEAR_THEN_COPY, 4, 200_000), "run " + run);
    }

    /**
     * One page, one write made at the worst moment: between the sender's two steps. Returns
     * whether the page's bit is then clear while it holds something else than what was copied.
     */
    static boolean writeBetweenStepsIsLost(boolean clearFirst) {
        GuestLayout layout = GuestLayout.contiguous(GuestLayout.PAGE_SIZE_BYTES, 1);
        try (GuestMemory memory = GuestMemory.allocate(1)) {
            DirtyLog log = new DirtyLog(1);
            GuestVcpu vcpu = new GuestVcpu(layout, memory, log,
                    new AccessStream(Workload.parse("uniform", 1.0), 0, 1, SplitMix64.fork(SEED, 0), 0), SEED);
            log.recordWrite(0);
            long copied;
            if (clearFirst) {
                log.clearBeforeCopy(0);
                write(vcpu);
                copied = memory.readWordAcquire(0, PageContents.COUNTER_WORD);
            } else {
                copied = memory.readWordAcquire(0, PageContents.COUNTER_WORD);
                write(vcpu);
                log.clearBeforeCopy(0);
            }
            return !log.isDirty(0) && copied != memory.readWord(0, PageContents.COUNTER_WORD);
        }
    }

    private static void write(GuestVcpu vcpu) {
        vcpu.next();
        assertEquals(GuestVcpu.WROTE, vcpu.complete(), "the test's vCPU writes");
    }

    @Test
    void negativeControlCopyingBeforeClearingLosesAWriteMadeBetweenTheTwo() {
        // The racing test above checks the invariant at the end of a run; the broken order loses a write only when
        // one lands between its copy and its clear, and the next pass heals it, so the race cannot be relied on to
        // show it. The interleaving is made by hand instead: the same check catches the broken order, not the right one.
        assertTrue(writeBetweenStepsIsLost(false), "copying before clearing: the write between them is lost");
        assertTrue(!writeBetweenStepsIsLost(true), "clearing before copying: the write between them is copied or marks the page again");
    }

    @Test
    void aWriteIsInMemoryBeforeItIsRecorded() {
        GuestLayout layout = GuestLayout.contiguous(16 * GuestLayout.PAGE_SIZE_BYTES, 1);
        try (GuestMemory memory = GuestMemory.allocate(16)) {
            long[] seenAtRecord = new long[16];
            GuestVcpu vcpu = new GuestVcpu(layout, memory,
                    page -> seenAtRecord[(int) page] = memory.readWord(page, PageContents.COUNTER_WORD),
                    new AccessStream(Workload.parse("sequential", 1.0), 0, 16, SEED, 0), SEED);
            for (int i = 0; i < 16; i++) {
                vcpu.next();
                assertEquals(GuestVcpu.WROTE, vcpu.complete());
                assertEquals(1, seenAtRecord[(int) vcpu.pageIndex()], "the write was recorded before it was made");
            }
        }
    }
}
