package org.postcopysim.cli.bench;

import org.postcopysim.cli.ChildJvm;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.postcopysim.protocol.Transport;

/**
 * The limit {@code bench latency} measures: a raw Netty ping-pong between this JVM and a child
 * JVM running {@code bench pingpong-server} on loopback. One session keeps the child and the
 * connection for the whole run, so that round trips can be measured both before and after the
 * simulated migration (the connection sits idle in between) and a drift of the machine shows.
 */
final class RawRoundTrip implements AutoCloseable {
    /** How long the server JVM may take to start listening (ms). */
    static final long SERVER_START_TIMEOUT_MS = 60_000;
    /** How long the server JVM may take to exit once the client has gone (ms). */
    static final long SERVER_EXIT_TIMEOUT_MS = 10_000;
    /** Bound on the round trips of one {@link #measure} (ms). */
    static final long ROUND_TRIPS_TIMEOUT_MS = 10 * 60_000;

    /**
     * Round trips of one {@link #measure} call (ns).
     *
     * @param parked    the caller parked, woken by the event loop
     * @param eventLoop each request sent from the event loop's reply handler
     */
    record Sample(Histogram parked, Histogram eventLoop) {}

    private final ChildJvm server;
    private final PingPongClient client;
    private final String serverTransport;

    private RawRoundTrip(ChildJvm server, PingPongClient client, String serverTransport) {
        this.server = server;
        this.client = client;
        this.serverTransport = serverTransport;
    }

    /** Starts the server JVM (its stdout echoed to {@code echo}) and connects to it. */
    static RawRoundTrip open(PrintWriter echo) throws IOException, InterruptedException {
        ChildJvm server = ChildJvm.start("pong", echo, List.of("bench", "pingpong-server"));
        try {
            String line = server.awaitLine(PingPong.LISTENING, SERVER_START_TIMEOUT_MS);
            if (line == null) {
                int code = server.isAlive() ? -1 : server.await(0);
                throw new IOException("the ping-pong server did not start listening"
                        + (code < 0 ? "" : " (it exited with " + code + "; its log is on stderr)"));
            }
            // "listening on HOST:PORT (TRANSPORT transport)"
            String[] words = line.substring(PingPong.LISTENING.length()).trim().split("\\s+");
            String address = words[0];
            String transport = words.length > 1 ? words[1].replace("(", "") : "?";
            int colon = address.lastIndexOf(':');
            PingPongClient client = PingPongClient.connect(address.substring(0, colon),
                    Integer.parseInt(address.substring(colon + 1)), SERVER_START_TIMEOUT_MS);
            return new RawRoundTrip(server, client, transport);
        } catch (IOException | RuntimeException | InterruptedException e) {
            server.destroy();
            throw e;
        }
    }

    /** {@code warmup} unrecorded then {@code iterations} recorded round trips, each way of waiting. */
    Sample measure(int warmup, int iterations) throws IOException, InterruptedException {
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ROUND_TRIPS_TIMEOUT_MS);
        Histogram parked = client.roundTripsParked(warmup, iterations, deadlineNs);
        Histogram eventLoop = client.roundTripsOnEventLoop(warmup, iterations, deadlineNs);
        return new Sample(parked, eventLoop);
    }

    /** This JVM's transport. */
    String clientTransport() {
        return Transport.name();
    }

    /** The transport the server reported. */
    String serverTransport() {
        return serverTransport;
    }

    /** Disconnects; the server then exits by itself (it is killed if it does not). */
    @Override
    public void close() throws IOException, InterruptedException {
        client.close();
        int code = server.await(SERVER_EXIT_TIMEOUT_MS);
        if (server.isAlive()) server.destroy();
        if (code != 0) throw new IOException("the ping-pong server exited with " + code);
    }
}
