package org.postcopysim.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code iperf3}, one stream on 127.0.0.1: a one-off server ({@code iperf3 -s -1}) and a client
 * ({@code iperf3 -c -t SECONDS -J}) as two processes, the rate read from the client's JSON
 * ({@code end.sum_received}: bytes over seconds, as the server received them).
 */
final class Iperf3Limit implements WireLimit {
    /** The program looked up on PATH. */
    static final String PROGRAM = "iperf3";
    /** How long the server may take to listen (ms). */
    static final long SERVER_START_TIMEOUT_MS = 10_000;
    /** What the client may take beyond its duration (ms). */
    static final long CLIENT_SLACK_MS = 30_000;

    /** End of the server's output (compared by identity). */
    private static final String EOF = new String("EOF");

    private final String program;
    private final ObjectMapper json;

    private Iperf3Limit(String program, ObjectMapper json) {
        this.program = program;
        this.json = json;
    }

    /** The iperf3 on PATH, or null when there is none. */
    static Iperf3Limit find(ObjectMapper json) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, PROGRAM);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return new Iperf3Limit(p.toString(), json);
        }
        return null;
    }

    @Override
    public String tool() {
        return PROGRAM;
    }

    @Override
    public double measureBytesPerSec(int seconds) throws IOException, InterruptedException {
        int port = freePort();
        Process server = new ProcessBuilder(program, "-s", "-1", "--forceflush", "-B", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true).start();
        try {
            awaitListening(server, port);
            Process client = new ProcessBuilder(program, "-c", "127.0.0.1", "-p", Integer.toString(port),
                    "-t", Integer.toString(seconds), "-J").redirectErrorStream(true).start();
            byte[] out;
            try {
                out = client.getInputStream().readAllBytes();
                if (!client.waitFor(seconds * 1000L + CLIENT_SLACK_MS, TimeUnit.MILLISECONDS)) {
                    throw new IOException("iperf3 client did not finish");
                }
            } finally {
                client.destroy();
            }
            return bytesPerSec(json.readTree(out), client.exitValue());
        } finally {
            server.destroy();
            server.waitFor(2, TimeUnit.SECONDS);
        }
    }

    /** The received rate from a client's {@code -J} report; throws on an error report or exit. */
    static double bytesPerSec(JsonNode report, int exitCode) throws IOException {
        String error = report.path("error").asText("");
        JsonNode r = report.path("end").path("sum_received");
        double bytes = r.path("bytes").asDouble(-1);
        double secs = r.path("seconds").asDouble(-1);
        if (exitCode != 0 || !error.isEmpty() || bytes <= 0 || secs <= 0) {
            throw new IOException("iperf3 failed (exit " + exitCode + (error.isEmpty() ? "" : ": " + error) + ")");
        }
        return bytes / secs;
    }

    private static void awaitListening(Process server, int port) throws IOException, InterruptedException {
        // "Server listening on PORT" (iperf3 3.x; --forceflush, or a pipe would hold it back), then it
        // waits for the one client. Its output is read to the end so that it never blocks on a full pipe.
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) lines.add(line);
            } catch (IOException e) {
                // the server exited
            }
            lines.add(EOF);
        }, "iperf3-server-out");
        pump.setDaemon(true);
        pump.start();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SERVER_START_TIMEOUT_MS);
        StringBuilder seen = new StringBuilder();
        while (true) {
            String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line == EOF) {
                throw new IOException("iperf3 server did not start listening on 127.0.0.1:" + port
                        + (line == null ? " within " + SERVER_START_TIMEOUT_MS + " ms" : " (it exited)")
                        + (seen.length() == 0 ? "" : ": " + seen.toString().trim()));
            }
            if (line.contains("listening on " + port)) return;
            seen.append(line).append(' ');
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The command lines, for the report. */
    static List<String> commands(int seconds) {
        return List.of("iperf3 -s -1 --forceflush -B 127.0.0.1 -p PORT", "iperf3 -c 127.0.0.1 -p PORT -t " + seconds + " -J");
    }
}
