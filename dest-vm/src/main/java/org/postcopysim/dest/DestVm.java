package org.postcopysim.dest;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.postcopysim.dest.fault.NetworkPageProvider;
import org.postcopysim.dest.net.BatchInstaller;
import org.postcopysim.dest.fetch.DemandFetcher;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.metrics.LatencyRecorder;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.qmp.MigrationStatus;
import org.postcopysim.dest.qmp.QueryMigrate;
import org.postcopysim.dest.net.DestChannelInitializer;
import org.postcopysim.dest.net.DestConnectionHandler;
import org.postcopysim.dest.threads.HostEventRunner;
import org.postcopysim.dest.threads.ThreadedDest;
import org.postcopysim.dest.workload.HostEventSpec;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.CompletionDigest;
import org.postcopysim.dest.metrics.NetworkBoundFaults;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.PageRequestCodec;
import org.postcopysim.protocol.PagesHeld;
import org.postcopysim.protocol.PagesHeldChunks;
import org.postcopysim.protocol.ResumeAck;
import org.postcopysim.protocol.ProtocolVersion;
import org.postcopysim.protocol.Switchover;
import org.postcopysim.protocol.Tls;
import org.postcopysim.protocol.Transport;
import org.postcopysim.protocol.VcpuState;
import org.postcopysim.protocol.chaos.ChaosState;
import org.postcopysim.time.NanoClock;
import org.postcopysim.text.Plural;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination VM process: connects to the source, builds the simulated KVM from the
 * handshake's layout with KVM_MEM_USERFAULT set and every page missing, resumes the vCPUs, and
 * installs pages from both connections until all are present; then clears the memslot flag
 * (huge page recovery), stops the vCPUs and has the source verify a digest of memory.
 */
public final class DestVm {
    private static final Logger log = LoggerFactory.getLogger(DestVm.class);
    /** Stream of the run seed the host events are drawn from (the vCPUs' streams are 0..vcpus-1). */
    static final long HOST_EVENT_STREAM = 0x4057_E7E7L;
    /** Pages per CompletionDigest frame: 64 Ki CRCs = 256 KiB, under the 1 MiB frame limit. */
    static final int DIGEST_PAGES_PER_FRAME = 1 << 16;
    /**
     * Largest socket read on a BACKGROUND stream (bytes; Netty's default is 64 KiB): a 256 KiB
     * batch in about one read instead of four. Measured on the 2 GiB uncapped migration (C1
     * only, docs/performance.md): 1.09-1.17 s at 256 KiB against 1.20-1.39 s at 64 KiB and
     * 1.28-1.49 s at 1 MiB. The DEMAND connection keeps the default: its frames are small.
     */
    static final int STREAM_MAX_READ_BYTES = 256 << 10;

    private DestVm() {}

    /** Runs one migration to its end and returns what happened; never throws for a failed migration. */
    public static MigrationSummary run(DestConfig config, MeterRegistry registry) {
        return run(config, registry, HostBackend.MODEL);
    }

    /**
     * {@link #run(DestConfig, MeterRegistry)} on {@code backend}: what backs guest memory and
     * takes the userfaultfd faults ({@link HostBackend#MODEL}, or the kernel backend of module
     * kernel-uffd). A configuration the backend refuses fails at once, before connecting.
     */
    public static MigrationSummary run(DestConfig config, MeterRegistry registry, HostBackend backend) {
        return new Run(config, registry, NanoClock.SYSTEM, backend, PrecopyBug.NONE).execute();
    }

    /**
     * {@link #run(DestConfig, MeterRegistry)} with {@code clock} for the run's own times and the
     * vCPUs' (pacing, fault latency, the recovery deadline, time paused, the stall watchdog), so
     * that a test can move time past a deadline instead of waiting for it. The registry's live
     * blocktime meters and the timeouts of network waits keep real time.
     */
    static MigrationSummary run(DestConfig config, MeterRegistry registry, NanoClock clock) {
        return new Run(config, registry, clock, HostBackend.MODEL, PrecopyBug.NONE).execute();
    }

    /** {@link #run(DestConfig, MeterRegistry)} with a deliberate mistake of the precopy's (a negative control). */
    static MigrationSummary run(DestConfig config, MeterRegistry registry, PrecopyBug bug) {
        return new Run(config, registry, NanoClock.SYSTEM, HostBackend.MODEL, bug).execute();
    }

    /** One migration's resources, released at the end of {@link #execute()}. */
    private static final class Run {
        private final DestConfig config;
        private final NanoClock clock;
        private final DestMetrics metrics;
        /** Fault injection on the page frames received ({@code --chaos}), shared by every connection; null = none. */
        private final ChaosState chaos;
        private final Migration migration;
        private final PrecopyBug bug;
        /** The Switchover the vCPUs resumed from (null before). */
        private Switchover switchover;
        private final List<DestConnectionHandler> handlers = new ArrayList<>();
        private EventLoopGroup group;
        private EventLoopGroup streamGroup;
        /** Client TLS context, built once for every connection of the run; null for plain TCP. */
        private SslContext tls;
        private Channel demand;
        /** The BACKGROUND streams of the current link (empty before they connect). */
        private List<Channel> background = List.of();
        private GuestLayout layout;
        private final HostBackend backend;
        private HostBackend.Guest guest;
        private GuestMemory memory;
        private DestModel model;
        private ThreadedDest threaded;
        private long startedNs;
        /** When the guest stopped on the source, on this clock: the Switchover's arrival less the time it says the guest was stopped. */
        private long guestStoppedNs;
        private boolean switchedOver;
        private long resumedNs;
        private long allPresentNs;
        private long hugeRecovered;
        /** Distinct pages the guest touched when the last one arrived; -1 until then. */
        private long pagesTouchedAtAllPresent = -1;
        private long seedContent;
        /** The host events of {@code --host-events}; null without. */
        private HostEventRunner hostEvents;
        /** What {@link #checkMmu} found at the end. */
        private List<String> mmuViolations = List.of();
        /** Reconnect backoff: first and longest wait between two resume attempts (nanoseconds). */
        static final long RECONNECT_BACKOFF_MIN_NS = 50_000_000;
        static final long RECONNECT_BACKOFF_MAX_NS = 2_000_000_000;
        private String migrationId;
        /** Where page requests go: the current DEMAND connection, or null while paused (requests stay in flight). */
        private volatile Channel requestChannel;
        private PresentPages presentPages;
        private StallWatchdog watchdog;
        // postcopy recovery, written by this thread; read by meters and the watchdog
        private volatile long pausedSinceNs; // 0 = not paused
        private volatile long pausedNsTotal;
        /** QEMU's name for where the migration is (the live gauge; the summary's at the end). */
        private volatile MigrationStatus status = MigrationStatus.SETUP;
        private long recoveries;
        /** The pages not held at the end (read before guest memory is unmapped); null before setup. */
        private PresentPages.Missing missing;

