package org.postcopysim.source;

import java.util.Objects;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.sched.StreamPriority;
import org.postcopysim.source.policy.BackgroundOrder;
import org.postcopysim.protocol.PageBatchCodec;
import org.postcopysim.source.policy.PrecopyPolicy;

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
 * @param backgroundOrder          the order the background stream sends pages in
 *                                 ({@link BackgroundOrder}; the default, follow-faults, is QEMU's)
 * @param precopy                  precopy rounds before the switchover (the guest runs on the source
 *                                 meanwhile); {@link PrecopyPolicy#NONE} = stop at once, postcopy only
 * @param streamPriority           how much lower the event loops that carry only background streams
 *                                 run ({@link StreamPriority}; niceness 10 by default, {@link
 *                                 StreamPriority#OFF} = as every other thread)
 */
public record SourceConfig(String host, int port, long guestBytes, int memslots, long seed,
                           long maxBackgroundBytesPerSec, int maxFrameBytes, int pagesPerBatch, String token,
                           Reliability reliability, long memslotGapBytes, BackgroundOrder backgroundOrder,
                           PrecopyPolicy precopy, StreamPriority streamPriority) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final long DEFAULT_GUEST_BYTES = 256L << 20;
    public static final int DEFAULT_MEMSLOTS = 2;
    public static final long DEFAULT_SEED = 1;

    public SourceConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(reliability, "reliability");
        Objects.requireNonNull(backgroundOrder, "backgroundOrder");
        Objects.requireNonNull(precopy, "precopy");
        Objects.requireNonNull(streamPriority, "streamPriority");
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

    /** The guest's memslots: {@link #memslots} of them over {@link #guestBytes}, {@link #memslotGapBytes} apart. */
    public GuestLayout layout() {
        return GuestLayout.gapped(guestBytes, memslots, memslotGapBytes / GuestLayout.PAGE_SIZE_BYTES);
    }

    /** 127.0.0.1, any free port, 256 MiB in 2 memslots, seed 1, uncapped, default frame and batch sizes, no token. */
    public static SourceConfig defaults() {
        return builder().build();
    }

    /** A builder holding the {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration. */
    public Builder toBuilder() {
        return new Builder()
                .host(host).port(port).guestBytes(guestBytes).memslots(memslots).seed(seed)
                .maxBackgroundBytesPerSec(maxBackgroundBytesPerSec).maxFrameBytes(maxFrameBytes)
                .pagesPerBatch(pagesPerBatch).token(token).reliability(reliability).memslotGapBytes(memslotGapBytes)
                .backgroundOrder(backgroundOrder).precopy(precopy).streamPriority(streamPriority);
    }

    /**
     * Checks what the constructor does not: a background batch must fit one frame.
     * {@link SourceVm#bind} calls it.
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

    /** Like the record's, but never prints the token. */
    @Override
    public String toString() {
        return "SourceConfig[host=" + host + ", port=" + port + ", guestBytes=" + guestBytes + ", memslots=" + memslots
                + ", seed=" + seed + ", maxBackgroundBytesPerSec=" + maxBackgroundBytesPerSec
                + ", maxFrameBytes=" + maxFrameBytes + ", pagesPerBatch=" + pagesPerBatch
                + ", token=" + (requiresToken() ? "<set>" : "<none>") + ", memslotGapBytes=" + memslotGapBytes
                + ", backgroundOrder=" + backgroundOrder + ", precopy=" + precopy + ", streamNice=" + streamPriority.streamNice() + "]";
    }

    /**
     * Sets the components one at a time, in any order; {@link #build} checks them all at once as
     * the record's constructor does. Starts from the {@link #defaults()}.
     */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = 0;
        private long guestBytes = DEFAULT_GUEST_BYTES;
        private int memslots = DEFAULT_MEMSLOTS;
        private long seed = DEFAULT_SEED;
        private long maxBackgroundBytesPerSec = 0;
        private int maxFrameBytes = FrameDescriptor.DEFAULT_MAX_FRAME_BYTES;
        private int pagesPerBatch = FrameDescriptor.DEFAULT_PAGES_PER_BATCH;
        private String token = null;
        private Reliability reliability = Reliability.DEFAULT;
        private long memslotGapBytes = 0;
        private BackgroundOrder backgroundOrder = BackgroundOrder.DEFAULT;
        private PrecopyPolicy precopy = PrecopyPolicy.NONE;
        private StreamPriority streamPriority = StreamPriority.of(StreamPriority.DEFAULT_NICE);

        private Builder() {}

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder guestBytes(long guestBytes) {
            this.guestBytes = guestBytes;
            return this;
        }

        public Builder memslots(int memslots) {
            this.memslots = memslots;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder maxBackgroundBytesPerSec(long maxBackgroundBytesPerSec) {
            this.maxBackgroundBytesPerSec = maxBackgroundBytesPerSec;
            return this;
        }

        public Builder maxFrameBytes(int maxFrameBytes) {
            this.maxFrameBytes = maxFrameBytes;
            return this;
        }

        public Builder pagesPerBatch(int pagesPerBatch) {
            this.pagesPerBatch = pagesPerBatch;
            return this;
        }

        public Builder token(String token) {
            this.token = token;
            return this;
        }

        public Builder reliability(Reliability reliability) {
            this.reliability = reliability;
            return this;
        }

        public Builder memslotGapBytes(long memslotGapBytes) {
            this.memslotGapBytes = memslotGapBytes;
            return this;
        }

        public Builder backgroundOrder(BackgroundOrder backgroundOrder) {
            this.backgroundOrder = backgroundOrder;
            return this;
        }

        public Builder precopy(PrecopyPolicy precopy) {
            this.precopy = precopy;
            return this;
        }

        public Builder streamPriority(StreamPriority streamPriority) {
            this.streamPriority = streamPriority;
            return this;
        }

        /**
         * The configuration.
         *
         * @throws IllegalArgumentException or NullPointerException as the record's constructor does
         */
        public SourceConfig build() {
            return new SourceConfig(host, port, guestBytes, memslots, seed, maxBackgroundBytesPerSec, maxFrameBytes,
                    pagesPerBatch, token, reliability, memslotGapBytes, backgroundOrder, precopy, streamPriority);
        }
    }
}
