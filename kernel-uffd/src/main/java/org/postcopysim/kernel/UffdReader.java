package org.postcopysim.kernel;

/**
 * One reader thread of a userfaultfd, as a monitor (QEMU's postcopy fault thread,
 * demand_paging_test's uffd handler) runs it: {@code poll} for a message, {@code read} what is
 * queued (another reader of the same uffd may have taken it: EAGAIN, counted), and hand each
 * page fault to the {@link Resolver}. The counts are written by this thread only and read once it
 * has been joined.
 *
 * <p>A reader that ends while the run still needs it (an error, an exception, a test that kills
 * it) calls {@link Death#died}: its faults would otherwise never be answered and the faulting
 * threads would sleep in the kernel forever.
 */
public final class UffdReader implements Runnable {
    /** Messages one read takes at most. */
    static final int MESSAGES_PER_READ = 16;
    /** poll timeout: how late a reader notices it should stop (ms). */
    static final int POLL_TIMEOUT_MS = 20;

    /** Resolves one fault; returns 0, or a negative errno that ends the run. */
    @FunctionalInterface
    public interface Resolver {
        int resolve(Uffd uffd, long faultAddress, long flags, Scratch scratch);
    }

    /** Told when a reader ends before it was asked to stop. */
    @FunctionalInterface
    public interface Death {
        void died(String reader, String why);
    }

    private final String name;
    private final Uffd uffd;
    private final Resolver resolver;
    private final Death death;
    private final Scratch scratch = new Scratch(MESSAGES_PER_READ);
    private volatile boolean stop;
    /** Test hook: the reader throws after resolving this many faults (negative: never). */
    private final long dieAfterFaults;

    long pollWakeups;
    long reads;
    long emptyReads;
    long faults;
    long otherEvents;

    public UffdReader(String name, Uffd uffd, Resolver resolver, Death death) {
        this(name, uffd, resolver, death, -1);
    }

    UffdReader(String name, Uffd uffd, Resolver resolver, Death death, long dieAfterFaults) {
        this.name = name;
        this.uffd = uffd;
        this.resolver = resolver;
        this.death = death;
        this.dieAfterFaults = dieAfterFaults;
    }

    public String name() {
        return name;
    }

    /** Asks the reader to stop; it does within {@link #POLL_TIMEOUT_MS}. */
    public void stop() {
        stop = true;
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (Throwable t) {
            death.died(name, t.toString());
            return;
        }
        if (!stop) death.died(name, "it stopped without being asked to");
    }

    private void loop() {
        while (!stop) {
            int ready = uffd.pollReadable(POLL_TIMEOUT_MS, scratch);
            if (ready < 0) throw new IllegalStateException("poll on the userfaultfd failed: " + Libc.errnoName(-ready));
            if (ready == 0) continue;
            pollWakeups++;
            int n = uffd.readMessages(MESSAGES_PER_READ, scratch);
            if (n < 0) throw new IllegalStateException("read of the userfaultfd failed: " + Libc.errnoName(-n));
            if (n == 0) {
                emptyReads++; // another reader of this uffd took the message
                continue;
            }
            reads++;
            for (int i = 0; i < n; i++) handle(i);
        }
    }

    /** Message {@code i} of the last read: a page fault is decoded and resolved, anything else counted. */
    void handle(int i) {
        if (Uffd.event(scratch, i) != Uffd.EVENT_PAGEFAULT) {
            otherEvents++;
            return;
        }
        if (faults == dieAfterFaults) throw new IllegalStateException("killed by the test after " + faults + " faults");
        int r = resolver.resolve(uffd, Uffd.faultAddress(scratch, i), Uffd.faultFlags(scratch, i), scratch);
        if (r < 0) {
            throw new IllegalStateException(String.format("resolving the fault at 0x%x failed: %s",
                    Uffd.faultAddress(scratch, i), Libc.errnoName(-r)));
        }
        faults++;
    }

    /** Test and probe hook: writes a page-fault message for {@code address} into slot 0, as a read would. */
    void queueFaultMessage(long address) {
        Uffd.writeFaultMessage(scratch, 0, address);
    }
}
