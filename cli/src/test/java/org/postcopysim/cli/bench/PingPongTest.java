package org.postcopysim.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The raw ping-pong over a real loopback socket, client and server in this JVM. */
class PingPongTest {
    private static final Duration BOUND = Duration.ofSeconds(30);

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    }

    @Test
    void bothWaysOfWaitingRecordEveryRoundTripAfterTheWarmup() {
        assertTimeoutPreemptively(BOUND, () -> {
            try (PingPongServer server = PingPongServer.bind("127.0.0.1", 0);
                 PingPongClient client = PingPongClient.connect("127.0.0.1", server.localAddress().getPort(), 5_000)) {
                Histogram parked = client.roundTripsParked(20, 300, deadline());
                Histogram eventLoop = client.roundTripsOnEventLoop(20, 300, deadline());
                assertEquals(300, parked.getTotalCount());
                assertEquals(300, eventLoop.getTotalCount());
                assertTrue(parked.getMinValue() > 0 && eventLoop.getMinValue() > 0);
                // the parked caller can wait on further round trips after the event loop drove some
                assertEquals(5, client.roundTripsParked(0, 5, deadline()).getTotalCount());
            }
        });
    }

    @Test
    void serverReportsItsClientGoneAndAParkedCallerFailsInsteadOfHangingWhenTheServerCloses() {
        assertTimeoutPreemptively(BOUND, () -> {
            PingPongServer server = PingPongServer.bind("127.0.0.1", 0);
            PingPongClient client = PingPongClient.connect("127.0.0.1", server.localAddress().getPort(), 5_000);
            try {
                client.roundTripsParked(0, 10, deadline());
                server.firstClientCame().get(5, TimeUnit.SECONDS);
                server.close();
                assertThrows(IOException.class, () -> client.roundTripsParked(0, 10, deadline()));
            } finally {
                client.close();
                server.close();
            }
        });
    }
}