        Run(DestConfig config, MeterRegistry registry, NanoClock clock, HostBackend backend, PrecopyBug bug) {
            this.config = config;
            this.bug = bug;
            this.migration = new Migration(clock);
            this.backend = backend;
            this.clock = clock;
            this.chaos = ChaosState.of(config.reliability().chaos(), config.reliability().chaosSeed());
            this.metrics = new DestMetrics(registry);
            this.migration.reconnect = config.reliability().reconnect();
            metrics.bindPaused(this, r -> r.pausedSinceNs != 0, Run::pausedNs);
            metrics.bindStatus(this, r -> r.status);
        }

        /** Counts a pause still open as ended now, so that the meters keep the run's final values. */
        private void endPause() {
            long since = pausedSinceNs;
            if (since == 0) return;
            pausedNsTotal += clock.nanoTime() - since;
            pausedSinceNs = 0;
        }

        /** Time paused so far, a pause in progress included (nanoseconds). */
        long pausedNs() {
            long since = pausedSinceNs;
            return pausedNsTotal + (since == 0 ? 0 : clock.nanoTime() - since);
        }

        MigrationSummary execute() {
            startedNs = clock.nanoTime();
            String error = null;
            CompletionResult result = null;
            try {
                String refused = backend.refusal(config);
                if (refused != null) throw new MigrationException(refused);
                if (config.reliability().tls() != null) {
                    try {
                        tls = Tls.clientContext(config.reliability().tls());
                    } catch (IllegalArgumentException e) {
                        throw new MigrationException(e.getMessage());
                    }
                }
                // The DEMAND connection's event loop, and one per stream in a group of their own, whose threads
                // run at a lower priority than the demand path (StreamPriority): a reconnect cannot mix them.
                group = Transport.newGroup(1, "dest-io");
                streamGroup = Transport.newGroup(config.streams(), config.streamPriority().threadFactory("dest-bg"));
                Handshake hs = connectDemand();
                Switchover so;
                if (hs.getPrecopy()) {
                    so = receivePrecopy(hs);
                } else {
                    so = await(migration.switchover, "the source's switchover state");
                    if (so.getPrecopyRoundsCount() > 0) {
                        throw new MigrationException("the source reports precopy rounds but its Handshake announced none");
                    }
                    guestStopped(so.getSourceStopNs());
                    setUpGuest(hs);
                    setUpVcpus(so);
                    migrationId = hs.getMigrationId();
                    connectBackground(hs.getMigrationId());
                }
                startVcpus(so);
                migration.resumable = true;
                startWatchdog();
                awaitAllPresent();
                if (!migration.control.failed()) {
                    allPresentNs = clock.nanoTime();
                    pagesTouchedAtAllPresent = model.pagesTouched();
                    log.info("all {} pages present {} ms after the vCPUs resumed", layout.totalPages(),
                            (allPresentNs - resumedNs) / 1_000_000);
                    stopHostEvents(); // host events run during postcopy, and never beside a memslot update
                    hugeRecovered = model.rig().clearFaultFlags();
                }
                stopVcpus();
                List<String> violations = checkMmu();
                if (migration.control.failed()) {
                    error = migration.control.failureText();
                } else if (!violations.isEmpty()) {
                    error = "MMU invariant violated: " + violations.get(0)
                            + (violations.size() > 1 ? " (and " + (violations.size() - 1) + " more, in --json)" : "");
                    migration.fail(error);
                } else {
                    result = verifyWithSource();
                }
            } catch (MigrationException e) {
                error = e.getMessage();
                migration.fail(error);
                stopVcpus();
            } finally {
                stopHostEvents(); // before guest memory is unmapped, whatever ended the run
                if (watchdog != null) watchdog.stop();
                tellSourceIfFailed(error != null ? error : migration.control.failureText());
                missing = presentPages == null ? null
                        : migration.allPresent.isDone() ? PresentPages.Missing.NONE : presentPages.missing();
                close();
            }
            return summarize(result, error);
        }

        private Handshake connectDemand() throws MigrationException {
            Hello hello = hello(ChannelRole.CHANNEL_ROLE_DEMAND)
                    .setStreams(config.streams())
                    // The guest's workload: a source that runs precopy runs it first.
                    .setWorkload(org.postcopysim.protocol.GuestWorkload.newBuilder()
                            .setPattern(config.workload().toString()).setWriteFraction(config.workload().writeFraction())
                            .setAccessesPerSec(config.accessesPerSecPerVcpu()).setSeed(config.seed()))
                    .build();
            demand = connect(ChannelRole.CHANNEL_ROLE_DEMAND, hello);
            Handshake hs = await(migration.handshake, "the source's handshake");
            if (hs.getProtocolVersion() != ProtocolVersion.CURRENT) {
                throw new MigrationException(ProtocolVersion.mismatch(hs.getProtocolVersion(), ProtocolVersion.CURRENT));
            }
            if (hs.getPageSizeBytes() != GuestLayout.PAGE_SIZE_BYTES) {
                throw new MigrationException("source uses " + hs.getPageSizeBytes() + "-byte pages; only "
                        + GuestLayout.PAGE_SIZE_BYTES + " is supported");
            }
            return hs;
        }

