package org.postcopysim.protocol.chaos;

import io.netty.channel.Channel;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.postcopysim.memory.PageContents;

/**
 * The fault injection of one side of a migration (one process), shared by the
 * {@link ChaosHandler} of every connection: the spec and seed, the counts of what was injected,
 * the shared bandwidth of {@code slow-source}, and {@code disconnect@P%}: it counts the pages of
 * the page frames that pass and, once P% of {@link #pagesTotal(long) the guest's pages} have,
 * closes every registered connection, once for the life of the state (a reconnected link is
 * never dropped again). Thread-safe: the handlers run on different event loops.
 *
 * <p>Randomness: each connection draws from its own generator, forked from {@link #seed} by the
 * order in which connections registered, so a connection's choices do not depend on the timing
 * of the others.
 */
public final class ChaosState {
    /** Mixed into a run's {@code --seed} to give the seed of its fault injection. */
    public static final long SEED_SALT = 0x6368_616F_735F_7631L; // "chaos_v1"

    private final ChaosSpec spec;
    private final long seed;
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private final AtomicInteger registrations = new AtomicInteger();
    private final AtomicBoolean disconnected = new AtomicBoolean();
    private final AtomicLong bandwidthFreeAtNs = new AtomicLong(Long.MIN_VALUE);
    private volatile long disconnectAfterPages = -1;
    private final LongAdder pagesSeen = new LongAdder();
    final LongAdder framesDelayed = new LongAdder();
    final LongAdder framesThrottled = new LongAdder();
    final LongAdder framesDuplicated = new LongAdder();
    final LongAdder framesReordered = new LongAdder();
    final LongAdder framesCorrupted = new LongAdder();
    private final LongAdder disconnects = new LongAdder();

    public ChaosState(ChaosSpec spec, long seed) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.seed = seed;
    }

    /** The state for a {@code --chaos} spec, or null when {@code spec} is null (no fault injection). */
    public static ChaosState of(String spec, long seed) {
        return spec == null ? null : new ChaosState(ChaosSpec.parse(spec), seed);
    }

    /** The fault-injection seed of a run whose {@code --seed} is {@code runSeed}. */
    public static long seedOf(long runSeed) {
        return PageContents.mix64(runSeed ^ SEED_SALT) & Long.MAX_VALUE;
    }

    public ChaosSpec spec() {
        return spec;
    }

    public long seed() {
        return seed;
    }

    /**
     * Tells the state how many pages the guest has, which fixes the page count of
     * {@code disconnect@P%}; call once, when known (the source: from its guest; the destination:
     * from the handshake's layout). Before that no disconnect happens.
     */
    public void pagesTotal(long pages) {
        if (pages < 0) throw new IllegalArgumentException("page total must not be negative, got " + pages);
        if (!spec.disconnects()) return;
        disconnectAfterPages = (long) Math.ceil(pages * spec.disconnectPercent() / 100.0);
        maybeDisconnect();
    }

    /** Registers a connection; returns its generator, forked from the seed by registration order. */
    SplittableRandom register(Channel ch) {
        channels.add(ch);
        int ordinal = registrations.getAndIncrement();
        return new SplittableRandom(PageContents.mix64(seed + 0x9E3779B97F4A7C15L * (ordinal + 1)));
    }

    void unregister(Channel ch) {
        channels.remove(ch);
    }

    /** Counts {@code pages} that passed; drops every connection when that makes P% of the guest. */
    void onPagesPassed(int pages) {
        pagesSeen.add(pages);
        maybeDisconnect();
    }

    private void maybeDisconnect() {
        long threshold = disconnectAfterPages;
        if (threshold < 0 || disconnected.get() || pagesSeen.sum() < threshold) return;
        if (!disconnected.compareAndSet(false, true)) return;
        for (Channel ch : channels) {
            disconnects.increment();
            ch.close();
        }
    }

    /**
     * Reserves the shared {@code slow-source} bandwidth for {@code bytes} that may leave no
     * earlier than {@code earliestNs}; returns when they have left at the capped rate (ns, the
     * event loops' ticker). Lock-free; allocates nothing.
     */
    long reserveBandwidth(long bytes, long earliestNs) {
        long costNs = bytes * 1_000_000_000L / spec.slowSourceBytesPerSec();
        while (true) {
            long free = bandwidthFreeAtNs.get();
            long end = Math.max(free, earliestNs) + costNs;
            if (bandwidthFreeAtNs.compareAndSet(free, end)) return end;
        }
    }

    /** Pages of page frames that have passed the handlers (duplicates not counted twice). */
    public long pagesSeen() {
        return pagesSeen.sum();
    }

    /** True once {@code disconnect@P%} dropped the connections. */
    public boolean hasDisconnected() {
        return disconnected.get();
    }

    /** Page frames held by {@code delay} or {@code jitter}. */
    public long framesDelayed() {
        return framesDelayed.sum();
    }

    /** Page frames held back by the {@code slow-source} cap. */
    public long framesThrottled() {
        return framesThrottled.sum();
    }

    /** Page frames sent or delivered twice. */
    public long framesDuplicated() {
        return framesDuplicated.sum();
    }

    /** Page frames swapped with the one after them. */
    public long framesReordered() {
        return framesReordered.sum();
    }

    /** Page frames whose last page was damaged. */
    public long framesCorrupted() {
        return framesCorrupted.sum();
    }

    /** Connections closed by {@code disconnect@P%}. */
    public long disconnects() {
        return disconnects.sum();
    }

    /** "SPEC (seed N): what was injected", for logs and the summary. */
    public String describe() {
        return String.format(Locale.ROOT, "%s (seed %d): %d frames delayed, %d throttled, %d duplicated, %d reordered, "
                        + "%d corrupted, %d connections dropped", spec, seed, framesDelayed(), framesThrottled(),
                framesDuplicated(), framesReordered(), framesCorrupted(), disconnects());
    }

    @Override
    public String toString() {
        return describe();
    }
}
