package org.postcopysim.dest.metrics;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * QEMU's postcopy blocktime: how long <em>all</em> vCPUs were blocked on missing pages at once,
 * and how long each vCPU was blocked (kernel-background.md §7). A vCPU calls
 * {@link #onBlock} before it waits for a page and {@link #onUnblock} once the page is present.
 * Both are lock-free (one CAS loop on one word), allocation-free and never throw for a
 * well-formed call sequence; time is passed in ({@code nowNs}, from any monotonic clock), so a
 * virtual-time runner can drive it as well as real threads.
 *
 * <p><b>State word.</b> One {@link AtomicLong} packs the number of blocked vCPUs and the time of
 * the last event, relative to {@code originNs} and kept modulo 2<sup>48</sup> ns (78 hours):
 * <pre>
 *   63              48 47                                              0
 *   +-----------------+-------------------------------------------------+
 *   | blocked vCPUs   | last event time - originNs (ns, mod 2^48)       |
 *   +-----------------+-------------------------------------------------+
 * </pre>
 * While the count equals the number of vCPUs the time field is when the last vCPU blocked, i.e.
 * the start of the current all-blocked interval; the vCPU whose unblock takes the count below it
 * adds the interval to the all-blocked total.
 *
 * <p><b>Exactness.</b> Every event gets an <em>effective time</em>: its {@code nowNs}, or the
 * previous event's effective time if that is later (two threads may read their clocks in one
 * order and update the word in the other). Effective times therefore never run backwards in the
 * order the CAS applies the events, and both the all-blocked total and each vCPU's blocked time
 * are computed from them, exactly. Hence the all-blocked time never exceeds any vCPU's blocked
 * time, and with time values that arrive in order (one thread, or a simulator) effective time is
 * {@code nowNs} itself. A time up to {@link #MAX_REORDER_NS} behind the previous event's counts
 * as reordered; intervals, and gaps between consecutive events, must be shorter than
 * 2<sup>48</sup> - {@link #MAX_REORDER_NS} ns (77.9 hours). The run as a whole may be longer.
 *
 * <p><b>Readers.</b> Each vCPU's total and open-interval start are written only by that vCPU
 * (release stores, padded apart so vCPUs do not share cache lines). A reader on another thread
 * (a metrics scrape) gets a value that may lack an interval closing at that very instant, never
 * one counted twice; once the vCPUs have stopped (joined) every read is exact.
 */
public final class BlocktimeTracker {
    /** Bits of the state word holding the last event time. */
    static final int TIME_BITS = 48;
    /** Mask of the time field; relative times are kept modulo 2^48 ns. */
    static final long TIME_MASK = (1L << TIME_BITS) - 1;
    /** One blocked vCPU in the state word's count field. */
    private static final long ONE_BLOCKED = 1L << TIME_BITS;
    /** How far an event's time may lag the previous event's and still count as reordered, not later (ns): 18 minutes. */
    static final long MAX_REORDER_NS = 1L << 40;
    /** Most vCPUs a tracker accepts (the count field stays positive). */
    public static final int MAX_VCPUS = (1 << (63 - TIME_BITS)) - 1;
    /** Longs per vCPU slot in {@link #slots}: 128 bytes, so two vCPUs never share a cache line. */
    private static final int SLOT_STRIDE = 16;
    /** Slot offset of the vCPU's total blocked time (ns). */
    private static final int BLOCKED_NS = 0;
    /** Slot offset of the effective start of the vCPU's open interval (relative, mod 2^48), or {@link #NOT_BLOCKED}. */
    private static final int SINCE = 1;
    private static final long NOT_BLOCKED = -1;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final int vcpus;
    private final long originNs;
    private final AtomicLong state = new AtomicLong();
    /** Sum of the closed all-blocked intervals (ns). */
    private final AtomicLong allBlockedClosedNs = new AtomicLong();
    /** Per-vCPU slots of {@link #SLOT_STRIDE} longs, each written only by its vCPU. */
    private final long[] slots;

    /**
     * @param vcpus    number of vCPUs; "all blocked" means this many blocked at once
     * @param originNs a time before every event (ns, same clock as the events' {@code nowNs})
     */
    public BlocktimeTracker(int vcpus, long originNs) {
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new IllegalArgumentException("vCPUs must be within 1.." + MAX_VCPUS + ", got " + vcpus);
        }
        this.vcpus = vcpus;
        this.originNs = originNs;
        this.slots = new long[(vcpus + 1) * SLOT_STRIDE]; // one slot of padding in front
        for (int v = 0; v < vcpus; v++) slots[slot(v) + SINCE] = NOT_BLOCKED;
    }

    public int vcpus() {
        return vcpus;
    }

    /**
     * vCPU {@code vcpu} starts waiting for a page at {@code nowNs}. Called only by that vCPU.
     *
     * @throws IllegalStateException if the vCPU is already blocked (a caller bug)
     */
    public void onBlock(int vcpu, long nowNs) {
        int slot = slot(vcpu);
        if (slots[slot + SINCE] != NOT_BLOCKED) throw new IllegalStateException("vcpu-" + vcpu + " is already blocked");
        long rel = relative(nowNs);
        long s;
        long effective;
        do {
            s = state.get();
            effective = later(rel, s & TIME_MASK);
        } while (!state.compareAndSet(s, ((s & ~TIME_MASK) + ONE_BLOCKED) | effective));
        LONGS.setRelease(slots, slot + SINCE, effective);
    }

    /**
     * vCPU {@code vcpu} stops waiting at {@code nowNs} (its page is present, or it is stopping).
     * Called only by that vCPU.
     *
     * @return the length of the interval just closed (ns): what this call added to the vCPU's
     *     blocked time
     * @throws IllegalStateException if the vCPU is not blocked (a caller bug)
     */
    public long onUnblock(int vcpu, long nowNs) {
        int slot = slot(vcpu);
        long since = slots[slot + SINCE];
        if (since == NOT_BLOCKED) throw new IllegalStateException("vcpu-" + vcpu + " is not blocked");
        long rel = relative(nowNs);
        long s;
        long effective;
        do {
            s = state.get();
            effective = later(rel, s & TIME_MASK);
        } while (!state.compareAndSet(s, ((s & ~TIME_MASK) - ONE_BLOCKED) | effective));
        if (s >>> TIME_BITS == vcpus) {
            // This unblock ended an interval with every vCPU blocked, open since the time field.
            allBlockedClosedNs.getAndAdd((effective - (s & TIME_MASK)) & TIME_MASK);
        }
        long blockedNs = (effective - since) & TIME_MASK;
        // Clear the open interval before adding it to the total: a reader that reads the total
        // first then can miss the interval for an instant but never count it twice.
        LONGS.setRelease(slots, slot + SINCE, NOT_BLOCKED);
        LONGS.setRelease(slots, slot + BLOCKED_NS, slots[slot + BLOCKED_NS] + blockedNs);
        return blockedNs;
    }

    /** vCPUs blocked right now. */
    public int blockedVcpus() {
        return (int) (state.get() >>> TIME_BITS);
    }

    /** Time all vCPUs were blocked at once in closed intervals (ns); exact once no vCPU is blocked. */
    public long allBlockedNs() {
        return allBlockedClosedNs.get();
    }

    /** Time all vCPUs were blocked at once up to {@code nowNs} (ns), an interval still open included. */
    public long allBlockedNs(long nowNs) {
        long closed = allBlockedClosedNs.get(); // before the state word: see the class comment
        long s = state.get();
        if (s >>> TIME_BITS != vcpus) return closed;
        return closed + sinceUntil(s & TIME_MASK, relative(nowNs));
    }

    /** Time vCPU {@code vcpu} was blocked in closed intervals (ns). */
    public long vcpuBlockedNs(int vcpu) {
        return (long) LONGS.getAcquire(slots, slot(vcpu) + BLOCKED_NS);
    }

    /** Time vCPU {@code vcpu} was blocked up to {@code nowNs} (ns), an interval still open included. */
    public long vcpuBlockedNs(int vcpu, long nowNs) {
        int slot = slot(vcpu);
        long closed = (long) LONGS.getAcquire(slots, slot + BLOCKED_NS); // before SINCE: see the class comment
        long since = (long) LONGS.getAcquire(slots, slot + SINCE);
        return since == NOT_BLOCKED ? closed : closed + sinceUntil(since, relative(nowNs));
    }

    /** Each vCPU's blocked time in closed intervals (ns), indexed by vCPU; a new array. */
    public long[] perVcpuBlockedNs() {
        long[] out = new long[vcpus];
        for (int v = 0; v < vcpus; v++) out[v] = vcpuBlockedNs(v);
        return out;
    }

    private int slot(int vcpu) {
        if (vcpu < 0 || vcpu >= vcpus) throw new IndexOutOfBoundsException("vcpu " + vcpu + " of " + vcpus);
        return (vcpu + 1) * SLOT_STRIDE;
    }

    private long relative(long nowNs) {
        return (nowNs - originNs) & TIME_MASK;
    }

    /** The later of two relative times (mod 2^48): {@code b} if {@code a} lags it by at most {@link #MAX_REORDER_NS}, else {@code a}. */
    static long later(long a, long b) {
        long aBehindB = (b - a) & TIME_MASK;
        return aBehindB != 0 && aBehindB <= MAX_REORDER_NS ? b : a;
    }

    /** From relative time {@code since} to {@code now} (ns), 0 if {@code now} is not later. */
    private static long sinceUntil(long since, long now) {
        return later(now, since) == now ? (now - since) & TIME_MASK : 0;
    }
}
