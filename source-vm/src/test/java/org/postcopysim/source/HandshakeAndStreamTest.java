package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Memslot;
import org.postcopysim.protocol.Switchover;
import org.postcopysim.protocol.VcpuState;

/** Hello(DEMAND) -> Handshake + Switchover; Hello(BACKGROUND) -> every page once, contiguous or gapped. Real loopback sockets. */
class HandshakeAndStreamTest {
    private static final SourceConfig SMALL = SourceConfig.builder().guestBytes(8L << 20).memslots(3).seed(42).build();

    @Test
    void handshakeDescribesTheLayoutAndSwitchoverCarriesOneStatePerVcpu() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SourceVm vm = SourceVm.start(SMALL, registry);
             TestDestination demand = TestDestination.connect(vm.boundAddress())) {
            demand.send(FrameType.FRAME_TYPE_HELLO, TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, "", 5));
            Handshake h = demand.next(FrameType.FRAME_TYPE_HANDSHAKE).parse(Handshake.parser());
            assertEquals(SourceVm.PROTOCOL_VERSION, h.getProtocolVersion());
            assertFalse(h.getMigrationId().isEmpty());
            assertEquals(4096, h.getPageSizeBytes());
            assertEquals(42, h.getContentSeed());
            GuestLayout layout = GuestLayout.contiguous(8L << 20, 3);
            assertEquals(layout.slotCount(), h.getMemslotsCount());
            long pages = 0;
            for (int i = 0; i < layout.slotCount(); i++) {
                Memslot m = h.getMemslots(i);
                assertEquals(layout.slot(i).id(), m.getId());
                assertEquals(layout.slot(i).baseGfn(), m.getBaseGfn());
                assertEquals(layout.slot(i).pageCount(), m.getPageCount());
                pages += m.getPageCount();
            }
            assertEquals(2048, pages);

            Switchover s = demand.next(FrameType.FRAME_TYPE_SWITCHOVER).parse(Switchover.parser());
            assertEquals(5, s.getVcpusCount());
            Set<Long> rips = new HashSet<>();
            for (int id = 0; id < 5; id++) {
                VcpuState v = s.getVcpus(id);
                assertEquals(id, v.getId());
                assertEquals(0, v.getRetiredAccesses());
                assertEquals(0, v.getRsp() & 0xF, "rsp is 16-byte aligned");
                assertEquals(0x202, v.getRflags() & 0x202, "rflags has bit 1 and IF");
                assertEquals(SwitchoverFrames.vcpu(42, id), v, "registers derive from seed and id only");
                rips.add(v.getRip());
            }
            assertTrue(rips.size() > 1, "vCPUs differ");
            assertNotEquals(SwitchoverFrames.vcpu(42, 0), SwitchoverFrames.vcpu(43, 0), "registers depend on the seed");
        }
    }

    @Test
    void backgroundStreamSendsEveryPageExactlyOnceWithContentsAndChecksumsOfTheSeed() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SourceVm vm = SourceVm.start(SMALL, registry);
             TestDestination demand = TestDestination.connect(vm.boundAddress());
             TestDestination background = TestDestination.connect(vm.boundAddress())) {
            ExpectedPages expected = new ExpectedPages(SMALL);
            assertEquals(expected.totalPages(), registry.get(SourceMetrics.PAGES_REMAINING).gauge().value());
            Handshake h = Sessions.demandHello(demand, 1);
            Sessions.backgroundHello(background, h.getMigrationId());
            BitSet seen = new BitSet();
            var firstGfns = expected.receiveAllPages(background, seen);
            assertEquals(0L, firstGfns.get(0), "the stream starts at the cursor, page 0");
            assertNull(background.poll(Duration.ofMillis(300)), "nothing after every page was sent");

            assertEquals(expected.totalPages(), registry.get(SourceMetrics.PAGES_SENT).tag("channel", "background").counter().count());
            assertEquals(0, registry.get(SourceMetrics.PAGES_SENT).tag("channel", "demand").counter().count());
            assertEquals(0, registry.get(SourceMetrics.PAGES_REMAINING).gauge().value());
            assertTrue(registry.get(SourceMetrics.SENT_BYTES).tag("channel", "background").counter().count()
                    > expected.totalPages() * 4096.0);
            assertFalse(vm.completion().isDone(), "streaming every page is not completion");
        }
    }

    @Test
    void aGappedLayoutIsDescribedInTheHandshakeAndStreamedByGfn() throws Exception {
        long gapPages = 0x10D;
        SourceConfig gapped = SMALL.toBuilder().guestBytes((8L << 20) + 37 * 4096L).memslotGapBytes(gapPages * 4096).build();
        try (SourceVm vm = SourceVm.start(gapped, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress());
             TestDestination background = TestDestination.connect(vm.boundAddress())) {
            demand.send(FrameType.FRAME_TYPE_HELLO, TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, "", 1));
            Handshake h = demand.next(FrameType.FRAME_TYPE_HANDSHAKE).parse(Handshake.parser());
            // Slots of 512, 512 and 1061 pages, each after a gap of 269 pages.
            long[][] expected = {{0, 0x10D, 512}, {1, 0x41A, 512}, {2, 0x727, 1061}};
            assertEquals(expected.length, h.getMemslotsCount());
            for (int i = 0; i < expected.length; i++) {
                Memslot m = h.getMemslots(i);
                assertEquals(expected[i][0], m.getId());
                assertEquals(expected[i][1], m.getBaseGfn(), "memslot " + i + " base");
                assertEquals(expected[i][2], m.getPageCount(), "memslot " + i + " pages");
            }
            demand.next(FrameType.FRAME_TYPE_SWITCHOVER);
            Sessions.backgroundHello(background, h.getMigrationId());
            ExpectedPages pages = new ExpectedPages(gapped);
            assertEquals(2085, pages.totalPages());
            // Every page once, by the gfn of its memslot, with the contents the seed gives that gfn.
            var firstGfns = pages.receiveAllPages(background, new BitSet());
            assertEquals(0x10DL, firstGfns.get(0), "page index 0 is gfn 0x10d");
        }
    }

    // The bandwidth cap's pacing, on a clock the test moves: SourceTimersTest.theBackgroundCapPacesTheStreamByTheClock.
}
