package org.postcopysim.protocol.sched;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the event loops that carry only the background stream at a higher niceness, so that on a
 * host whose cores are all busy a demand fault's hand-offs (its request and answer on their own
 * connection, the woken vCPU) get a core before the stream does, while the stream still takes
 * every cycle nothing else wants. The rule is per event loop thread, by the roles of the
 * connections it serves at the moment: a loop with at least one stream and no demand connection
 * runs at its base niceness plus {@code streamNice} (at most 19), any other at its base. A loop
 * that serves a demand connection is never lowered, whichever connections share it.
 *
 * <p>{@link #enter} and {@link #leave} are called on the connection's event loop thread (from a
 * handler's {@code handlerAdded} and {@code handlerRemoved}); each thread keeps its own counts.
 * A niceness that cannot be set is logged once per thread and the loop runs on as it was: the
 * stream is then as fast as before, demand faults as slow.
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
        l.apply(streamNice);
    }

    /** One event loop thread's connections and the niceness it was given. */
    private static final class Loop {
        int demand;
        int streams;
        /** The thread's niceness before this class changed it; read on first use. */
        int base = Integer.MIN_VALUE;
        int applied = Integer.MIN_VALUE;
        boolean warned;

        void apply(int streamNice) {
            if (ThreadNice.unsupported() != null) {
                warnOnce("cannot run the stream's threads at a lower priority here: " + ThreadNice.unsupported());
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
                warnOnce("cannot set " + Thread.currentThread().getName() + "'s niceness to " + want + " (" + demand
                        + " demand, " + streams + " stream connections on it): " + failed);
            }
        }

        private void warnOnce(String text) {
            if (warned) return;
            warned = true;
            log.warn(text);
        }
    }
}
