package org.postcopysim.source;

import java.util.Objects;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.PageBatchCodec;

/**
 * Configuration of a source VM: where it listens, the guest it owns and how it streams it.
 *
 * @param host                     address to listen on
 * @param port                     TCP port; 0 = any free port
 * @param guestBytes               guest memory (bytes, a positive multiple of 4 KiB)
 * @param memslots                 memslots the guest memory is split into (count)
 * @param seed                     seed guest page contents are generated from
 * @param maxBackgroundBytesPerSec cap of the background stream (bytes/s); 0 = uncapped. Demand
 *                                 pages are never capped.
 * @param maxFrameBytes            largest frame accepted or sent (bytes)
 * @param pagesPerBatch            pages per background PAGE_BATCH frame (count)
 * @param token                    migration token a destination must present; null or empty = none
 * @param reliability              recovery deadline, fault injection and TLS
 * @param memslotGapBytes          guest-physical space left unbacked before each memslot (bytes, a
 *                                 multiple of 4 KiB); 0 = memslots back to back from gfn 0. See
 *                                 {@link GuestLayout#gapped}.
 */
public record SourceConfig(String host, int port, long guestBytes, int memslots, long seed,
                           long maxBackgroundBytesPerSec, int maxFrameBytes, int pagesPerBatch, String token,
                           Reliability reliability, long memslotGapBytes) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final long DEFAULT_GUEST_BYTES = 256L << 20;
    public static final int DEFAULT_MEMSLOTS = 2;
    public static final long DEFAULT_SEED = 1;

    public SourceConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(reliability, "reliability");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be within 0..65535, got " + port);
        if (guestBytes <= 0 || guestBytes % GuestLayout.PAGE_SIZE_BYTES != 0) {
            throw new IllegalArgumentException("guest memory must be a positive multiple of 4 KiB, got " + guestBytes);
        }
        if (guestBytes / GuestLayout.PAGE_SIZE_BYTES > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("guest memory too large: " + guestBytes + " bytes");
        }
        if (memslots < 1) throw new IllegalArgumentException("at least one memslot, got " + memslots);
        if (maxBackgroundBytesPerSec < 0) {
            throw new IllegalArgumentException("background bandwidth cap must be >= 0 (0 = uncapped), got " + maxBackgroundBytesPerSec);
        }
        FrameDescriptor.checkMaxFrameBytes(maxFrameBytes);
        if (pagesPerBatch < 1) throw new IllegalArgumentException("pages per batch must be >= 1, got " + pagesPerBatch);
        if (memslotGapBytes < 0 || memslotGapBytes % GuestLayout.PAGE_SIZE_BYTES != 0) {
            throw new IllegalArgumentException("the gap between memslots must be a multiple of 4 KiB >= 0, got " + memslotGapBytes);
        }
        // The gfns must stay addressable: the last memslot ends below 2^52 pages (the 64-bit gpa limit).
        if (memslotGapBytes / GuestLayout.PAGE_SIZE_BYTES > (1L << 52) / (memslots + 1L)) {
            throw new IllegalArgumentException("the gap between memslots is too large: " + memslotGapBytes + " bytes");
        }
    }

    /** A configuration with the default reliability settings and no gaps between memslots. */
    public SourceConfig(String host, int port, long guestBytes, int memslots, long seed, long maxBackgroundBytesPerSec,
                        int maxFrameBytes, int pagesPerBatch, String token, Reliability reliability) {
        this(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token,
                reliability, 0);
    }

    /** The guest's memslots: {@link #memslots} of them over {@link #guestBytes}, {@link #memslotGapBytes} apart. */
    public GuestLayout layout() {
        return GuestLayout.gapped(guestBytes, memslots, memslotGapBytes / GuestLayout.PAGE_SIZE_BYTES);
    }

    /** 127.0.0.1, any free port, 256 MiB in 2 memslots, seed 1, uncapped, default frame and batch sizes, no token. */
    public static SourceConfig defaults() {
        return new SourceConfig(DEFAULT_HOST, 0, DEFAULT_GUEST_BYTES, DEFAULT_MEMSLOTS, DEFAULT_SEED, 0,
                FrameDescriptor.DEFAULT_MAX_FRAME_BYTES, FrameDescriptor.DEFAULT_PAGES_PER_BATCH, null, Reliability.DEFAULT);
    }

    /**
     * Checks what the components cannot check one at a time (so that with-ers may be chained in
     * any order): a background batch must fit one frame.
     *
     * @throws IllegalArgumentException when it does not
     */
    public SourceConfig validate() {
        int fit = maxPagesPerFrame();
        if (pagesPerBatch > fit) {
            throw new IllegalArgumentException("pages per batch " + pagesPerBatch + " do not fit a frame of "
                    + maxFrameBytes + " bytes (at most " + fit + ")");
        }
        return this;
    }

    /** Most pages one PAGE_BATCH frame of {@link #maxFrameBytes} can carry (count). */
    public int maxPagesPerFrame() {
        return PageBatchCodec.maxPagesPerFrame(maxFrameBytes, GuestLayout.PAGE_SIZE_BYTES);
    }

    /** True when destinations must present {@link #token}. */
    public boolean requiresToken() {
        return token != null && !token.isEmpty();
    }

    /** A configuration with the default reliability settings. */
    public SourceConfig(String host, int port, long guestBytes, int memslots, long seed, long maxBackgroundBytesPerSec,
                        int maxFrameBytes, int pagesPerBatch, String token) {
        this(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token,
                Reliability.DEFAULT);
    }

    public SourceConfig withReliability(Reliability r) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, r, memslotGapBytes);
    }

    public SourceConfig withHost(String host) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, reliability, memslotGapBytes);
    }

    public SourceConfig withPort(int port) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, reliability, memslotGapBytes);
    }

    public SourceConfig withGuestBytes(long guestBytes) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, reliability, memslotGapBytes);
    }

    public SourceConfig withMemslots(int memslots) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, reliability, memslotGapBytes);
    }

    public SourceConfig withSeed(long seed) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, reliability, memslotGapBytes);
    }

    public SourceConfig withMaxBackgroundBytesPerSec(long maxBackgroundBytesPerSec) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, reliability, memslotGapBytes);
    }

    public SourceConfig withMaxFrameBytes(int maxFrameBytes) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, reliability, memslotGapBytes);
    }

    public SourceConfig withPagesPerBatch(int pagesPerBatch) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, reliability, memslotGapBytes);
    }

    public SourceConfig withToken(String token) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, reliability, memslotGapBytes);
    }

    public SourceConfig withMemslotGapBytes(long memslotGapBytes) {
        return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes, pagesPerBatch, token, reliability, memslotGapBytes);
    }

    /** Like the record's, but never prints the token. */
    @Override
    public String toString() {
        return "SourceConfig[host=" + host + ", port=" + port + ", guestBytes=" + guestBytes + ", memslots=" + memslots
                + ", seed=" + seed + ", maxBackgroundBytesPerSec=" + maxBackgroundBytesPerSec
                + ", maxFrameBytes=" + maxFrameBytes + ", pagesPerBatch=" + pagesPerBatch
                + ", token=" + (requiresToken() ? "<set>" : "<none>") + ", memslotGapBytes=" + memslotGapBytes + "]";
    }
}
