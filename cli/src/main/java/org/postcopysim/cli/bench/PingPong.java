package org.postcopysim.cli.bench;

/**
 * The raw ping-pong's wire: a client sends {@link #REQUEST_BYTES} and the server answers each
 * request with {@link #REPLY_BYTES}, no framing and no protobuf. The sizes match a single-page
 * PAGE_REQUEST frame and one 4 KiB page, so the round trip is the floor a demand fault stands on.
 */
final class PingPong {
    /** Bytes of one request (about a one-gfn PAGE_REQUEST frame). */
    static final int REQUEST_BYTES = 24;
    /** Bytes of one reply: one guest page. */
    static final int REPLY_BYTES = 4096;
    /** Kernel receive buffer of the client, as the destination sets it (bytes). */
    static final int CLIENT_RECEIVE_BUFFER_BYTES = 1 << 20;
    /** Kernel send buffer of the server, as the source sets it (bytes). */
    static final int SERVER_SEND_BUFFER_BYTES = 1 << 20;
    /** The line the server prints once it listens, followed by {@code HOST:PORT}. */
    static final String LISTENING = "listening on ";

    private PingPong() {}
}
