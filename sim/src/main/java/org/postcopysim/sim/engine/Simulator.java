package org.postcopysim.sim.engine;

import java.util.ArrayList;
import java.util.List;
import org.postcopysim.time.NanoClock;

/**
 * A deterministic discrete-event simulator: one thread, one event queue ordered by (virtual
 * time, sequence), actors registered once and addressed by id. Virtual time only moves when the
 * next event is taken, so the same actors with the same seeds produce the same sequence of
 * events, which {@link #traceHash()} summarizes (a 64-bit hash over every event's time, actor
 * and kind in order): one seed twice gives one hash. Allocates nothing per event.
 *
 * <p>It is also a {@link NanoClock}: code that measures time (blocktime, fault latency) reads
 * virtual time through it, so the model measures in virtual time exactly as it measures in real
 * time under the thread runner.
 */
public final class Simulator implements NanoClock {
    /** Default bound of pending events. */
    public static final int DEFAULT_MAX_PENDING_EVENTS = 1 << 18;

    private final EventQueue queue;
    /**
     * Events scheduled for "now" (delay 0), FIFO: they would all sift to the heap's top; kept apart
     * they cost a ring slot. Merged with the heap by (time, sequence), so the order is unchanged.
     */
    private final long[] nowSeq;
    private final int[] nowActor;
    private final int[] nowKind;
    private int nowHead;
    private int nowSize;
    private final List<Actor> actors = new ArrayList<>();
    private Actor[] actorArray = new Actor[0];
    private long nowNs;
    private long nextSeq;
    private long events;
    private long traceHash = 0x9E3779B97F4A7C15L;
    private boolean stopped;

    public Simulator() {
        this(DEFAULT_MAX_PENDING_EVENTS);
    }

    public Simulator(int maxPendingEvents) {
        this.queue = new EventQueue(maxPendingEvents);
        this.nowSeq = new long[maxPendingEvents];
        this.nowActor = new int[maxPendingEvents];
        this.nowKind = new int[maxPendingEvents];
    }

    /** Registers {@code actor}; returns its id. */
    public int register(Actor actor) {
        actors.add(actor);
        actorArray = actors.toArray(new Actor[0]);
        return actors.size() - 1;
    }

    /** Virtual time now (ns since the start of the simulation). */
    public long nowNs() {
        return nowNs;
    }

    @Override
    public long nanoTime() {
        return nowNs;
    }

    /** Schedules event {@code kind} for actor {@code actorId} {@code delayNs} from now (0 = after the events due now). */
    public void schedule(long delayNs, int actorId, int kind) {
        if (delayNs < 0) throw new IllegalArgumentException("negative delay " + delayNs + " ns");
        if (delayNs == 0) {
            if (nowSize == nowSeq.length) {
                throw new IllegalStateException("event queue full (" + nowSize + " events due now): an actor schedules without bound");
            }
            int i = nowHead + nowSize;
            if (i >= nowSeq.length) i -= nowSeq.length;
            nowSeq[i] = nextSeq++;
            nowActor[i] = actorId;
            nowKind[i] = kind;
            nowSize++;
            return;
        }
        queue.add(nowNs + delayNs, nextSeq++, actorId, kind);
    }

    /** Schedules event {@code kind} for actor {@code actorId} at virtual time {@code atNs} (not before now). */
    public void scheduleAt(long atNs, int actorId, int kind) {
        if (atNs < nowNs) throw new IllegalArgumentException("event at " + atNs + " ns is in the past (now " + nowNs + " ns)");
        if (atNs == nowNs) {
            schedule(0, actorId, kind);
            return;
        }
        queue.add(atNs, nextSeq++, actorId, kind);
    }

    /** Stops {@link #run} after the current event. */
    public void stop() {
        stopped = true;
    }

    /**
     * Runs events until the queue is empty, {@link #stop} is called, or virtual time would pass
     * {@code untilNs}. Returns the events run by this call.
     */
    public long run(long untilNs) {
        long ran = 0;
        stopped = false;
        while (!stopped && (nowSize > 0 || !queue.isEmpty())) {
            long t;
            int actor;
            int kind;
            // The earliest by (time, sequence): ring events are all due now, after any heap event due now
            // that was scheduled before them.
            if (nowSize > 0 && (queue.isEmpty() || queue.peekTimeNs() > nowNs || queue.peekSeq() > nowSeq[nowHead])) {
                t = nowNs;
                actor = nowActor[nowHead];
                kind = nowKind[nowHead];
                nowHead = nowHead + 1 == nowSeq.length ? 0 : nowHead + 1;
                nowSize--;
            } else {
                t = queue.peekTimeNs();
                if (t > untilNs) break;
                actor = queue.peekActor();
                kind = queue.peekKind();
                queue.removeFirst();
            }
            nowNs = t;
            traceHash = mix(traceHash, t, actor, kind);
            events++;
            ran++;
            actorArray[actor].onEvent(kind);
        }
        return ran;
    }

    /** Events run so far. */
    public long events() {
        return events;
    }

    /** Events pending. */
    public int pending() {
        return queue.size() + nowSize;
    }

    /** A hash of every event run so far (time, actor, kind, in order). */
    public long traceHash() {
        return traceHash;
    }

    /** Folds one more value into a running trace hash (for actors that add their own observations). */
    public void observe(long value) {
        traceHash = mix64(traceHash ^ value);
    }

    private static long mix(long h, long t, int actor, int kind) {
        h = mix64(h ^ t);
        return mix64(h ^ (((long) actor << 32) | (kind & 0xFFFFFFFFL)));
    }

    /** SplitMix64's finalizer: a fast, well-mixing 64-bit permutation. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
