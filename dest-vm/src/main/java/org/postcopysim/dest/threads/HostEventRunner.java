package org.postcopysim.dest.threads;

import java.util.concurrent.locks.LockSupport;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.HostEvent;
import org.postcopysim.dest.model.HostEventDriver;
import org.postcopysim.dest.workload.HostEventSpec;
import org.postcopysim.dest.workload.HostEvents;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.time.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host as a thread ({@code host-events}): reclaim, page migration, protection changes and
 * conversions against the model while the vCPUs run (docs/kvm-model.md). Each event comes from
 * {@link HostEvents#next} at its scheduled time (an absolute schedule, so a late wake-up does not
 * slow the rate down) and goes through the model's three steps: invalidate_range_start, the
 * host's change, invalidate_range_end. The model needs no MMU lock for that (its faults re-check
 * the invalidation sequence), so none is taken here: this one thread is the only source of host
 * events, which is what the model requires. Allocates nothing per event.
 */
public final class HostEventRunner implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(HostEventRunner.class);
    /** How long to wait before trying a conversion again whose page is being installed (ns). */
    static final long CHANGE_RETRY_NS = 20_000;

    private final HostEventDriver driver;
    private final HostEventSpec spec;
    private final GuestLayout layout;
    private final SplitMix64 rng;
    private final PageInstaller.Context ctx;
    private final NanoClock clock;
    private final HostEvent event = new HostEvent();
    private volatile boolean stop;
    private volatile Thread thread;

    /**
     * @param seed the seed of the events (the same seed, the same events: kind, page and time)
     * @param ctx  the installer context a conversion zeroes the page through
     */
    public HostEventRunner(HostEventDriver driver, HostEventSpec spec, GuestLayout layout, long seed,
                           PageInstaller.Context ctx, NanoClock clock) {
        this.driver = driver;
        this.spec = spec;
        this.layout = layout;
        this.rng = new SplitMix64(seed);
        this.ctx = ctx;
        this.clock = clock;
    }

    /** Starts the thread (daemon). */
    public void start() {
        Thread t = new Thread(this, "host-events");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Stops after the event in progress (if any) has ended, and joins the thread. */
    public void stop() {
        stop = true;
        Thread t = thread;
        if (t == null) return;
        LockSupport.unpark(t);
        try {
            t.join(ThreadedDest.STOP_JOIN_MS);
            if (t.isAlive()) log.error("host-events did not stop within {} s", ThreadedDest.STOP_JOIN_MS / 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        long dueNs = clock.nanoTime();
        while (!stop) {
            HostEvents.next(rng, spec, layout, event);
            dueNs += event.delayNs();
            for (long now = clock.nanoTime(); dueNs > now; now = clock.nanoTime()) {
                LockSupport.parkNanos(this, dueNs - now);
                if (stop) return;
            }
            apply();
        }
    }

    /** One event, begin to end: an event once begun always ends, so no invalidation stays in progress. */
    private void apply() {
        driver.begin(event);
        while (driver.change(event, ctx) == HostEventDriver.RETRY) LockSupport.parkNanos(this, CHANGE_RETRY_NS);
        driver.end(event);
    }
}
