package org.postcopysim.source.policy;

/**
 * Byte-rate limiter for the background stream. Callers pass the time ({@code nowNs}) in, so it
 * reads no clock itself. Sends may overdraw the bucket by one frame; the debt is waited off
 * before the next send, so the long-run rate is the cap and a burst is at most one
 * {@code burstBytes}. Single-threaded (one per background channel).
 */
public final class TokenBucket {
    private final double bytesPerNs;
    private final double burstBytes;
    private double tokens;
    private long lastNs;

    public TokenBucket(long bytesPerSec, long burstBytes, long nowNs) {
        if (bytesPerSec <= 0) throw new IllegalArgumentException("rate must be positive: " + bytesPerSec);
        if (burstBytes <= 0) throw new IllegalArgumentException("burst must be positive: " + burstBytes);
        this.bytesPerNs = bytesPerSec / 1e9;
        this.burstBytes = burstBytes;
        this.tokens = burstBytes;
        this.lastNs = nowNs;
    }

    /** Nanoseconds to wait before the next send may start; 0 = send now. */
    public long nanosUntilAvailable(long nowNs) {
        refill(nowNs);
        if (tokens > 0) return 0;
        return Math.max(1, (long) Math.ceil((1 - tokens) / bytesPerNs));
    }

    /** Takes {@code bytes} just sent; may leave the bucket in debt. */
    public void consume(long bytes) {
        tokens -= bytes;
    }

    private void refill(long nowNs) {
        long elapsed = nowNs - lastNs;
        if (elapsed <= 0) return;
        lastNs = nowNs;
        tokens = Math.min(burstBytes, tokens + elapsed * bytesPerNs);
    }
}
