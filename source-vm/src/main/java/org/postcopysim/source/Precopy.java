package org.postcopysim.source;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.postcopysim.guest.DirtyLog;
import org.postcopysim.guest.Workload;
import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.protocol.BitmapChunks;
import org.postcopysim.protocol.Discard;
import org.postcopysim.protocol.DiscardChunks;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.PageBatchCodec;
import org.postcopysim.protocol.PrecopyRound;
import org.postcopysim.protocol.Switchover;
import org.postcopysim.protocol.VcpuState;
import org.postcopysim.source.policy.PrecopyPolicy;
import org.postcopysim.source.policy.SourcePolicy;
import org.postcopysim.time.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One migration's precopy on the source, as QEMU runs it before postcopy: the guest keeps running
 * ({@link SourceVcpus}, every write in the {@link DirtyLog}) while the BACKGROUND stream sends
 * round 1 (every page) and then round after round the pages dirtied since they were last sent;
 * when the {@link PrecopyPolicy} says so, the switchover: the vCPUs stop, the pages still dirty
 * are the discard set (their checksums taken again from the now frozen memory, marked unsent so
 * that postcopy sends them again), Discard goes out on every BACKGROUND stream behind its last
 * precopy page, Switchover on DEMAND, and the streams go on as postcopy.
 *
 * <p>A precopy page is copied out of guest memory (the dirty bit cleared first, see
 * {@link DirtyLog}) and its checksum taken from that copy, since the guest may write the page
 * meanwhile; the checksum is recorded as the page's. Threads: the vCPUs write; each stream
 * encodes with its own {@link Encoder} on its own event loop; the round's counters take this
 * object's lock; a round ends under the {@link BackgroundStreams}' lock, once per round; the
 * switchover runs on one stream's event loop; {@link #running} and {@link #stopGuest} on any.
 */
final class Precopy {
    private static final Logger log = LoggerFactory.getLogger(Precopy.class);

    private enum Phase { ROUNDS, STOPPING, POSTCOPY }

    private final String migrationId;
    private final SourceGuest guest;
    private final PrecopyPolicy policy;
    /** The migration's send policies: the sent pages and the background order. */
    private final SourcePolicy sends;
    private final DirtyLog dirty;
    private final SourceVcpus vcpus;
    private final int vcpuCount;
    private final NanoClock clock;
    /** The switchover's view and checksum (one thread: the switchover's). */
    private final GuestMemory.View view;
    private final CRC32C crc = new CRC32C();
    private final List<PrecopyRound> rounds = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Phase phase = Phase.ROUNDS;
    /** The current round: written under this object's lock at a round's end, while every stream is parked; read by encode. */
    private volatile int round = 1;
    // the current round's counters, guarded by this
    private long roundStartNs;
    private long roundPages;
    private long roundBytes;
    /** When the last round ended and the vCPUs were told to stop (the clock's time). */
    private long stopRequestedNs;
    // set at the switchover, read after the migration
    private volatile long discardedPages;
    private volatile long guestWrites;

    /**
     * @param workload       what the guest's vCPUs run (the destination's workload)
     * @param accessesPerSec each vCPU's pace (per second), 0 for flat out
     * @param workloadSeed   seed of the access streams
     * @param onGuestFailure told why when a source vCPU fails (a read saw a word the source never had)
     */
    Precopy(String migrationId, SourceGuest guest, PrecopyPolicy policy, SourcePolicy sends, int vcpus, Workload workload,
            long accessesPerSec, long workloadSeed, NanoClock clock, java.util.function.Consumer<String> onGuestFailure) {
        this.migrationId = migrationId;
        this.guest = guest;
        this.policy = policy;
        this.sends = sends;
        this.dirty = new DirtyLog(guest.totalPages());
        this.vcpuCount = vcpus;
        this.vcpus = new SourceVcpus(guest, dirty, vcpus, workload, accessesPerSec, workloadSeed, clock, onGuestFailure);
        this.clock = clock;
        this.view = guest.newView();
    }

    /** The guest starts running on the source, with dirty tracking. */
    void startGuest() {
        roundStartNs = clock.nanoTime();
        vcpus.start();
    }

    /** Until the switchover is done: precopy pages are encoded by {@link #encode}, and demand requests are refused. */
    boolean running() {
        return phase != Phase.POSTCOPY;
    }

    /** Stops the source's vCPUs (the migration ended, or the source closes); completes once every one has exited. */
    java.util.concurrent.CompletableFuture<Void> stopGuest() {
        return vcpus.stop();
    }

    /** One stream's scratch for {@link #encode}: its frame writer, a checksum, a view of guest memory. */
    final class Encoder {
        private final GuestMemory.View view = guest.newView();
        private final PageBatchCodec.Writer writer = new PageBatchCodec.Writer();
        private final CRC32C crc = new CRC32C();
    }

    /** Scratch for one stream's {@link #encode} calls. */
    Encoder newEncoder() {
        return new Encoder();
    }

    /**
     * One PAGE_BATCH of the precopy pages {@code pages[0, n)}, tagged with the current round (so
     * that the destination keeps the later of two copies that crossed on two streams): each page's
     * dirty bit cleared, then the page copied into the frame and checksummed there. Allocates the frame
     * and nothing per page. Any thread, each with its own {@code e}, between its claim and the end
     * of the round (which cannot end while the claiming stream runs).
     */
    ByteBuf encode(ByteBufAllocator alloc, int[] pages, int n, Encoder e) {
        GuestLayout layout = guest.layout();
        PageBatchCodec.Writer w = e.writer;
        ByteBuf frame = w.begin(alloc, 0, round, n, true);
        try {
            for (int i = 0; i < n; i++) {
                int p = pages[i];
                dirty.clearBeforeCopy(p);
                w.contents(i, e.view.page(p));
                int c = w.checksum(i, e.crc); // of the copy sent: the guest may write the page again at once
                guest.crc32c(p, c);
                w.page(i, layout.gfnOfPageIndex(p), c);
            }
        } catch (RuntimeException ex) {
            w.abandon();
            throw ex;
        }
        return w.finish();
    }

