package org.postcopysim.dest.net;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import org.postcopysim.dest.fetch.DemandFetcher;
import org.postcopysim.dest.fetch.PageBytes;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.PageBatchCodec;

/**
 * Installs the pages of PAGE_BATCH frames arriving on one connection: decodes in place and
 * hands each page to the {@link PageInstaller}, counting the outcome. One per connection (it
 * owns that event loop's decoder and install context); allocation-free per page.
 *
 * <p>During precopy ({@link #replacePresentPages}) each batch carries the round its copies were
 * read in, and a copy of a page replaces the one here only if it is of a later round: the guest
 * wrote the page on the source since ({@link PageInstaller#installPrecopyCopy}: the page is
 * dropped, then installed from the new copy with the usual checks; a copy that fails its CRC32C
 * leaves the page missing, never present with wrong contents). An earlier round's copy arriving
 * late, overtaken on another stream, is dropped.
 */
public final class BatchInstaller implements PageBatchCodec.PageSink {
    /** Counters this connection's outcomes go to. */
    public record Meters(Counter installed, Counter duplicates, Counter crcFailures, Counter bytes) {}

    private final PageInstaller installer;
    private final DemandFetcher fetcher;
    private final Meters meters;
    private final PageBatchCodec.Reader reader = new PageBatchCodec.Reader();
    private final PageInstaller.Context context;
    private final FramePage framePage = new FramePage();
    private volatile boolean replacePresent;
    /** The negative control's broken destination: the order of arrival stands in for the round (shared by the streams). */
    private volatile java.util.concurrent.atomic.AtomicInteger arrivalOrder;
    /** Page copies this connection delivered (count); written by its event loop only. */
    private volatile long pagesReceived;
    private String error;

    public BatchInstaller(PageInstaller installer, DemandFetcher fetcher, GuestMemory memory, Meters meters) {
        this(installer, fetcher, new PageInstaller.Context(memory), meters);
    }

    /** @param context this connection's install context (its own: the connection's event loop uses it alone) */
    public BatchInstaller(PageInstaller installer, DemandFetcher fetcher, PageInstaller.Context context, Meters meters) {
        this.installer = installer;
        this.fetcher = fetcher;
        this.meters = meters;
        this.context = context;
    }

    /** Precopy on ({@code true}: a later copy of a present page replaces it) or over. */
    public void replacePresentPages(boolean on) {
        replacePresent = on;
    }

    /**
     * The negative control's broken destination: every precopy copy counts as newer than the one
     * here, whatever its round (the last to arrive wins), {@code order} shared by every stream.
     */
    public void lastArrivalWins(java.util.concurrent.atomic.AtomicInteger order) {
        arrivalOrder = order;
    }

    /** Installs every page of {@code frame} (from its type byte); returns an error text, or null. */
    public String installFrame(ByteBuf frame) {
        error = null;
        int pages = reader.read(frame, Frames.bodyIndex(frame), Frames.bodyLength(frame), this);
        if (pages == PageBatchCodec.MALFORMED) return "malformed PAGE_BATCH frame: " + reader.malformedReason();
        return error;
    }

    /** Page copies this connection delivered (count), duplicates and bad copies included. */
    public long pagesReceived() {
        return pagesReceived;
    }

    @Override
    public boolean onPage(long requestId, long gfn, int crc32c, ByteBuf buf, int contentsIndex, int contentsLength) {
        pagesReceived++; // one writer: this connection's event loop
        meters.bytes().increment(contentsLength);
        if (contentsLength != GuestLayout.PAGE_SIZE_BYTES) { // the reader delivers whole pages; a sink checks anyway
            error = String.format("source sent page gfn 0x%x with %d bytes, expected %d", gfn, contentsLength,
                    GuestLayout.PAGE_SIZE_BYTES);
            return false;
        }
        int result = install(gfn, crc32c, framePage.of(buf, contentsIndex));
        switch (result) {
            case PageInstaller.INSTALLED:
                meters.installed().increment();
                return true;
            case PageInstaller.ALREADY_PRESENT:
            case PageInstaller.BUSY:
            case PageInstaller.STALE_ROUND:
                meters.duplicates().increment();
                return true;
            case PageInstaller.BAD_CHECKSUM: {
                meters.crcFailures().increment();
                long pageIndex = installer.pageIndexOf(gfn);
                if (fetcher.onBadCopy(gfn, pageIndex)) return true;
                error = String.format("page gfn 0x%x failed its CRC32C check %d times; giving up on it",
                        gfn, fetcher.badCopies(pageIndex));
                return false;
            }
            case PageInstaller.PLACE_FAILED:
                error = String.format("page gfn 0x%x passed its CRC32C check but could not be put in guest memory: %s",
                        gfn, context.staging().placeFailure());
                return false;
            case PageInstaller.OUT_OF_RANGE:
                error = String.format("source sent page gfn 0x%x, outside every memslot", gfn);
                return false;
            default:
                error = String.format("page gfn 0x%x: unexpected install result %d", gfn, result);
                return false;
        }
    }

    private int install(long gfn, int crc32c, PageBytes page) {
        int round = reader.precopyRound();
        if (round == 0 || !replacePresent) return installer.install(context, gfn, crc32c, page);
        java.util.concurrent.atomic.AtomicInteger order = arrivalOrder;
        int asRound = order == null ? round : order.incrementAndGet();
        int r;
        // BUSY: another stream is installing a copy of this page this moment (one page's copy and check); a
        // precopy copy must not be dropped for it, since it may be the later round's.
        while ((r = installer.installPrecopyCopy(context, gfn, crc32c, page, asRound)) == PageInstaller.BUSY) {
            Thread.onSpinWait();
        }
        return r;
    }

    /** The page inside the frame being installed: a cursor reused for every page. */
    private static final class FramePage implements PageBytes {
        private ByteBuf buf;
        private int index;

        FramePage of(ByteBuf buf, int index) {
            this.buf = buf;
            this.index = index;
            return this;
        }

        @Override
        public void copyTo(ByteBuffer dst) {
            buf.getBytes(index, dst);
        }
    }
}
