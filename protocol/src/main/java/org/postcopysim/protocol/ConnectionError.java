package org.postcopysim.protocol;

import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import javax.net.ssl.SSLException;

/**
 * What an exception on a migration connection means, the same on the source and the destination.
 * Each side decides what to do about it (report, reject, await a reconnect); this decides only
 * which of the four it is.
 */
public enum ConnectionError {
    /** TLS refused the peer: a certificate, an alert, or bytes that are not TLS. Reconnecting will not help. */
    TLS,
    /**
     * The link went down: a reset, a write to a closed channel, a link timeout, or a frame cut short
     * by the close. Recovery resends whatever was lost.
     */
    DROPPED,
    /** The peer sent something that is not a frame: too long, or undecodable. */
    BAD_FRAME,
    /** Anything else: a fault on this side. */
    INTERNAL;

    /** The class of {@code cause}, caught on a migration connection. */
    public static ConnectionError of(Throwable cause) {
        if (tlsFailure(cause) != null) return TLS;
        // Before DecoderException: a truncated frame is a CorruptedFrameException, but the link's fault.
        if (cause instanceof FrameDecoder.TruncatedFrameException || cause instanceof IOException) return DROPPED;
        if (cause instanceof DecoderException) return BAD_FRAME;
        return INTERNAL;
    }

    /**
     * The TLS error behind {@code cause}, or null: {@code cause} itself (an SSLException is an
     * IOException, but not a dropped link), or what it wraps (Netty's SslHandler wraps what it
     * refuses in a DecoderException). An IOException wrapping one stays a dropped link.
     */
    public static SSLException tlsFailure(Throwable cause) {
        if (cause instanceof SSLException direct) return direct;
        if (!(cause instanceof IOException) && cause.getCause() instanceof SSLException wrapped) return wrapped;
        return null;
    }

    /**
     * Why the link dropped, in words: the message of the exceptions this project raises (a link
     * timeout, a truncated frame), the class and message of the JDK's and Netty's.
     */
    public static String dropReason(Throwable cause) {
        return cause instanceof LinkLiveness.LinkTimeoutException || cause instanceof FrameDecoder.TruncatedFrameException
                ? cause.getMessage() : cause.toString();
    }
}
