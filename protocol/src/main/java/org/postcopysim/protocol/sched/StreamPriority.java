package org.postcopysim.protocol.sched;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the event loops that carry only the background stream at a higher niceness, so that on a
 * host whose cores are all busy a demand fault's hand-offs (its request and answer on their own
 * connection, the woken vCPU) get a core before the stream does, while the stream still takes
 * every cycle nothing else wants. Two ways, one per side:
 *
 * <ul>
 *   <li>{@link #threadFactory}: threads of an event loop group that only ever serves streams
 *       (the destination's, which picks the group by the connection's role) are lowered once,
 *       when they start, and never raised again.
 *   <li>{@link #enter} and {@link #leave}: where the loop is known only once the connection's
 *       Hello names its role (the source's, whose accepted connections take its loops in turn),
 *       the rule is per event loop thread, by the connections it serves at the moment: a loop
 *       with at least one stream and no demand connection runs at its base niceness plus {@code
 *       streamNice} (at most 19), a loop that gets a demand connection goes back to its base. Going
 *       back needs CAP_SYS_NICE (or RLIMIT_NICE); where this process cannot, no loop is lowered
 *       this way (logged once), so that a demand connection never runs on a lowered loop.
 * </ul>
 *
 * {@link #enter} and {@link #leave} are called on the connection's event loop thread (from a
 * handler's {@code handlerAdded} and {@code handlerRemoved}); each thread keeps its own counts. A
 * niceness that cannot be set or read is logged and the loop runs on as it was: the stream is
 * then as fast as before, demand faults as slow.
 */
public final class StreamPriority {
    private static final Logger log = LoggerFactory.getLogger(StreamPriority.class);

    /** The niceness above its base a stream-only loop runs at unless told otherwise. */
    public static final int DEFAULT_NICE = 10;
    /** Linux's niceness range above 0. */
    public static final int MAX_NICE = 19;

    /** What a connection is to its event loop. */
    public enum Role { DEMAND, STREAM }

    /** Off: every loop runs at its base niceness. */
    public static final StreamPriority OFF = new StreamPriority(0);

    private static final ThreadLocal<Loop> LOOP = ThreadLocal.withInitial(Loop::new);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final int streamNice;

    private StreamPriority(int streamNice) {
        this.streamNice = streamNice;
    }

    /** Stream-only loops {@code streamNice} (0..19) above their base; 0 is {@link #OFF}. */
    public static StreamPriority of(int streamNice) {
        return streamNice == 0 ? OFF : new StreamPriority(check(streamNice));
    }

    /** {@code nice} if it is a niceness to add (0..19), otherwise IllegalArgumentException saying so. */
    public static int check(int nice) {
        if (nice < 0 || nice > MAX_NICE) {
            throw new IllegalArgumentException("a stream's niceness is 0.." + MAX_NICE + " (0: as every other thread), got " + nice);
        }
        return nice;
    }

    public int streamNice() {
        return streamNice;
    }

    /** Two priorities are equal when they add the same niceness. */
    @Override
    public boolean equals(Object o) {
        return o instanceof StreamPriority p && p.streamNice == streamNice;
    }

    @Override
    public int hashCode() {
        return streamNice;
    }

    @Override
    public String toString() {
        return "StreamPriority[+" + streamNice + "]";
    }

    /**
     * The niceness a loop whose base is {@code base} runs at while it serves {@code demand} demand
     * and {@code streams} stream connections.
     */
    public static int niceness(int base, int demand, int streams, int streamNice) {
        return demand == 0 && streams > 0 ? Math.min(MAX_NICE, base + streamNice) : base;
    }

    /**
     * Threads named {@code prefix-N-M} (daemon, as {@code Transport}'s) that run at their base
     * niceness plus {@link #streamNice} from their start: for a group that serves streams only.
     */
    public ThreadFactory threadFactory(String prefix) {
        return new DefaultThreadFactory(prefix, true) {
            @Override
            public Thread newThread(Runnable r) {
                return super.newThread(() -> {
                    lowerThisThread();
                    r.run();
                });
            }
        };
    }

    /** The calling thread, from now on, at its base niceness plus {@link #streamNice} (at most 19). */
    void lowerThisThread() {
        if (streamNice == 0) return;
        try {
            if (ThreadNice.unsupported() != null) {
                warnOnce("cannot run the stream's threads at a lower priority here: " + ThreadNice.unsupported());
                return;
            }
            int want = Math.min(MAX_NICE, ThreadNice.current() + streamNice);
            String failed = ThreadNice.set(want);
            if (failed != null) warnOnce("cannot set " + Thread.currentThread().getName() + "'s niceness to " + want + ": " + failed);
        } catch (RuntimeException e) {
            warnOnce("cannot set " + Thread.currentThread().getName() + "'s niceness: " + e.getMessage());
        }
    }

    /** A connection of {@code role} now runs on the calling event loop thread. */
    public void enter(Role role) {
        if (streamNice == 0) return;
        Loop l = LOOP.get();
        if (role == Role.DEMAND) l.demand++;
        else l.streams++;
        l.apply(streamNice);
    }

    /** A connection of {@code role} left the calling event loop thread (closed, or handed to another role). */
    public void leave(Role role) {
        if (streamNice == 0) return;
        Loop l = LOOP.get();
        if (role == Role.DEMAND) l.demand = Math.max(0, l.demand - 1);
        else l.streams = Math.max(0, l.streams - 1);
        // A loop left with nothing on it stays as it is until its next connection says what it is.
        if (l.demand > 0 || l.streams > 0) l.apply(streamNice);
    }

    private static void warnOnce(String text) {
        if (WARNED.compareAndSet(false, true)) log.warn(text);
    }

    /** One event loop thread's connections and the niceness it was given. */
    private static final class Loop {
        int demand;
        int streams;
        /** The thread's niceness before this class changed it; read on first use. */
        int base = Integer.MIN_VALUE;
        int applied = Integer.MIN_VALUE;

        void apply(int streamNice) {
            try {
                if (ThreadNice.unsupported() != null) {
                    warnOnce("cannot run the stream's threads at a lower priority here: " + ThreadNice.unsupported());
                    return;
                }
                if (ThreadNice.restoreRefusal() != null) {
                    // Lowered, a loop could not go back for a demand connection that lands on it later.
                    if (WARNED.compareAndSet(false, true)) {
                        log.info("the source's stream threads keep their priority: {}", ThreadNice.restoreRefusal());
                    }
                    return;
                }
                if (base == Integer.MIN_VALUE) {
                    base = ThreadNice.current();
                    applied = base;
                }
                int want = niceness(base, demand, streams, streamNice);
                if (want == applied) return;
                String failed = ThreadNice.set(want);
                if (failed == null) {
                    log.debug("{}: niceness {} ({} demand, {} stream connections)", Thread.currentThread().getName(), want,
                            demand, streams);
                    applied = want;
                } else {
                    // Every time: a demand connection on a lowered loop must not go unnoticed.
                    log.warn("cannot set {}'s niceness to {} ({} demand, {} stream connections on it): {}",
                            Thread.currentThread().getName(), want, demand, streams, failed);
                }
            } catch (RuntimeException e) {
                warnOnce("cannot set " + Thread.currentThread().getName() + "'s niceness: " + e.getMessage());
            }
        }
    }
}