    /** A precopy frame of {@code pages} pages and {@code bytes} bytes went out. */
    synchronized void recordSent(int pages, long bytes) {
        roundPages += pages;
        roundBytes += bytes;
    }

    /**
     * Every stream found nothing more to send and is parked: the round is over. Either the next
     * round begins (the pages dirtied since they were sent are unsent again) and this returns
     * true, the streams going on at once; or the switchover begins and this returns false: the
     * streams stay parked, and {@code resume} runs once Switchover is out. Called once per round,
     * under the {@link BackgroundStreams}' lock.
     */
    synchronized boolean onRoundSent(Migration migration, java.util.List<Channel> streams, Runnable resume) {
        if (phase != Phase.ROUNDS) throw new IllegalStateException("precopy round " + round + " ended twice");
        long now = clock.nanoTime();
        long dirtied = dirty.dirtyPages();
        rounds.add(PrecopyRound.newBuilder().setRound(round).setPagesSent(roundPages).setBytesSent(roundBytes)
                .setDurationNs(now - roundStartNs).setDirtiedPages(dirtied).build());
        log.info("migration {}: precopy round {} sent {} pages in {} ms; {} pages dirtied meanwhile", migrationId, round,
                roundPages, TimeUnit.NANOSECONDS.toMillis(now - roundStartNs), dirtied);
        if (!policy.switchoverAfter(round, dirtied)) {
            round++;
            roundPages = 0;
            roundBytes = 0;
            roundStartNs = now;
            sends.markUnsent(dirty.bitmap());
            return true;
        }
        phase = Phase.STOPPING;
        stopRequestedNs = now;
        Channel first = streams.get(0);
        vcpus.stop().thenRun(() -> first.eventLoop().execute(() -> switchover(migration, streams, resume)));
        return false;
    }

    /**
     * The source's vCPUs have stopped: the discard set, Discard on every BACKGROUND stream (every
     * stream is parked, so it follows the stream's last precopy page, and the stream's resume is
     * queued on its event loop behind it: the destination applies the set once every stream has
     * delivered it), Switchover on DEMAND, postcopy. With every stream parked this is the sent
     * pages' and the scan's one caller.
     */
    private void switchover(Migration migration, java.util.List<Channel> streams, Runnable resume) {
        if (migration.isEnded()) return;
        for (Channel s : streams) {
            if (!s.isActive()) {
                migration.fail("a BACKGROUND stream closed before the switchover (recovery resumes postcopy only)");
                return;
            }
        }
        long stopNs = clock.nanoTime();
        migration.guestStopped(stopNs);
        guestWrites = vcpus.writes();
        AtomicBitmap set = dirty.bitmap();
        long[] words = new long[BitmapChunks.wordsFor(guest.totalPages())];
        long count = 0;
        for (long p = set.nextSet(0); p >= 0; p = set.nextSet(p + 1)) {
            words[(int) (p >>> 6)] |= 1L << p;
            guest.crc32c((int) p, guest.checksumNow((int) p, view, crc)); // memory is frozen now
            count++;
        }
        discardedPages = count;
        long unsent = sends.markUnsent(set);
        List<Discard> chunks = DiscardChunks.split(words, BitmapChunks.DEFAULT_BYTES_PER_CHUNK);
        for (Channel s : streams) {
            for (Discard chunk : chunks) s.write(Frames.encode(s.alloc(), FrameType.FRAME_TYPE_DISCARD, chunk));
            s.flush();
        }
        phase = Phase.POSTCOPY; // before Switchover: the destination's page requests follow it
        migration.sendSwitchover(switchoverMessage(clock.nanoTime() - stopNs));
        long sentNs = clock.nanoTime();
        log.info("migration {}: switchover after {} precopy rounds: {} pages discarded, {} to send in postcopy, {} guest "
                + "writes on the source; the vCPUs took {} us to stop, the discard set and Switchover {} us more",
                migrationId, rounds.size(), count, unsent, guestWrites, (stopNs - stopRequestedNs) / 1000, (sentNs - stopNs) / 1000);
        resume.run();
    }

    private Switchover switchoverMessage(long stoppedForNs) {
        Switchover.Builder b = SwitchoverFrames.switchover(guest.seed(), vcpuCount, stoppedForNs).toBuilder();
        for (int v = 0; v < vcpuCount; v++) {
            VcpuState s = b.getVcpus(v);
            b.setVcpus(v, s.toBuilder().setRetiredAccesses(vcpus.accesses(v)));
        }
        return b.addAllPrecopyRounds(rounds).setDiscardedPages(discardedPages).setSourceGuestWrites(guestWrites).build();
    }

    /** What precopy did so far, for the source's result. */
    synchronized SourceResult.Precopy result() {
        long pages = 0;
        long bytes = 0;
        for (PrecopyRound r : rounds) {
            pages += r.getPagesSent();
            bytes += r.getBytesSent();
        }
        return new SourceResult.Precopy(rounds.size(), pages, bytes, discardedPages, guestWrites);
    }
}
