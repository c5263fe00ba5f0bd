package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.PageBatch;
import org.postcopysim.protocol.PageRequestCodec;
import org.postcopysim.protocol.Switchover;

/**
 * Hostile or broken destinations (issue item 4): each one gets an Error (when it still listens)
 * and a closed connection, the source counts it, stays up, and then migrates a legitimate
 * destination to a verified end. A destination that requests faster than it reads is slowed by
 * backpressure, and the source's buffering for it stays bounded. Real loopback sockets.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadInputTest {
    static final String TOKEN = "bad-input-token";
    static final SourceConfig CONFIG = SourceConfig.builder().guestBytes(4L << 20).seed(17).token(TOKEN).build();
    /** Seed of the garbage bytes; printed so that a failure can be replayed. */
    static final long GARBAGE_SEED = 0x6A5B_A6E5L;

    static Hello hello(ChannelRole role, String migrationId) {
        return TestDestination.hello(role, migrationId, 1).toBuilder().setToken(TOKEN).build();
    }

    /** Ways a peer breaks the protocol before it is admitted. */
    enum BadPeer {
        GARBAGE_BYTES(Error.Code.CODE_BAD_FRAME) {
            @Override
            void misbehave(TestDestination d) {
                System.out.println("garbage seed: " + GARBAGE_SEED);
                byte[] junk = new byte[4096];
                new Random(GARBAGE_SEED).nextBytes(junk);
                d.sendRaw(d.buffer().writeBytes(junk));
            }
        },
        OVERSIZED_FRAME(Error.Code.CODE_BAD_FRAME) {
            @Override
            void misbehave(TestDestination d) {
                d.sendRaw(d.buffer().writeInt((1 << 20) + 2).writeByte(FrameType.FRAME_TYPE_HELLO_VALUE).writeZero(512));
            }
        },
        TRUNCATED_FRAME_THEN_CLOSE(null) {
            @Override
            void misbehave(TestDestination d) {
                d.sendRaw(d.buffer().writeInt(100).writeByte(FrameType.FRAME_TYPE_HELLO_VALUE).writeZero(10));
                d.hangUp();
            }
        },
        UNKNOWN_FRAME_TYPE(Error.Code.CODE_BAD_FRAME) {
            @Override
            void misbehave(TestDestination d) {
                d.sendRaw(d.buffer().writeInt(3).writeByte(200).writeByte(0).writeByte(0));
            }
        },
        WRONG_PROTOCOL_VERSION(Error.Code.CODE_VERSION_MISMATCH) {
            @Override
            void misbehave(TestDestination d) {
                d.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_DEMAND, "").toBuilder().setProtocolVersion(7).build());
            }
        },
        MISSING_TOKEN(Error.Code.CODE_UNAUTHORIZED) {
            @Override
            void misbehave(TestDestination d) {
                d.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_DEMAND, "").toBuilder().clearToken().build());
            }
        },
        WRONG_TOKEN(Error.Code.CODE_UNAUTHORIZED) {
            @Override
            void misbehave(TestDestination d) {
                d.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_DEMAND, "").toBuilder().setToken(TOKEN + "x").build());
            }
        },
        ZERO_VCPUS(Error.Code.CODE_BAD_FRAME) {
            @Override
            void misbehave(TestDestination d) {
                d.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_DEMAND, "").toBuilder().setVcpus(0).build());
            }
        },
        VCPUS_NEGATIVE_AS_A_SIGNED_INT(Error.Code.CODE_BAD_FRAME) {
            @Override
            void misbehave(TestDestination d) { // uint32 2^32-1: -1 to a signed comparison
                d.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_DEMAND, "").toBuilder().setVcpus(-1).build());
            }
        },
        PAGE_REQUEST_BEFORE_HELLO(Error.Code.CODE_BAD_FRAME) {
            @Override
            void misbehave(TestDestination d) {
                d.sendRequest(1, 0);
            }
        };

        /** The Error the source answers with, or null when the peer is gone before it could. */
        final Error.Code expected;

        BadPeer(Error.Code expected) {
            this.expected = expected;
        }

        abstract void misbehave(TestDestination d);
    }

    @ParameterizedTest
    @EnumSource(BadPeer.class)
    void aBadPeerIsRefusedAndClosedAndTheSourceThenMigratesALegitimateDestination(BadPeer bad) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SourceVm vm = SourceVm.start(CONFIG, registry)) {
            try (TestDestination d = TestDestination.connect(vm.boundAddress())) {
                bad.misbehave(d);
                if (bad.expected != null) {
                    Error e = d.expectError(bad.expected);
                    assertTrue(!e.getText().isEmpty(), "the Error says why");
                    d.awaitClosed();
                }
            }
            if (bad.expected == null) {
                awaitTrue(() -> registry.get(SourceMetrics.CHANNEL_ERRORS).counter().count() >= 1,
                        "the source noticed the truncated frame");
            }
            assertTrue(!vm.completion().isDone(), "no migration started");
            migrateLegitimately(vm, new BitSet());
        }
    }

    @Test
    void aSecondHelloOnTheBackgroundConnectionIsRefusedAndTheMigrationStillVerifies() throws Exception {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress());
             TestDestination background = TestDestination.connect(vm.boundAddress())) {
            Handshake h = demandHello(demand);
            background.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_BACKGROUND, h.getMigrationId()));
            ExpectedPages expected = new ExpectedPages(CONFIG);
            expected.receiveAllPages(background, new BitSet());
            background.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_BACKGROUND, h.getMigrationId()));
            Error e = background.expectError(Error.Code.CODE_BAD_FRAME);
            assertTrue(e.getText().contains("HELLO"), e.getText());
            background.awaitClosed();
            CompletionResult r = Sessions.digest(demand, Sessions.expectedCrcs(expected), expected.totalPages(), 1);
            assertEquals(0, r.getPageMismatches());
            assertTrue(vm.completion().get(TestDestination.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).verified());
        }
    }

    @Test
    void aSecondHelloOnTheDemandConnectionIsRefusedAndTheSourceStaysUp() {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry())) {
            try (TestDestination demand = TestDestination.connect(vm.boundAddress())) {
                demandHello(demand);
                demand.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_DEMAND, ""));
                Error e = demand.expectError(Error.Code.CODE_BAD_FRAME);
                assertTrue(e.getText().contains("HELLO") && e.getText().contains("DEMAND"), e.getText());
                demand.awaitClosed();
            }
            // The process still answers: a peer without the token is refused as before.
            try (TestDestination d = TestDestination.connect(vm.boundAddress())) {
                d.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_DEMAND, "").toBuilder().clearToken().build());
                d.expectError(Error.Code.CODE_UNAUTHORIZED);
                d.awaitClosed();
            }
        }
    }

    /** A short link timeout, which is also how long a connection may take to present its Hello. */
    static final java.time.Duration SHORT_LINK_TIMEOUT = java.time.Duration.ofMillis(500);

    @Test
    void aPeerThatSendsOnlyKeepalivesAndNoHelloIsClosedAfterTheLinkTimeoutAndTheSourceStaysUp() throws Exception {
        SourceConfig config = CONFIG.toBuilder().reliability(CONFIG.reliability().withLinkTimeout(SHORT_LINK_TIMEOUT)).build();
        // When, to the millisecond, on a clock the test moves: SourceTimersTest. Here: over a real socket.
        try (SourceVm vm = SourceVm.start(config, new SimpleMeterRegistry())) {
            try (TestDestination d = TestDestination.connect(vm.boundAddress())) {
                // Keepalives keep the link alive, but do not admit the peer.
                for (int i = 0; i < 20 && d.isActive(); i++) {
                    d.writeLater(org.postcopysim.protocol.LinkLiveness.keepaliveFrame()); // may meet the close
                    d.flush();
                    Thread.sleep(SHORT_LINK_TIMEOUT.toMillis() / 5);
                }
                Error e = d.expectError(Error.Code.CODE_BAD_FRAME);
                assertTrue(e.getText().contains("no Hello within 500 ms"), e.getText());
                d.awaitClosed();
            }
            assertTrue(!vm.completion().isDone(), "no migration started");
            migrateLegitimately(vm, new BitSet());
        }
    }

    @Test
    void aPeerThatConnectsAndSaysNothingIsClosedAfterTheLinkTimeout() throws Exception {
        SourceConfig config = CONFIG.toBuilder().reliability(CONFIG.reliability().withLinkTimeout(SHORT_LINK_TIMEOUT)).build();
        try (SourceVm vm = SourceVm.start(config, new SimpleMeterRegistry())) {
            try (TestDestination d = TestDestination.connect(vm.boundAddress())) {
                d.awaitClosed(); // within the bound, though the peer never sends a byte
            }
            assertTrue(!vm.completion().isDone(), "no migration started");
            migrateLegitimately(vm, new BitSet());
        }
    }

    @Test
    void aFloodOfSilentConnectionsIsBoundedAndDoesNotKeepALegitimateDestinationOut() throws Exception {
        int flood = Admission.MAX_AWAITING_HELLO + 44;
        java.util.List<java.nio.channels.SocketChannel> sockets = new java.util.ArrayList<>();
        // A link (and Hello) timeout longer than every wait here: only the bound can close them.
        SourceConfig config = CONFIG.toBuilder().reliability(CONFIG.reliability().withLinkTimeout(java.time.Duration.ofMinutes(5))).build();
        try (SourceVm vm = SourceVm.start(config, new SimpleMeterRegistry())) {
            for (int i = 0; i < flood; i++) {
                java.nio.channels.SocketChannel s = java.nio.channels.SocketChannel.open(vm.boundAddress());
                s.configureBlocking(false);
                sockets.add(s);
            }
            // The source closes the longest-waiting ones to stay within its bound.
            java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
            java.util.Set<java.nio.channels.SocketChannel> closed = new java.util.HashSet<>();
            awaitTrue(() -> {
                for (java.nio.channels.SocketChannel s : sockets) {
                    try {
                        if (!closed.contains(s) && s.read(one.clear()) < 0) closed.add(s);
                    } catch (java.io.IOException e) {
                        closed.add(s); // reset
                    }
                }
                return closed.size() >= flood - Admission.MAX_AWAITING_HELLO;
            }, "the source closed connections beyond its bound");
            // With the bound full of silent connections, a destination still gets in and migrates.
            migrateLegitimately(vm, new BitSet());
        } finally {
            for (java.nio.channels.SocketChannel s : sockets) s.close();
        }
    }

    @Test
    void aFloodOfRequestsFromAPeerThatDoesNotReadIsHeldByBackpressureWithBoundedBuffering() throws Exception {
        int requests = 400;
        int gfnsPerRequest = 64;
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SourceConfig config = CONFIG.toBuilder().guestBytes(8L << 20).build();
        try (SourceVm vm = SourceVm.start(config, registry);
             TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            Handshake h = demandHello(demand);
            demand.setReading(false);
            long[] gfns = new long[gfnsPerRequest];
            for (int i = 0; i < gfnsPerRequest; i++) gfns[i] = i;
            for (int id = 1; id <= requests; id++) {
                demand.writeLater(PageRequestCodec.encode(ByteBufAllocator.DEFAULT, id, gfns, gfns.length, true));
            }
            demand.flush();
            // Unbounded, the source would queue requests x 64 pages = 100 MiB for this peer.
            awaitTrue(() -> registry.get(SourceMetrics.DEMAND_READ_PAUSES).counter().count() >= 1, "the source paused reading");
            double answered = registry.get(SourceMetrics.PAGE_REQUESTS).counter().count();
            assertTrue(answered < requests, "the source stopped answering: " + answered + " of " + requests);

            demand.setReading(true);
            for (int id = 1; id <= requests; id++) {
                PageBatch b = demand.next(FrameType.FRAME_TYPE_PAGE_BATCH).parse(PageBatch.parser());
                assertEquals(id, b.getRequestId(), "answers in request order");
                assertEquals(gfnsPerRequest, b.getPageGfnCount());
            }
            long oneAnswerBytes = gfnsPerRequest * (GuestLayout.PAGE_SIZE_BYTES + 32L) + 64;
            double peak = registry.get(SourceMetrics.DEMAND_OUTBOUND_PEAK).gauge().value();
            assertTrue(peak > 0 && peak <= SourceServer.WRITE_HIGH_WATER_BYTES + oneAnswerBytes,
                    "bytes queued for the peer peaked at " + (long) peak + ", bound " + (SourceServer.WRITE_HIGH_WATER_BYTES + oneAnswerBytes));

            // The same destination, now reading, completes a verified migration.
            BitSet seen = new BitSet();
            GuestLayout layout = new ExpectedPages(config).layout();
            for (long g : gfns) seen.set((int) layout.pageIndexOfGfn(g));
            migrateRest(vm, config, demand, h.getMigrationId(), seen);
        }
    }

    /** A well-behaved destination: Hello with the token, every page, the digest; the verdict must verify. */
    static void migrateLegitimately(SourceVm vm, BitSet seen) throws Exception {
        try (TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            Handshake h = demandHello(demand);
            migrateRest(vm, CONFIG, demand, h.getMigrationId(), seen);
        }
    }

    /** The BACKGROUND connection of migration {@code id}, every page not in {@code seen}, the digest: it must verify. */
    private static void migrateRest(SourceVm vm, SourceConfig config, TestDestination demand, String id, BitSet seen)
            throws Exception {
        try (TestDestination background = TestDestination.connect(vm.boundAddress())) {
            background.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_BACKGROUND, id));
            ExpectedPages expected = new ExpectedPages(config);
            expected.receiveAllPages(background, seen);
            CompletionResult r = Sessions.digest(demand, Sessions.expectedCrcs(expected), expected.totalPages(), 1);
            assertEquals(0, r.getPageMismatches());
            assertEquals(expected.totalPages(), r.getPagesVerified());
            assertTrue(vm.completion().get(TestDestination.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).verified());
        }
    }

    /** Hello(DEMAND) with the token, answered by Handshake and Switchover. */
    static Handshake demandHello(TestDestination demand) {
        demand.send(FrameType.FRAME_TYPE_HELLO, hello(ChannelRole.CHANNEL_ROLE_DEMAND, ""));
        Handshake h = demand.next(FrameType.FRAME_TYPE_HANDSHAKE).parse(Handshake.parser());
        demand.next(FrameType.FRAME_TYPE_SWITCHOVER).parse(Switchover.parser());
        return h;
    }

    /** Waits, bounded by {@link TestDestination#TIMEOUT}, for {@code condition}. */
    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TestDestination.TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("not within " + TestDestination.TIMEOUT + ": " + what);
            Thread.onSpinWait();
            Thread.sleep(5);
        }
    }
}
