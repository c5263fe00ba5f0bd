package org.postcopysim.dest;

import io.micrometer.core.instrument.Counter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;
import java.util.function.LongUnaryOperator;
import java.util.function.Supplier;
import org.postcopysim.dest.threads.PageWaiters;
import org.postcopysim.time.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code watchdog} thread: a vCPU blocked on one missing page longer than the stall timeout
 * is reported (WARN, counted once per wait), and reported again each time the wait has doubled
 * (2, 4, 8... times the timeout), so a dead or silent source never hangs the guest unnoticed,
 * however long it lasts (Firecracker's complaint, kernel-background.md §8). It only reads the wait start
 * each vCPU records in {@link PageWaiters}; the vCPUs and the KVM model know nothing of it.
 */
final class StallWatchdog implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(StallWatchdog.class);
    /** Shortest and longest pause between two scans (nanoseconds). */
    static final long MIN_SCAN_NS = 10_000_000;
    static final long MAX_SCAN_NS = 500_000_000;

    private final PageWaiters waiters;
    private final long stallTimeoutNs;
    private final long scanNs;
    private final Counter stalls;
    private final LongUnaryOperator pageIndexToGfn;
    private final Supplier<String> linkState;
    /** What the destination knows of a page (dense index), for the message: in flight, arrived... */
    private final LongFunction<String> pageState;
    private final NanoClock clock;
    /** The wait start of each vCPU's last reported stall, so a wait is counted once. */
    private final long[] reportedSinceNs;
    /** When each vCPU's reported wait is reported again (nanoseconds; the wait's length doubles between reports). */
    private final long[] nextReportNs;
    private volatile boolean stopped;
    private volatile Thread thread;

    /**
     * @param pageIndexToGfn dense page index to gfn (for the message)
     * @param linkState      what the link is doing, for the message ("up", "paused for 3 s")
     * @param pageState      what the destination knows of the page waited for (dense index), for the message
     * @param clock          the clock the vCPUs stamp their waits with
     */
    StallWatchdog(PageWaiters waiters, long stallTimeoutNs, Counter stalls, LongUnaryOperator pageIndexToGfn,
                  Supplier<String> linkState, LongFunction<String> pageState, NanoClock clock) {
        this.pageState = pageState;
        this.clock = clock;
        this.waiters = waiters;
        this.stallTimeoutNs = stallTimeoutNs;
        this.scanNs = Math.max(MIN_SCAN_NS, Math.min(MAX_SCAN_NS, stallTimeoutNs / 4));
        this.stalls = stalls;
        this.pageIndexToGfn = pageIndexToGfn;
        this.linkState = linkState;
        this.reportedSinceNs = new long[waiters.vcpus()];
        this.nextReportNs = new long[waiters.vcpus()];
    }

    /** Starts the daemon thread {@code watchdog}. */
    void start() {
        Thread t = new Thread(this, "watchdog");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    void stop() {
        stopped = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void run() {
        while (!stopped) {
            scan(clock.nanoTime());
            LockSupport.parkNanos(this, scanNs);
        }
    }

    /**
     * Reports every vCPU blocked on one page longer than the stall timeout at {@code nowNs} (counted
     * once per wait), and again each time its wait has doubled since the last report.
     *
     * @return the reports logged
     */
    int scan(long nowNs) {
        int reported = 0;
        for (int v = 0; v < reportedSinceNs.length; v++) {
            long since = waiters.waitSinceNs(v);
            if (since == 0 || nowNs - since < stallTimeoutNs) continue;
            boolean again = since == reportedSinceNs[v];
            if (again && nowNs < nextReportNs[v]) continue;
            long pageIndex = waiters.waitingFor(v);
            if (waiters.waitSinceNs(v) != since || pageIndex < 0) continue; // the wait ended meanwhile
            long blockedNs = nowNs - since;
            reportedSinceNs[v] = since;
            nextReportNs[v] = since + 2 * blockedNs;
            if (!again) stalls.increment();
            reported++;
            log.warn("vcpu-{} {}: blocked on gfn 0x{} for {} ms (stall timeout {} ms); link {}; the page: {}", v,
                    again ? "still stalled" : "stalled", Long.toHexString(pageIndexToGfn.applyAsLong(pageIndex)),
                    TimeUnit.NANOSECONDS.toMillis(blockedNs), TimeUnit.NANOSECONDS.toMillis(stallTimeoutNs), linkState.get(),
                    pageState.apply(pageIndex));
        }
        return reported;
    }
}
