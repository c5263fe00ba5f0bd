package org.postcopysim.source;

import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.postcopysim.memory.PageContents;
import org.postcopysim.source.policy.BackgroundOrder;

/**
 * The source's one migration slot. A source VM runs a single migration: the first
 * Hello(DEMAND) that passes the checks takes the slot for the life of the process (the guest
 * stopped then), and every later one is refused.
 */
final class Migrations {
    private final SourceGuest guest;
    private final SourceMetrics metrics;
    private final CompletableFuture<SourceResult> completion;
    private final Duration recoveryDeadline;
    private final BackgroundOrder order;
    private final AtomicReference<Migration> current = new AtomicReference<>();

    /**
     * {@code recoveryDeadline}: how long a paused migration waits to be resumed (zero: a dropped
     * link fails it); {@code order}: the order its background stream sends pages in.
     */
    Migrations(SourceGuest guest, SourceMetrics metrics, CompletableFuture<SourceResult> completion,
               Duration recoveryDeadline, BackgroundOrder order) {
        this.order = order;
        this.recoveryDeadline = recoveryDeadline;
        this.guest = guest;
        this.metrics = metrics;
        this.completion = completion;
    }

    /** Starts the migration on {@code demandChannel}, or returns null when one was started before. */
    Migration tryStart(Channel demandChannel, long stopNs) {
        if (current.get() != null) return null;
        String id = "m-" + Long.toHexString(PageContents.mix64(guest.seed() ^ System.nanoTime()));
        Migration m = new Migration(id, stopNs, guest, demandChannel, metrics, completion, recoveryDeadline, order);
        return current.compareAndSet(null, m) ? m : null;
    }

    /** The migration, or null before any started. */
    Migration current() {
        return current.get();
    }

    /** The migration named {@code id}, or null. */
    Migration find(String id) {
        Migration m = current.get();
        return m != null && m.id().equals(id) ? m : null;
    }

    /** Pages the background stream has yet to send: all of them before the migration starts. */
    double remainingPages() {
        Migration m = current.get();
        return m == null ? guest.totalPages() : m.sent().unsent();
    }
}
