package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Frames;
import org.postcopysim.protocol.ProtocolVersion;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Memslot;
import org.postcopysim.protocol.Switchover;
import org.postcopysim.protocol.VcpuState;
import org.postcopysim.dest.fetch.TestPages;

/** The destination fails clearly, and never hangs, when the source misbehaves or goes away. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DestFailureTest {
    static final long SEED = 5;

    static DestConfig config(int port) {
        return DestConfig.builder("127.0.0.1", port).vcpus(1).accessesPerSecPerVcpu(100_000).maxPageRetries(1)
                .maxFrameBytes(1 << 20).connectTimeout(Duration.ofSeconds(5)).build();
    }

    static ByteBuf handshake(int version, long pages) {
        return Frames.encode(FakeSource.alloc(), FrameType.FRAME_TYPE_HANDSHAKE, Handshake.newBuilder()
                .setProtocolVersion(version).setMigrationId("m-test").setPageSizeBytes(4096).setContentSeed(SEED)
                .addMemslots(Memslot.newBuilder().setId(0).setBaseGfn(0).setPageCount(pages)).build());
    }

    static ByteBuf switchover(int vcpus) {
        Switchover.Builder b = Switchover.newBuilder();
        for (int i = 0; i < vcpus; i++) b.addVcpus(VcpuState.newBuilder().setId(i));
        return Frames.encode(FakeSource.alloc(), FrameType.FRAME_TYPE_SWITCHOVER, b.build());
    }

    static MigrationSummary run(FakeSource source) {
        return DestVm.run(config(source.port()), new SimpleMeterRegistry());
    }

    @Test
    void aSourceSpeakingAnotherProtocolVersionEndsTheHandshakeWithAClearError() throws IOException {
        try (FakeSource source = new FakeSource(i -> new FakeSource.Reply(List.of(handshake(1, 512)), false))) {
            MigrationSummary s = run(source);
            assertFalse(s.verified());
            assertTrue(s.error().contains("protocol version mismatch: source speaks 1, destination speaks 2"), s.error());
            assertEquals(1, s.exitCode());
        }
    }

    @Test
    void anErrorFromTheSourceIsReportedWithItsText() throws IOException {
        ByteBuf err = Frames.error(FakeSource.alloc(), Error.Code.CODE_VERSION_MISMATCH,
                "protocol version mismatch: source speaks 3, destination speaks 2");
        try (FakeSource source = new FakeSource(i -> new FakeSource.Reply(List.of(err), true))) {
            MigrationSummary s = run(source);
            assertFalse(s.verified());
            assertTrue(s.error().contains("CODE_VERSION_MISMATCH") && s.error().contains("source speaks 3"), s.error());
        }
    }

    @Test
    void noSourceListeningIsAClearErrorNotAHang() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        MigrationSummary s = DestVm.run(config(port), new SimpleMeterRegistry());
        assertFalse(s.verified());
        assertTrue(s.error().startsWith("cannot connect to the source at 127.0.0.1:" + port), s.error());
    }

    @Test
    void aSourceThatDropsTheLinkMidMigrationFailsTheRunInsteadOfHanging() throws IOException {
        // Demand connection: handshake and switchover, then the source dies.
        try (FakeSource source = new FakeSource(i -> i == 0
                ? new FakeSource.Reply(List.of(handshake(ProtocolVersion.CURRENT, 512), switchover(1)), true)
                : new FakeSource.Reply(List.of(), false))) {
            MigrationSummary s = run(source);
            assertFalse(s.verified());
            assertTrue(s.error().contains("dropped"), s.error());
        }
    }

    @Test
    void aPageThatKeepsFailingItsChecksumStopsTheMigrationNamingThePage() throws IOException {
        // Background connection: page 0x2a with a wrong CRC32C, sent more times than the retry limit (1).
        ByteBuf bad = TestPages.sourcePage(SEED, 0x2a);
        int wrongCrc = TestPages.crc(bad) ^ 0xFF;
        ByteBuf frame = TestPages.batch(FakeSource.alloc(), 0, new long[] {0x2a, 0x2a}, new int[] {wrongCrc, wrongCrc},
                new ByteBuf[] {bad, bad});
        bad.release();
        try (FakeSource source = new FakeSource(i -> i == 0
                ? new FakeSource.Reply(List.of(handshake(ProtocolVersion.CURRENT, 512), switchover(1)), false)
                : new FakeSource.Reply(List.of(frame), false))) {
            MigrationSummary s = run(source);
            assertFalse(s.verified());
            assertTrue(s.error().contains("page gfn 0x2a failed its CRC32C check 2 times"), s.error());
            assertEquals(2, s.crcFailures());
            assertEquals(0, s.backgroundPages() + s.demandPages(), "nothing was installed");
            assertTrue(source.receivedTypes.contains(FrameType.FRAME_TYPE_PAGE_REQUEST_VALUE),
                    "the bad page was re-requested");
        }
    }

    /** A migration that failed before installing anything: not verified, an error, no page installed. */
    static void assertFailedInstallingNothing(MigrationSummary s, String expectedInError) {
        assertFalse(s.verified());
        assertTrue(s.error() != null && s.error().contains(expectedInError), s.error());
        assertEquals(0, s.backgroundPages() + s.demandPages(), "nothing was installed");
        assertEquals(1, s.exitCode());
    }

    @Test
    void garbageBytesFromTheSourceFailTheMigrationAndInstallNothing() throws IOException {
        long seed = 0x6A5B_A6E5L;
        System.out.println("garbage seed: " + seed);
        byte[] junk = new byte[4096];
        new java.util.Random(seed).nextBytes(junk);
        try (FakeSource source = new FakeSource(i -> new FakeSource.Reply(
                List.of(FakeSource.alloc().buffer().writeBytes(junk)), false))) {
            assertFailedInstallingNothing(run(source), "demand connection");
        }
    }

    @Test
    void anOversizedFrameFromTheSourceFailsTheMigrationBeforeItsBodyIsBuffered() throws IOException {
        ByteBuf huge = FakeSource.alloc().buffer().writeInt(64 << 20).writeByte(FrameType.FRAME_TYPE_PAGE_BATCH_VALUE).writeZero(1024);
        try (FakeSource source = new FakeSource(i -> new FakeSource.Reply(List.of(huge), false))) {
            assertFailedInstallingNothing(run(source), "frame length 67108864 exceeds the maximum of 1048576 bytes");
        }
    }

    @Test
    void aPageOutsideEveryMemslotFailsTheMigrationAndInstallsNothing() throws IOException {
        ByteBuf page = TestPages.sourcePage(SEED, 0x2a);
        ByteBuf frame = TestPages.batch(FakeSource.alloc(), 0, new long[] {0x10_0000}, new int[] {TestPages.crc(page)},
                new ByteBuf[] {page});
        page.release();
        try (FakeSource source = new FakeSource(i -> i == 0
                ? new FakeSource.Reply(List.of(handshake(ProtocolVersion.CURRENT, 512), switchover(1)), false)
                : new FakeSource.Reply(List.of(frame), false))) {
            assertFailedInstallingNothing(run(source), "gfn 0x100000, outside every memslot");
        }
    }

    @Test
    void anUnknownFrameTypeFromTheSourceFailsTheMigrationNamingTheType() throws IOException {
        ByteBuf unknown = FakeSource.alloc().buffer().writeInt(3).writeByte(200).writeByte(0).writeByte(0);
        try (FakeSource source = new FakeSource(i -> new FakeSource.Reply(List.of(unknown), false))) {
            assertFailedInstallingNothing(run(source), "unexpected frame type 200 on the demand connection");
        }
    }

    @Test
    void aSecondHandshakeFromTheSourceFailsTheMigrationAndInstallsNothing() throws IOException {
        try (FakeSource source = new FakeSource(i -> i == 0
                ? new FakeSource.Reply(List.of(handshake(ProtocolVersion.CURRENT, 512), switchover(1), handshake(ProtocolVersion.CURRENT, 512)), false)
                : new FakeSource.Reply(List.of(), false))) {
            assertFailedInstallingNothing(run(source), "second Handshake");
        }
    }

    static ByteBuf handshake(Memslot... slots) {
        Handshake.Builder b = Handshake.newBuilder().setProtocolVersion(ProtocolVersion.CURRENT).setMigrationId("m-test").setPageSizeBytes(4096)
                .setContentSeed(SEED);
        for (Memslot m : slots) b.addMemslots(m);
        return Frames.encode(FakeSource.alloc(), FrameType.FRAME_TYPE_HANDSHAKE, b.build());
    }

    static Memslot slot(int id, long baseGfn, long pageCount) {
        return Memslot.newBuilder().setId(id).setBaseGfn(baseGfn).setPageCount(pageCount).build();
    }

    /** Layouts no host can back, or that wrap around the gfn space: a clear failure, never a stack trace or a hang. */
    @Test
    void anAbsurdGuestLayoutFromTheSourceIsAClearFailure() throws IOException {
        record Case(String what, String expected, Memslot... slots) {}
        List<Case> cases = List.of(
                new Case("a slot that wraps past the largest gfn", "ends past the largest gfn",
                        slot(0, 0, 512), slot(1, Long.MAX_VALUE - 10, 256)),
                new Case("a base gfn of 2^64-6 (negative as a signed 64-bit number)", "negative base gfn",
                        slot(0, -6, 4)),
                new Case("two slots of 2^62 pages, the second ending past the largest gfn", "the source's guest layout is invalid",
                        slot(0, 0, 1L << 62), slot(1, 1L << 62, 1L << 62)),
                new Case("2^40 pages (4 PiB)", "cannot back the source's", slot(0, 0, 1L << 40)));
        for (Case c : cases) {
            try (FakeSource source = new FakeSource(i -> new FakeSource.Reply(List.of(handshake(c.slots()), switchover(1)), false))) {
                MigrationSummary s = run(source);
                assertFailedInstallingNothing(s, c.expected());
                assertTrue(s.error().contains(c.expected()), c.what() + ": " + s.error());
            }
        }
    }
}
