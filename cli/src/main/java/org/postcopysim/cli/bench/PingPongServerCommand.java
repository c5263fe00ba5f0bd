package org.postcopysim.cli.bench;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.postcopysim.cli.VersionProvider;
import org.postcopysim.protocol.Transport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code postcopy-sim bench pingpong-server} (hidden): the server half of {@code bench latency}'s
 * raw ping-pong, run in a child JVM. Prints {@code listening on HOST:PORT}, serves one client and
 * exits 0 when that client disconnects, or 1 when none came within {@code --accept-timeout} or it
 * stayed longer than {@link #SESSION_TIMEOUT_S}.
 */
@Command(name = "pingpong-server", hidden = true, mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Answer every 24-byte request with 4 KiB until the first client disconnects "
                + "(the server half of `bench latency`).")
public final class PingPongServerCommand implements Callable<Integer> {
    /** Default bound on waiting for the client (seconds). */
    static final long DEFAULT_ACCEPT_TIMEOUT_S = 60;
    /** Bound on one client's session (seconds): the bench's own bound, with room to spare. */
    static final long SESSION_TIMEOUT_S = 30 * 60;

    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "0",
            description = "Port to listen on; 0 = any free port. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--accept-timeout", paramLabel = "SECONDS", defaultValue = "" + DEFAULT_ACCEPT_TIMEOUT_S,
            description = "Exit 1 when no client has connected within this time. Default: ${DEFAULT-VALUE}.")
    long acceptTimeoutS;

    @Override
    public Integer call() throws InterruptedException, ExecutionException {
        PrintWriter out = spec.commandLine().getOut();
        try (PingPongServer server = PingPongServer.bind(host, port)) {
            out.printf("%s%s:%d (%s transport)%n", PingPong.LISTENING, server.localAddress().getHostString(),
                    server.localAddress().getPort(), Transport.name());
            out.flush();
            try {
                server.firstClientCame().get(acceptTimeoutS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                out.printf("pingpong-server: no client within %d s%n", acceptTimeoutS);
                return 1;
            }
            try {
                server.firstClientGone().get(SESSION_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                out.printf("pingpong-server: the client stayed longer than %d s%n", SESSION_TIMEOUT_S);
                return 1;
            }
            return 0;
        }
    }
}
