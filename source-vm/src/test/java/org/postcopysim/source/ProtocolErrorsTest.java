package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postcopysim.protocol.ChannelRole;
import org.postcopysim.protocol.CompletionResult;
import org.postcopysim.protocol.Error;
import org.postcopysim.protocol.FrameType;
import org.postcopysim.protocol.Handshake;
import org.postcopysim.protocol.Hello;
import org.postcopysim.protocol.PageBatch;

/** Peers that break the protocol get an Error and a closed connection; the server stays up. Real loopback sockets. */
class ProtocolErrorsTest {
    private static final SourceConfig CONFIG = SourceConfig.builder().guestBytes(4L << 20).seed(5).build();

    @Test
    void versionMismatchIsRefusedAndAPeerSpeakingTheCurrentVersionStillMigrates() throws Exception {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry())) {
            try (TestDestination wrong = TestDestination.connect(vm.boundAddress())) {
                wrong.send(FrameType.FRAME_TYPE_HELLO, TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, "", 1)
                        .toBuilder().setProtocolVersion(1).build()); // version 1: PageData entries
                Error e = wrong.expectError(Error.Code.CODE_VERSION_MISMATCH);
                assertTrue(e.getText().contains("source speaks 2, destination speaks 1"), e.getText());
                wrong.awaitClosed();
            }
            ExpectedPages expected = new ExpectedPages(CONFIG);
            try (TestDestination demand = TestDestination.connect(vm.boundAddress());
                 TestDestination background = TestDestination.connect(vm.boundAddress())) {
                Handshake h = Sessions.demandHello(demand, 2);
                Sessions.backgroundHello(background, h.getMigrationId());
                expected.receiveAllPages(background, new BitSet());
                CompletionResult r = Sessions.digest(demand, Sessions.expectedCrcs(expected), expected.totalPages(), 1);
                assertEquals(0, r.getPageMismatches());
                assertTrue(vm.completion().get(TestDestination.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).verified());
            }
        }
    }

    @Test
    void wrongOrMissingTokenIsUnauthorizedAndTheRightOneIsAccepted() {
        try (SourceVm vm = SourceVm.start(CONFIG.toBuilder().token("s3cret").build(), new SimpleMeterRegistry())) {
            for (String token : new String[] {"", "guess"}) {
                try (TestDestination d = TestDestination.connect(vm.boundAddress())) {
                    d.send(FrameType.FRAME_TYPE_HELLO,
                            TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, "", 1).toBuilder().setToken(token).build());
                    d.expectError(Error.Code.CODE_UNAUTHORIZED);
                    d.awaitClosed();
                }
            }
            try (TestDestination d = TestDestination.connect(vm.boundAddress())) {
                d.send(FrameType.FRAME_TYPE_HELLO,
                        TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, "", 1).toBuilder().setToken("s3cret").build());
                d.next(FrameType.FRAME_TYPE_HANDSHAKE);
            }
        }
    }

    @Test
    void pageRequestBeforeHelloIsABadFrame() {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination d = TestDestination.connect(vm.boundAddress())) {
            d.sendRequest(1, 0);
            Error e = d.expectError(Error.Code.CODE_BAD_FRAME);
            assertTrue(e.getText().contains("Hello"), e.getText());
            d.awaitClosed();
        }
    }

    @Test
    void malformedHelloAndOversizeFrameAreBadFramesTheServerStaysUpAndUnknownFrameTypesAreRefused() {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry())) {
            try (TestDestination d = TestDestination.connect(vm.boundAddress())) {
                d.sendRaw(d.buffer().writeInt(4).writeByte(FrameType.FRAME_TYPE_HELLO_VALUE).writeByte(0x0A).writeByte(0x7F).writeByte(1));
                Error e = d.expectError(Error.Code.CODE_BAD_FRAME);
                assertTrue(e.getText().contains("malformed Hello"), e.getText());
                d.awaitClosed();
            }
            try (TestDestination d = TestDestination.connect(vm.boundAddress())) {
                d.sendRaw(d.buffer().writeInt(64 << 20).writeByte(FrameType.FRAME_TYPE_HELLO_VALUE).writeZero(1024));
                Error e = d.expectError(Error.Code.CODE_BAD_FRAME);
                assertTrue(e.getText().contains("frame length 67108864 exceeds the maximum of 1048576 bytes"), e.getText());
                d.awaitClosed();
            }
            try (TestDestination d = TestDestination.connect(vm.boundAddress())) {
                Sessions.demandHello(d, 1); // the server still serves a correct peer
                d.sendRaw(d.buffer().writeInt(3).writeByte(99).writeByte(0).writeByte(0));
                Error e = d.expectError(Error.Code.CODE_BAD_FRAME);
                assertTrue(e.getText().contains("99"), e.getText());
                d.awaitClosed();
            }
        }
    }

    @Test
    void secondDemandHelloIsRefusedAndTheFirstMigrationCarriesOn() {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination first = TestDestination.connect(vm.boundAddress())) {
            Sessions.demandHello(first, 1);
            try (TestDestination second = TestDestination.connect(vm.boundAddress())) {
                second.send(FrameType.FRAME_TYPE_HELLO, TestDestination.hello(ChannelRole.CHANNEL_ROLE_DEMAND, "", 1));
                second.expectError(Error.Code.CODE_UNKNOWN_MIGRATION);
                second.awaitClosed();
            }
            first.sendRequest(9, 3);
            PageBatch b = first.next(FrameType.FRAME_TYPE_PAGE_BATCH).parse(PageBatch.parser());
            assertEquals(9, b.getRequestId());
            assertEquals(3, b.getPageGfn(0));
        }
    }

    @Test
    void backgroundHelloForAnUnknownMigrationIsRefused() {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination demand = TestDestination.connect(vm.boundAddress());
             TestDestination bg = TestDestination.connect(vm.boundAddress())) {
            Sessions.demandHello(demand, 1);
            Sessions.backgroundHello(bg, "m-not-this-one");
            bg.expectError(Error.Code.CODE_UNKNOWN_MIGRATION);
            bg.awaitClosed();
        }
    }

    @Test
    void helloWithoutARoleIsABadFrame() {
        try (SourceVm vm = SourceVm.start(CONFIG, new SimpleMeterRegistry());
             TestDestination d = TestDestination.connect(vm.boundAddress())) {
            d.send(FrameType.FRAME_TYPE_HELLO, Hello.newBuilder().setProtocolVersion(SourceVm.PROTOCOL_VERSION).build());
            d.expectError(Error.Code.CODE_BAD_FRAME);
            d.awaitClosed();
        }
    }
}
