package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** One classification of connection errors for the source and the destination. */
class ConnectionErrorTest {
    @Test
    void tlsRefusalsAreTlsWhetherNettyWrapsThemOrNot() {
        SSLHandshakeException refused = new SSLHandshakeException("PKIX path building failed");
        DecoderException wrapped = new DecoderException(refused);
        assertEquals(ConnectionError.TLS, ConnectionError.of(wrapped));
        assertSame(refused, ConnectionError.tlsFailure(wrapped));
        SSLException direct = new SSLException("not an SSL/TLS record");
        assertEquals(ConnectionError.TLS, ConnectionError.of(direct), "an IOException, but not a dropped link");
        assertSame(direct, ConnectionError.tlsFailure(direct));
    }

    @Test
    void aBrokenLinkIsDroppedWithItsReason() {
        IOException reset = new SocketException("Connection reset");
        assertEquals(ConnectionError.DROPPED, ConnectionError.of(reset));
        assertEquals("java.net.SocketException: Connection reset", ConnectionError.dropReason(reset));
        assertEquals(ConnectionError.DROPPED, ConnectionError.of(new ClosedChannelException()));
        IOException wrapsTls = new IOException(new SSLException("closed"));
        assertEquals(ConnectionError.DROPPED, ConnectionError.of(wrapsTls), "an IOException wrapping TLS is the link's");
        assertNull(ConnectionError.tlsFailure(wrapsTls));
    }

    @Test
    void aLinkTimeoutAndATruncatedFrameAreDroppedInTheirOwnWords() {
        IOException silent = new LinkLiveness.LinkTimeoutException("nothing received for 5000 ms");
        assertEquals(ConnectionError.DROPPED, ConnectionError.of(silent));
        assertEquals("nothing received for 5000 ms", ConnectionError.dropReason(silent));
        DecoderException cut = new FrameDecoder.TruncatedFrameException("connection closed 3 bytes into a frame");
        assertEquals(ConnectionError.DROPPED, ConnectionError.of(cut), "the link's fault, not a bad frame");
        assertEquals("connection closed 3 bytes into a frame", ConnectionError.dropReason(cut));
    }

    @Test
    void whatIsNotAFrameIsABadFrame() {
        assertEquals(ConnectionError.BAD_FRAME, ConnectionError.of(new TooLongFrameException("frame of 9 MiB")));
        assertEquals(ConnectionError.BAD_FRAME, ConnectionError.of(new CorruptedFrameException("bad length")));
        assertEquals(ConnectionError.BAD_FRAME, ConnectionError.of(new DecoderException("bad protobuf")));
    }

    @Test
    void anythingElseIsInternal() {
        assertEquals(ConnectionError.INTERNAL, ConnectionError.of(new IllegalStateException("bug")));
        assertEquals(ConnectionError.INTERNAL, ConnectionError.of(new NullPointerException()));
    }
}