        /** The guest stopped on the source {@code sourceStopNs} before the Switchover that just arrived was sent. */
        private void guestStopped(long sourceStopNs) {
            long arrived = migration.switchoverArrivedNs();
            // A stop before this run started (or a nonsense value) counts from the start: the downtime is ours to measure.
            guestStoppedNs = sourceStopNs >= 0 && sourceStopNs <= arrived - startedNs ? arrived - sourceStopNs : startedNs;
            switchedOver = true;
        }

        private void connectBackground(String migrationId) throws MigrationException {
            connectBackground(migrationId, config.connectTimeout().toMillis());
        }

        /** Opens the link's BACKGROUND streams, 0 to streams - 1. */
        private void connectBackground(String migrationId, long timeoutMs) throws MigrationException {
            List<Channel> streams = new ArrayList<>(config.streams());
            background = streams;
            for (int i = 0; i < config.streams(); i++) {
                Hello hello = hello(ChannelRole.CHANNEL_ROLE_BACKGROUND).setMigrationId(migrationId).setStreamIndex(i).build();
                streams.add(connect(ChannelRole.CHANNEL_ROLE_BACKGROUND, hello, timeoutMs));
            }
        }

        /** A Hello of {@code role} with what every Hello carries: the version, the vCPUs and the token. */
        private Hello.Builder hello(ChannelRole role) {
            return Hello.newBuilder().setProtocolVersion(ProtocolVersion.CURRENT).setRole(role).setVcpus(config.vcpus())
                    .setToken(config.token() == null ? "" : config.token());
        }

        /** Closes the BACKGROUND streams and waits for them. */
        private void closeBackground() {
            for (Channel c : background) c.close().awaitUninterruptibly();
        }

        private Channel connect(ChannelRole role, Hello hello) throws MigrationException {
            return connect(role, hello, config.connectTimeout().toMillis());
        }

