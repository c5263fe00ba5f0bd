package org.postcopysim.source;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.ProtocolVersion;
import org.postcopysim.protocol.Tls;
import org.postcopysim.protocol.chaos.ChaosState;
import org.postcopysim.text.Plural;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source VM: generates guest memory from a seed, listens for one destination, serves a
 * single migration (demand pages first, every other page in the background) and reports how it
 * ended through {@link #completion()}.
 *
 * <pre>{@code
 * try (SourceVm vm = SourceVm.start(SourceConfig.builder().port(4444).build(), registry)) {
 *     SourceResult r = vm.completion().join();
 *     System.exit(r.verified() ? 0 : 1);
 * }
 * }</pre>
 */
public final class SourceVm implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SourceVm.class);

    /** The protocol version this source speaks (the protocol module's {@link ProtocolVersion#CURRENT}). */
    public static final int PROTOCOL_VERSION = ProtocolVersion.CURRENT;
    /** Threads that generate guest memory at start-up (count). */
    static final int FILL_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private final SourceGuest guest;
    private final SourceServer server;
    private final Migrations migrations;
    private final CompletableFuture<SourceResult> completion;
    private final ChaosState chaos;
    private boolean closed;

    private SourceVm(SourceGuest guest, SourceServer server, Migrations migrations, CompletableFuture<SourceResult> completion,
                     ChaosState chaos) {
        this.guest = guest;
        this.server = server;
        this.migrations = migrations;
        this.completion = completion;
        this.chaos = chaos;
    }

    /** Binds the listening socket, then generates guest memory and serves: {@code bind(config).start(registry)}. */
    public static SourceVm start(SourceConfig config, MeterRegistry registry) {
        try (Bound bound = bind(config)) {
            return bound.start(registry);
        }
    }

    /**
     * Checks the configuration, builds the TLS context and the fault injection, and binds the
     * listening socket, accepting nothing yet: everything that can fail at once fails here,
     * before {@link Bound#start} spends seconds generating guest memory.
     *
     * @throws java.io.UncheckedIOException "cannot listen on HOST:PORT: why" when the address cannot be bound
     */
    public static Bound bind(SourceConfig config) {
        config.validate();
        // Built once per process, before the guest is generated, so that bad TLS files fail at once.
        SslContext tls = config.reliability().tls() == null ? null : Tls.serverContext(config.reliability().tls());
        if (tls != null) log.info("mutual TLS on every connection; clients must present a certificate of CA {}",
                config.reliability().tls().trustedCa());
        // Parsed before the guest is generated too, so that a bad spec fails at once.
        ChaosState chaos = ChaosState.of(config.reliability().chaos(), config.reliability().chaosSeed());
        return new Bound(config, tls, chaos, SourceServer.bind(config.host(), config.port()));
    }

    /** A source whose socket is bound but which accepts nothing until {@link #start}; closing it unbinds. */
    public static final class Bound implements AutoCloseable {
        private final SourceConfig config;
        private final SslContext tls;
        private final ChaosState chaos;
        private final SourceServer server;
        private boolean started;

        private Bound(SourceConfig config, SslContext tls, ChaosState chaos, SourceServer server) {
            this.config = config;
            this.tls = tls;
            this.chaos = chaos;
            this.server = server;
        }

        /** The bound address (the actual port when configured with 0). */
        public InetSocketAddress address() {
            return server.localAddress();
        }

        /** Generates guest memory (logging how long it took), then accepts destinations. Once only. */
        public SourceVm start(MeterRegistry registry) {
            Objects.requireNonNull(registry, "registry");
            if (started) throw new IllegalStateException("already started");
            GuestLayout layout = config.layout();
            if (chaos != null) {
                chaos.pagesTotal(layout.totalPages());
                log.info("chaos: {} (seed {}) on the page frames this source sends", chaos.spec(), chaos.seed());
            }
            long t0 = System.nanoTime();
            SourceGuest guest = SourceGuest.generate(layout, config.seed(), FILL_THREADS);
            log.info("generated {} MiB of guest memory ({} pages, {}, seed {}) in {} ms, memory digest {}",
                    layout.totalBytes() >> 20, layout.totalPages(), Plural.of(layout.slotCount(), "memslot"), config.seed(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), Integer.toHexString(guest.memoryDigest()));
            try {
                CompletableFuture<SourceResult> completion = new CompletableFuture<>();
                SourceMetrics metrics = new SourceMetrics(registry);
                Migrations migrations = new Migrations(guest, metrics, completion,
                        config.reliability().recoveryDeadline(), config.backgroundOrder());
                SourceMetrics.remainingPagesGauge(registry, migrations, Migrations::remainingPages);
                server.serve(new SourceChannelInitializer(new SourceContext(config, guest, migrations, metrics), tls, chaos));
                started = true;
                return new SourceVm(guest, server, migrations, completion, chaos);
            } catch (RuntimeException e) {
                guest.close();
                throw e;
            }
        }

        /** Unbinds, unless {@link #start} handed the socket to the running source. */
        @Override
        public void close() {
            if (!started) server.shutdown();
        }
    }

    /** The fault injection on the page frames this source sends ({@code --chaos}), or null for none. */
    public ChaosState chaos() {
        return chaos;
    }

    /** The address the source listens on (the actual port when configured with 0). */
    public InetSocketAddress boundAddress() {
        return server.localAddress();
    }

    /**
     * Completes (normally, never exceptionally) when the migration ended: verified, failed
     * verification, or failed (link dropped, source closed); {@link SourceResult#error()} says why.
     */
    public CompletableFuture<SourceResult> completion() {
        return completion;
    }

    /** Closes every connection and the event loops, then unmaps guest memory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        completion.complete(closedResult());
        Migration m = migrations.current();
        // The guest's vCPUs, if precopy still runs them: they write guest memory, which is unmapped below.
        CompletableFuture<Void> vcpusStopped = m == null ? CompletableFuture.completedFuture(null) : m.stopGuest();
        boolean stopped = server.shutdown();
        boolean guestStopped;
        try {
            vcpusStopped.get(SourceServer.SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            guestStopped = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            guestStopped = false;
        } catch (ExecutionException | TimeoutException e) {
            guestStopped = false;
        }
        if (stopped && guestStopped) {
            guest.close();
        } else {
            log.warn("{} did not stop within {} ms; leaving guest memory mapped", stopped ? "the source's vCPUs" : "event loops",
                    SourceServer.SHUTDOWN_TIMEOUT_MS);
        }
    }

    private SourceResult closedResult() {
        Migration m = migrations.current();
        String error = m == null ? "source closed before any migration started"
                : "source closed before migration " + m.id() + " completed";
        return new SourceResult(false, guest.totalPages(), 0, 0, List.of(), 0, 0, 0, 0, 0, guest.memoryDigest(),
                m == null ? 0 : m.recoveries(), m == null ? 0 : m.pausedMs(),
                m == null || m.precopy() == null ? SourceResult.Precopy.NONE : m.precopy().result(), error);
    }
}
