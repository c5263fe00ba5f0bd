package org.postcopysim.source;

import io.netty.channel.Channel;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the connections that have not yet presented a valid Hello. Each is closed after the
 * link timeout anyway (see {@link HelloHandler#channelActive}); this bound keeps a peer that
 * opens connections faster than they time out from using up the process's file descriptors.
 * Past the bound the connection that has waited longest is closed: a legitimate destination
 * sends its Hello within a round trip of connecting, so a flood would have to fill the whole
 * bound within that round trip to push it out. Not a hot path: once per connection, under a lock.
 */
final class Admission {
    /** Connections awaiting their Hello at most (count). */
    static final int MAX_AWAITING_HELLO = 256;

    private final int max;
    private final ArrayDeque<Channel> awaitingHello = new ArrayDeque<>(); // oldest first; guarded by this
    private final AtomicLong evicted = new AtomicLong();

    Admission() {
        this(MAX_AWAITING_HELLO);
    }

    Admission(int max) {
        if (max < 1) throw new IllegalArgumentException("at least one connection must be able to await its Hello");
        this.max = max;
    }

    /** {@code channel} connected and awaits its Hello; returns the connection pushed out to make room, or null. */
    Channel awaitHello(Channel channel) {
        Channel oldest = null;
        synchronized (this) {
            awaitingHello.addLast(channel);
            if (awaitingHello.size() > max) oldest = awaitingHello.pollFirst();
        }
        if (oldest != null) evicted.incrementAndGet();
        return oldest;
    }

    /** {@code channel} sent its Hello, or closed. */
    synchronized void helloDone(Channel channel) {
        awaitingHello.remove(channel);
    }

    synchronized int awaitingHello() {
        return awaitingHello.size();
    }

    /** Connections closed to make room for newer ones (count). */
    long evicted() {
        return evicted.get();
    }

    int max() {
        return max;
    }
}