        private Channel connect(ChannelRole role, Hello hello, long timeoutMs) throws MigrationException {
            DestConnectionHandler handler = new DestConnectionHandler(role, hello, migration, migration.epoch());
            handlers.add(handler);
            Bootstrap b = new Bootstrap()
                    .group(role == ChannelRole.CHANNEL_ROLE_DEMAND ? group : streamGroup)
                    .channel(Transport.socketChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_RCVBUF, 1 << 20)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, role == ChannelRole.CHANNEL_ROLE_DEMAND
                            ? new AdaptiveRecvByteBufAllocator() : new AdaptiveRecvByteBufAllocator(4096, 65536, STREAM_MAX_READ_BYTES))
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeoutMs)))
                    .handler(new DestChannelInitializer(config.maxFrameBytes(), handler, tls, config.host(), config.port(), chaos,
                            config.reliability()));
            ChannelFuture f = b.connect(config.host(), config.port()).awaitUninterruptibly();
            if (!f.isSuccess()) {
                throw new MigrationException("cannot connect to the source at " + config.host() + ":" + config.port()
                        + ": " + describeConnectFailure(f.cause()));
            }
            return f.channel();
        }

        /** A connect failure in words: Netty annotates some with the address after a null message ("null: /host:port"). */
        private static String describeConnectFailure(Throwable cause) {
            String m = cause.getMessage();
            String kind = cause instanceof io.netty.channel.ConnectTimeoutException ? "timed out"
                    : cause instanceof java.net.NoRouteToHostException ? "no route to host"
                    : cause.getClass().getSimpleName();
            if (m == null) return kind;
            return m.startsWith("null") ? kind + m.substring(4) : org.postcopysim.protocol.SocketErrors.describe(m);
        }

        private void setUpGuest(Handshake hs) throws MigrationException {
            List<GuestLayout.Slot> slots = new ArrayList<>();
            try {
                for (org.postcopysim.protocol.Memslot m : hs.getMemslotsList()) {
                    slots.add(new GuestLayout.Slot(m.getId(), m.getBaseGfn(), m.getPageCount(), 0));
                }
                layout = GuestLayout.of(slots);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new MigrationException("the source's guest layout is invalid: " + e.getMessage());
            }
            seedContent = hs.getContentSeed();
            if (chaos != null) chaos.pagesTotal(layout.totalPages());
            long t0 = System.nanoTime();
            try {
                guest = backend.open(layout);
            } catch (IllegalStateException e) { // no room, or the kernel refused
                throw new MigrationException("cannot back the source's " + (layout.totalBytes() >> 20) + " MiB"
                        + " guest: " + e.getMessage());
            }
            memory = guest.memory();
            log.info("allocated {} MiB of guest memory ({} backend) in {} ms", layout.totalBytes() >> 20, backend.name(),
                    (System.nanoTime() - t0) / 1_000_000);
            HostBackend.Guest g = guest;
            // During precopy every page may be present and then discarded: the last page present ends nothing yet.
            ThreadedDest threadsLocal = new ThreadedDest(config.vcpus(), () -> {
                if (!migration.precopyRunning()) migration.allPresent.complete(null);
            }, g::uffdRunner);
            try {
                model = DestModel.build(layout, config.faults(), config.vcpus(), config.hugePageRecovery(), startedNs,
                        threadsLocal, config.mmu().options());
            } catch (IllegalArgumentException | IllegalStateException e) { // the layout does not fit, or the host refused
                throw new MigrationException(e.getMessage());
            }
            threaded = threadsLocal;
            requestChannel = demand;
            DemandFetcher fetcher = model.useNetwork(config.maxPageRetries(), (requestId, gfn, urgent) -> {
                Channel ch = requestChannel;
                if (ch != null) { // else paused: the request stays in flight and is sent again on resume
                    ch.writeAndFlush(PageRequestCodec.encodeSingle(ch.alloc(), requestId, gfn, urgent), ch.voidPromise());
                }
            });
            PageInstaller installer = model.installer();
            migration.demandInstaller = new BatchInstaller(installer, fetcher, guest.newContext(), new BatchInstaller.Meters(
                    metrics.demandPages, metrics.duplicatePages, metrics.crcFailures, metrics.bytesReceived));
            BatchInstaller[] streams = new BatchInstaller[config.streams()];
            for (int i = 0; i < streams.length; i++) {
                streams[i] = new BatchInstaller(installer, fetcher, guest.newContext(), new BatchInstaller.Meters(
                        metrics.backgroundPages, metrics.duplicatePages, metrics.crcFailures, metrics.bytesReceived));
            }
            migration.backgroundInstallers = streams;
            this.presentPages = new PresentPages(model.vm(), model.presence());
            metrics.bindPages(installer, fetcher);
        }

        /** The vCPUs, from the source's state for them. */
        private void setUpVcpus(Switchover so) throws MigrationException {
            if (so.getVcpusCount() != config.vcpus()) {
                throw new MigrationException("source sent state for " + Plural.of(so.getVcpusCount(), "vCPU")
                        + ", destination runs " + config.vcpus());
            }
            this.switchover = so;
            HostBackend.Guest g = guest;
            NetworkPageProvider provider = new NetworkPageProvider(model.fetcher());
            LatencyRecorder latency = metrics.latencyRecorder();
            for (int v = 0; v < config.vcpus(); v++) {
                VcpuState state = so.getVcpus(v);
                model.addVcpu(v, memory, config.workload(), config.seed(), seedContent,
                        state.getRip() >>> GuestLayout.PAGE_SHIFT, provider, latency);
            }
            threaded.createVcpus(model, g::newContext, migration.control, clock,
                    v -> config.vcpuSpinNs(), config.accessesPerSecPerVcpu(), v -> 0);
            threaded.startReaders(provider, g::newContext);
            log.info("guest {} MiB in {}, {}, workload {}, seed {}", layout.totalBytes() >> 20,
                    Plural.of(layout.slotCount(), "memslot"), Plural.of(config.vcpus(), "vCPU"), config.workload(), config.seed());
        }

        /** The vCPUs' meters: once they run, so that registering them is no part of the downtime. */
        private void bindVcpuMeters() {
            metrics.bindVcpus(model.counters());
            if (model.uffd() != null) metrics.bindUffd(model.uffd());
            metrics.bindBlocktime(model.blocktime());
            metrics.bindMmu(model);
            metrics.bindTouched(model);
        }


        /**
         * Precopy: the guest runs on the source while its pages arrive on BACKGROUND (a later
         * round's copy replacing the one here), until the source stops it: the discard set on
         * BACKGROUND, applied as it comes, and the Switchover on DEMAND. No page request goes out
         * before both are here (a copy that failed its checksum is re-requested then). Returns the
         * Switchover, with the vCPUs set up from it.
         */
        private Switchover receivePrecopy(Handshake hs) throws MigrationException {
            if (backend != HostBackend.MODEL) {
                throw new MigrationException("the source runs precopy, which needs the model backend: the " + backend.name()
                        + " backend cannot drop a page it received (the switchover's discard)");
            }
            HostEventSpec events = config.mmu().hostEvents();
            if (events != null && events.ratePerSec(org.postcopysim.dest.kvm.HostEvent.CONVERT) > 0) {
                throw new MigrationException("the source runs precopy, but host events convert pages here: a converted page "
                        + "is verified against the contents the source generated, which its guest's writes changed; run "
                        + "precopy without convert events");
            }
            status = MigrationStatus.ACTIVE;
            migration.precopyStarts();
            setUpGuest(hs);
            migrationId = hs.getMigrationId();
            requestChannel = null; // requests wait for the Switchover (re-requests of bad copies go out with it)
            model.installer().trackPrecopyRounds();
            java.util.concurrent.atomic.AtomicInteger arrivals = new java.util.concurrent.atomic.AtomicInteger();
            for (BatchInstaller bg : migration.backgroundInstallers) {
                bg.replacePresentPages(bug != PrecopyBug.KEEP_FIRST_COPY);
                if (bug == PrecopyBug.LAST_ARRIVAL_WINS) bg.lastArrivalWins(arrivals);
            }
            migration.discardApplier = new DiscardApplier(model.installer(), guest.newContext(), layout, config.streams(), bug);
            migration.onPrecopyOver = () -> {
                if (bug != PrecopyBug.PRECOPY_END_NOT_MARKED) metrics.markPrecopyEnd();
                if (model.installer().presentPages() == layout.totalPages()) migration.allPresent.complete(null);
            };
            connectBackground(migrationId);
            log.info("precopy: the guest runs on the source; receiving its pages");
            Switchover so = awaitDuringPrecopy(migration.switchover, "the source's switchover state");
            if (so.getPrecopyRoundsCount() == 0) {
                throw new MigrationException("the source announced precopy but its Switchover reports no precopy round");
            }
            guestStopped(so.getSourceStopNs());
            long discarded = awaitDuringPrecopy(migration.discarded, "the discard set");
            if (discarded != so.getDiscardedPages()) {
                throw new MigrationException("the source's Switchover counts " + Long.toUnsignedString(so.getDiscardedPages())
                        + " discarded pages, its Discard bitmaps " + discarded);
            }
            setUpVcpus(so);
            requestChannel = demand;
            int rerequested = model.fetcher().resendInFlight(layout::gfnOfPageIndex);
            log.info("precopy over after {}: {} discarded, {} sent again", Plural.of(so.getPrecopyRoundsCount(), "round"),
                    Plural.of(discarded, "page"), Plural.of(rerequested, "page request"));
            return so;
        }

        /**
         * Waits for {@code f} while precopy runs, which takes as long as the source's rounds take:
         * a timeout only counts when no page arrived for the whole of it.
         */
        private <T> T awaitDuringPrecopy(CompletableFuture<T> f, String what) throws MigrationException {
            long timeoutMs = config.connectTimeout().toMillis();
            long lastBytes = metrics.pageBytesReceived();
            while (true) {
                try {
                    return f.get(timeoutMs, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    long bytes = metrics.pageBytesReceived();
                    if (bytes == lastBytes) {
                        throw new MigrationException("timed out waiting for " + what + ": no page arrived from the source "
                                + "for " + config.connectTimeout().toSeconds() + " s during precopy");
                    }
                    lastBytes = bytes;
                } catch (ExecutionException e) {
                    throw new MigrationException(e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MigrationException("interrupted waiting for " + what);
                }
            }
        }

        private void startVcpus(Switchover so) {
            metrics.markResume();
            resumedNs = clock.nanoTime();
            threaded.startVcpus();
            status = MigrationStatus.POSTCOPY_ACTIVE;
            log.info("vCPUs resumed: the guest was stopped {} ms ({} us on the source until the Switchover went out, {} us "
                    + "here since it arrived)", downtimeMs(), so.getSourceStopNs() / 1000,
                    (resumedNs - migration.switchoverArrivedNs()) / 1000);
            bindVcpuMeters();
            HostEventSpec spec = config.mmu().hostEvents();
            if (spec != null) {
                long seed = SplitMix64.fork(config.seed(), HOST_EVENT_STREAM);
                hostEvents = new HostEventRunner(model.hostEventDriver(), spec, layout, seed,
                        guest.newContext(), clock);
                log.info("host events {} during postcopy (seed {})", spec, seed);
                hostEvents.start();
            }
        }

        /** Ends host events: the last one in progress ends first, so no invalidation stays open. */
        private void stopHostEvents() {
            if (hostEvents != null) hostEvents.stop();
        }

        /**
         * The MMU invariants (docs/kvm-model.md) over the model with the vCPUs and the host
         * stopped: the violations, or an empty list.
         */
        private List<String> checkMmu() {
            if (model == null) return List.of();
            mmuViolations = List.copyOf(model.mmuViolations());
            return mmuViolations;
        }

        private void stopVcpus() {
            stopHostEvents();
            migration.control.requestStop();
            if (threaded != null) threaded.stop();
        }

        /** What this destination knows of the page at {@code pageIndex}: for a stall's report. */
        private String describePage(long pageIndex) {
            if (model == null) return "(no KVM model: the kernel backend)";
            PageInstaller installer = model.installer();
            DemandFetcher fetcher = model.fetcher();
            return (fetcher != null && fetcher.isInFlight(pageIndex) ? "requested, in flight" : "no request in flight")
                    + (installer.hasArrived(pageIndex) ? ", arrived before" : ", never arrived")
                    + (fetcher == null ? "" : ", " + fetcher.badCopies(pageIndex) + " bad copies")
                    + "; " + installer.presentPages() + " of " + installer.totalPages() + " pages present, "
                    + (fetcher == null ? 0 : fetcher.requestsSent()) + " requests sent, "
                    + (fetcher == null ? 0 : fetcher.resentAfterRecovery()) + " resent after recoveries";
        }

        private void startWatchdog() {
            watchdog = new StallWatchdog(threaded.waiters(), config.reliability().stallTimeout().toNanos(), metrics.stalls,
                    layout::gfnOfPageIndex, () -> {
                        long since = pausedSinceNs;
                        return since == 0 ? "up" : "paused for " + (clock.nanoTime() - since) / 1_000_000 + " ms";
                    }, this::describePage, clock);
            watchdog.start();
        }

        /** Waits until every page is present or the run fails, recovering each dropped link on the way. */
        private void awaitAllPresent() throws MigrationException {
            while (true) {
                CompletableFuture<String> down = migration.linkDown();
                CompletableFuture.anyOf(migration.allPresent, migration.control.failureFuture(), down).join();
                if (migration.allPresent.isDone() || migration.control.failed()) return;
                recover(down.join());
            }
        }

        /**
         * Postcopy recovery: the link dropped. Pauses (vCPUs needing a missing page stay blocked,
         * the others run), reconnects with exponential backoff until the recovery deadline, and
         * resumes: Hello(resume) and PagesHeld on DEMAND, ResumeAck, a new BACKGROUND, and the
         * page requests in flight sent again.
         *
         * @throws MigrationException when the source cannot be reached in time (naming the missing pages)
         */
        private void recover(String reason) throws MigrationException {
            long pausedAt = clock.nanoTime();
            pausedSinceNs = pausedAt;
            status = MigrationStatus.POSTCOPY_PAUSED;
            metrics.pauses.increment();
            long deadlineNs = pausedAt + config.reliability().recoveryDeadline().toNanos();
            log.warn("migration {} paused: {}; reconnecting for up to {} s", migrationId, reason,
                    config.reliability().recoveryDeadline().toSeconds());
            requestChannel = null;
            closeLink();
            long backoffNs = RECONNECT_BACKOFF_MIN_NS;
            int attempts = 0;
            String lastError = reason;
            while (true) {
                if (migration.control.failed()) throw new MigrationException(migration.control.failureText());
                long remainingNs = deadlineNs - clock.nanoTime();
                if (remainingNs <= 0) {
                    throw new MigrationException("source unreachable: the link dropped (" + reason + ") and migration "
                            + migrationId + " could not be resumed within "
                            + config.reliability().recoveryDeadline().toMillis() / 1000.0 + " s (" + attempts
                            + " attempts, last: " + lastError + "); " + presentPages.missing().describe(layout.totalPages()));
                }
                attempts++;
                String error = tryResume(remainingNs);
                if (error == null) break;
                status = MigrationStatus.POSTCOPY_PAUSED;
                lastError = error;
                log.info("migration {}: resume attempt {} failed: {}; next in {} ms", migrationId, attempts, error,
                        backoffNs / 1_000_000);
                closeLink();
                // Back off, but wake at once if the run fails meanwhile (a vCPU, or a stop).
                long waitNs = Math.min(backoffNs, Math.max(1, deadlineNs - clock.nanoTime()));
                try {
                    migration.control.failureFuture().get(waitNs, TimeUnit.NANOSECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    // the backoff is over
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MigrationException("interrupted while reconnecting");
                }
                backoffNs = Math.min(RECONNECT_BACKOFF_MAX_NS, backoffNs * 2);
            }
            long pausedFor = clock.nanoTime() - pausedAt;
            pausedNsTotal += pausedFor;
            pausedSinceNs = 0;
            recoveries++;
            metrics.recoveries.increment();
            status = MigrationStatus.POSTCOPY_ACTIVE;
            log.info("migration {} resumed after {} ms paused ({} attempts)", migrationId, pausedFor / 1_000_000, attempts);
        }

        /** One resume attempt within {@code remainingNs}; null when the migration runs again, else why not. */
        private String tryResume(long remainingNs) throws MigrationException {
            status = MigrationStatus.POSTCOPY_RECOVER_SETUP;
            int epoch = migration.newLink();
            long timeoutMs = Math.max(1, Math.min(config.connectTimeout().toMillis(), remainingNs / 1_000_000));
            Hello hello = hello(ChannelRole.CHANNEL_ROLE_DEMAND).setMigrationId(migrationId).setResume(true)
                    .setStreams(config.streams()).build();
            try {
                demand = connect(ChannelRole.CHANNEL_ROLE_DEMAND, hello, timeoutMs);
            } catch (MigrationException e) {
                return e.getMessage();
            }
            long[] held = presentPages.heldWords();
            for (PagesHeld chunk : PagesHeldChunks.split(held, PagesHeldChunks.DEFAULT_BYTES_PER_CHUNK)) {
                demand.write(Frames.encode(demand.alloc(), FrameType.FRAME_TYPE_PAGES_HELD, chunk));
            }
            demand.flush();
            status = MigrationStatus.POSTCOPY_RECOVER; // the source learns what we hold, and resends the rest
            CompletableFuture<String> down = migration.linkDown();
            try {
                CompletableFuture.anyOf(migration.resumeAck(), down, migration.control.failureFuture())
                        .get(Math.max(1, remainingNs), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return "no ResumeAck from the source";
            } catch (ExecutionException e) {
                return String.valueOf(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MigrationException("interrupted while resuming");
            }
            if (migration.control.failed()) throw new MigrationException(migration.control.failureText());
            if (down.isDone()) return down.join();
            ResumeAck ack = migration.resumeAck().join();
            try {
                connectBackground(migrationId, timeoutMs);
            } catch (MigrationException e) {
                return e.getMessage();
            }
            if (down.isDone()) return down.join();
            requestChannel = demand;
            int resent = model.fetcher().resendInFlight(layout::gfnOfPageIndex);
            log.info("migration {}: link {} up; the source sends {} pages again, {} page requests sent again",
                    migrationId, epoch, ack.getPagesToResend(), resent);
            return null;
        }

        /** Closes the current link's connections on purpose (their close is no drop) and waits for them. */
        private void closeLink() {
            for (DestConnectionHandler h : handlers) h.expectClose();
            closeBackground();
            if (demand != null) demand.close().awaitUninterruptibly();
        }

        private CompletionResult verifyWithSource() throws MigrationException {
            while (true) {
                sendDigest();
                CompletableFuture<String> down = migration.linkDown();
                try {
                    CompletableFuture.anyOf(migration.result, down).get(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    throw new MigrationException("timed out after " + config.connectTimeout().toSeconds()
                            + " s waiting for the source's verdict on the memory digest");
                } catch (ExecutionException e) {
                    throw new MigrationException(e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MigrationException("interrupted waiting for the source's verdict");
                }
                if (migration.result.isDone()) return await(migration.result, "the source's verdict on the memory digest");
                recover(down.join()); // the digest or the verdict was lost with the link: send it again
            }
        }

        private void sendDigest() {
            MemoryVerifier verifier = new MemoryVerifier(memory, model.writeLog(), model.vm(), seedContent);
            long total = layout.totalPages();
            for (long first = 0; first < total; first += DIGEST_PAGES_PER_FRAME) {
                int n = (int) Math.min(DIGEST_PAGES_PER_FRAME, total - first);
                CompletionDigest.Builder chunk = CompletionDigest.newBuilder().setFirstPageIndex(first);
                for (int i = 0; i < n; i++) chunk.addPageCrc32C(verifier.sourceEquivalentCrc(first + i));
                boolean last = first + n == total;
                chunk.setLast(last);
                if (last) chunk.setPagesPresent(total);
                demand.writeAndFlush(Frames.encode(demand.alloc(), FrameType.FRAME_TYPE_COMPLETION_DIGEST, chunk.build()));
            }
        }

        private <T> T await(CompletableFuture<T> f, String what) throws MigrationException {
            try {
                return f.get(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new MigrationException("timed out after " + config.connectTimeout().toSeconds() + " s waiting for " + what);
            } catch (ExecutionException e) {
                throw new MigrationException(e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MigrationException("interrupted waiting for " + what);
            }
        }

        /**
         * A migration that failed here (not by losing the link) says so on DEMAND before closing, so
         * that the source fails it at once instead of pausing until its recovery deadline.
         */
        private void tellSourceIfFailed(String why) {
            Channel d = demand;
            if (why == null || d == null || !d.isActive()) return;
            for (DestConnectionHandler h : handlers) h.expectClose();
            String text = why.length() > 1000 ? why.substring(0, 1000) + "..." : why;
            d.writeAndFlush(Frames.error(d.alloc(), org.postcopysim.protocol.Error.Code.CODE_INTERNAL,
                    "destination failed: " + text)).awaitUninterruptibly(1_000);
        }

        private void close() {
            for (DestConnectionHandler h : handlers) h.expectClose();
            closeBackground();
            if (demand != null) demand.close().awaitUninterruptibly();
            if (streamGroup != null) streamGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            if (group != null) group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            if (guest != null) guest.close();
        }

        private MigrationSummary summarize(CompletionResult result, String error) {
            endPause(); // a run that ends paused (the source never came back) is over, not paused
            List<VcpuCounters> perVcpu = model == null ? List.of() : model.counters();
            long[] exitsPerVcpu = new long[perVcpu.size()];
            long blockedNs = 0;
            for (int i = 0; i < perVcpu.size(); i++) {
                VcpuCounters c = perVcpu.get(i);
                exitsPerVcpu[i] = c.exits;
                blockedNs += c.blockedNs;
            }
            long staleReads = metrics.functionCount(DestMetrics.STALE_READS);
            long pagesTotal = layout == null ? 0 : layout.totalPages();
            boolean verified = error == null && result != null && result.getPageMismatches() == 0
                    && result.getPagesVerified() == pagesTotal && staleReads == 0;
            if (error == null && !verified) {
                error = result == null ? "no verdict from the source"
                        : result.getPageMismatches() + " of " + pagesTotal + " pages differ from the source, first gfns "
                        + result.getMismatchedGfnsList();
            }
            long endNs = allPresentNs != 0 ? allPresentNs : clock.nanoTime();
            long resumed = resumedNs != 0 ? resumedNs : endNs;
            long pagesTouched = pagesTouchedAtAllPresent >= 0 ? pagesTouchedAtAllPresent
                    : model == null ? 0 : model.pagesTouched();
            NetworkBoundFaults touched = new NetworkBoundFaults(result == null ? 0 : result.getPagesFetchedOnDemand(),
                    pagesTouched);
            MigrationSummary.Blocktime blocked = model == null
                    ? new MigrationSummary.Blocktime(0, new long[0])
                    : new MigrationSummary.Blocktime(model.blocktime().allBlockedNs(), model.blocktime().perVcpuBlockedNs());
            long pagesMissing = missing == null ? pagesTotal : missing.count();
            status = MigrationStatus.ofFinished(verified);
            MigrationSummary.BytesPerPhase bytes = metrics.bytesPerPhase();
            QueryMigrate queryMigrate = queryMigrate(error, endNs, pagesTotal, pagesMissing, bytes, perVcpu, blocked);
            return new MigrationSummary(config.faults().mode().cliName(), backend.name(), verified, error, config.seed(), config.workload().toString(), config.vcpus(),
                    config.faults().reportedReaders(), config.faults().reportedUffdScope(), config.faults().accessName(),
                    config.faults().internalAccessFraction(),
                    pagesTotal * GuestLayout.PAGE_SIZE_BYTES, layout == null ? 0 : layout.slotCount(), pagesTotal,
                    result == null ? 0 : result.getPagesVerified(), result == null ? 0 : result.getPageMismatches(),
                    result == null ? List.of() : List.copyOf(result.getMismatchedGfnsList()),
                    metrics.functionCount(DestMetrics.DEMAND_FAULTS), metrics.functionCount(DestMetrics.REDUNDANT_FAULTS),
                    metrics.functionCount(DestMetrics.EXITS), exitsPerVcpu,
                    DestMetrics.count(metrics.backgroundPages), DestMetrics.count(metrics.demandPages),
                    DestMetrics.count(metrics.duplicatePages), DestMetrics.count(metrics.crcFailures),
                    metrics.functionCount(DestMetrics.PAGE_REQUESTS), metrics.functionCount(DestMetrics.GUEST_READS),
                    metrics.functionCount(DestMetrics.GUEST_WRITES), staleReads, hugeRecovered,
                    metrics.latency(), metrics.latencyLog2Us(), blockedNs, blocked, (endNs - resumed) / 1_000_000,
                    (resumed - startedNs) / 1_000_000, DestMetrics.count(metrics.bytesReceived), bytes,
                    Transport.name(), metrics.functionCount(DestMetrics.POPULATES),
                    metrics.functionCount(DestMetrics.HOST_FAULTS), uffdStats(), recoveries, pausedNs() / 1_000_000,
                    DestMetrics.count(metrics.stalls), chaos == null ? null : chaos.describe(),
                    pagesMissing, missing == null ? List.of() : missing.ranges(),
                    missing != null && missing.rangesCut(), mmuSummary(), result == null ? null : result.getBackgroundOrder(),
                    touched.pagesTouched(), result == null ? null : touched.faults(),
                    result == null ? null : touched.fraction(), switchover == null ? 0 : switchover.getPrecopyRoundsCount(),
                    precopyRounds(), switchover == null ? 0 : switchover.getDiscardedPages(),
                    switchover == null ? 0 : switchover.getSourceGuestWrites(), downtimeMs(), streamPages(), queryMigrate);
        }

        /** Bytes of the page frames the BACKGROUND streams delivered, length fields included, over every link. */
        private long backgroundPageBytes() {
            long bytes = 0;
            for (DestConnectionHandler h : handlers) {
                if (h.role() == ChannelRole.CHANNEL_ROLE_BACKGROUND) bytes += h.bytesReceived(FrameType.FRAME_TYPE_PAGE_BATCH);
            }
            return bytes;
        }

        /** The page copies each BACKGROUND stream delivered, by stream index. */
        private long[] streamPages() {
            BatchInstaller[] streams = migration.backgroundInstallers;
            long[] pages = new long[config.streams()];
            for (int i = 0; i < Math.min(pages.length, streams.length); i++) pages[i] = streams[i].pagesReceived();
            return pages;
        }

        /** The run in QEMU's query-migrate fields, from the same counters as the rest of the summary. */
        private QueryMigrate queryMigrate(String error, long endNs, long pagesTotal, long pagesMissing,
                                          MigrationSummary.BytesPerPhase bytes, List<VcpuCounters> perVcpu,
                                          MigrationSummary.Blocktime blocked) {
            // Setup ends where the first phase that moves guest state starts: without precopy the guest
            // stopping (postcopy starts when the vCPUs resume here); with precopy the start of round 1, dated
            // as the guest's stop less the rounds' times as the source measured them (the way the stop itself
            // is dated from the Switchover), so that setup, precopy and downtime add up to the time to resume.
            long setupEndNs = switchedOver ? Math.max(startedNs, guestStoppedNs - precopyNs()) : endNs;
            OptionalLong downtimeNs = resumedNs != 0 ? OptionalLong.of(resumedNs - guestStoppedNs) : OptionalLong.empty();
            QueryMigrate.Times times = new QueryMigrate.Times(endNs - startedNs, setupEndNs - startedNs, downtimeNs);
            // Every page travels with its contents: the protocol has no zero-page form (and the source's
            // generated pages are never all zero), so no page is QEMU's "duplicate".
            long zeroPages = 0;
            long normalPages = bytes.precopyPages() + bytes.downtimePages() + bytes.postcopyPages();
            QueryMigrate.Transfer transfer = new QueryMigrate.Transfer(pagesTotal * GuestLayout.PAGE_SIZE_BYTES,
                    GuestLayout.PAGE_SIZE_BYTES, pagesMissing, normalPages, DestMetrics.count(metrics.bytesReceived), zeroPages,
                    metrics.functionCount(DestMetrics.PAGE_REQUESTS));
            // With more than one BACKGROUND stream they are QEMU's multifd channels: their page frames are
            // multifd bytes. The dirty bitmap is synchronized once per precopy round.
            int dirtySyncs = switchover == null ? 0 : switchover.getPrecopyRoundsCount();
            QueryMigrate.Phases phases = new QueryMigrate.Phases(bytes.precopyBytes(), bytes.downtimeBytes(),
                    bytes.postcopyBytes(), config.streams() > 1 ? backgroundPageBytes() : 0, dirtySyncs);
            int vcpus = blocked.perVcpuNs().length;
            long[] latencyNs = new long[vcpus];
            long[] faults = new long[vcpus];
            for (int v = 0; v < Math.min(vcpus, perVcpu.size()); v++) {
                latencyNs[v] = perVcpu.get(v).waitedFaultsLatencyNs;
                faults[v] = perVcpu.get(v).waitedFaults;
            }
            // Only vCPU threads wait for pages here: no other thread touches guest memory before every page is present.
            QueryMigrate.Faults waited = new QueryMigrate.Faults(blocked.allVcpusNs(), blocked.perVcpuNs(), latencyNs, faults,
                    0, 0, metrics.latencyLog2Us());
            return QueryMigrate.of(status, error, times, transfer, phases, waited);
        }

        /** The precopy rounds' time as the source measured it, round 1's start to the last round's end (ns); 0 without. */
        private long precopyNs() {
            long ns = 0;
            if (switchover != null) {
                for (org.postcopysim.protocol.PrecopyRound r : switchover.getPrecopyRoundsList()) ns += Math.max(0, r.getDurationNs());
            }
            return ns;
        }

        private List<MigrationSummary.PrecopyRound> precopyRounds() {
            if (switchover == null) return List.of();
            List<MigrationSummary.PrecopyRound> out = new ArrayList<>();
            for (org.postcopysim.protocol.PrecopyRound r : switchover.getPrecopyRoundsList()) {
                long ns = r.getDurationNs();
                long dirtyBytes = r.getDirtiedPages() * GuestLayout.PAGE_SIZE_BYTES;
                out.add(new MigrationSummary.PrecopyRound(r.getRound(), r.getPagesSent(), r.getBytesSent(),
                        TimeUnit.NANOSECONDS.toMillis(ns), r.getDirtiedPages(),
                        ns <= 0 ? 0 : (long) (dirtyBytes * 1e9 / ns)));
            }
            return out;
        }

        /**
         * The guest stopped on the source until it resumed here (ms): the source's part, as the
         * Switchover reports it, then ours from the Switchover's arrival; 0 when it never resumed.
         */
        private long downtimeMs() {
            if (!switchedOver || resumedNs == 0) return 0;
            return TimeUnit.NANOSECONDS.toMillis(resumedNs - guestStoppedNs);
        }

        private MigrationSummary.Mmu mmuSummary() {
            MmuSetup setup = config.mmu();
            String spec = setup.hostEvents() == null ? null : setup.hostEvents().toString();
            if (model == null) {
                return new MigrationSummary.Mmu(spec, setup.options().privateFraction(), setup.options().notifyUpgrades(),
                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, mmuViolations);
            }
            var vm = model.vm();
            return new MigrationSummary.Mmu(spec, setup.options().privateFraction(), setup.options().notifyUpgrades(),
                    vm.privatePages(), model.hostEvents(), model.invalidations(), model.stage2Zapped(), model.localRefaults(),
                    model.pfnCacheInvalidations(), model.pfnCacheRefreshes(), model.retriedFaults(), model.lazyUpgrades(),
                    model.refetchedArrivedPages(), model.totals().reclaimedPopulates, vm.convertedPages(), vm.upgradeZaps(),
                    vm.upgradeRefaults(), vm.mmu().reclaimFlushes(), vm.mmu().reclaimFlushesSkipped(), mmuViolations);
        }

        private MigrationSummary.UffdStats uffdStats() {
            if (model == null || model.uffd() == null) return MigrationSummary.UffdStats.NONE;
            MigrationSummary.UffdStats own = guest == null ? null : guest.uffdStats();
            if (own != null) return own;
            var paths = model.uffd();
            var u = paths.uffds();
            return new MigrationSummary.UffdStats(paths.sleeps(), u.wakes(),
                    new MigrationSummary.PerWake(u.meanWaitersVisitedPerWake(), u.maxWaitersVisitedPerWake()), u.reads(),
                    u.eexistCount(), paths.pollerWakeups());
        }
    }

    /** A migration step failed; the message says which and why. */
    static final class MigrationException extends Exception {
        MigrationException(String message) {
            super(message);
        }
    }
}
