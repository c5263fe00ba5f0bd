package org.postcopysim.cli;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.postcopysim.protocol.SocketErrors;
import picocli.CommandLine.Option;

/** {@code --metrics-listen HOST:PORT}: serve the Micrometer registry for Prometheus at /metrics. */
public final class MetricsOption {
    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics while running.")
    HostPort listen;

    private HttpServer server;

    /**
     * A registry: Prometheus-backed when an endpoint is requested (and then served), else
     * in-memory. Call it before any expensive setup: an address that cannot be bound is a
     * {@link CommandFailure} naming it.
     */
    public MeterRegistry open() {
        if (listen == null) return new SimpleMeterRegistry();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        InetSocketAddress address = new InetSocketAddress(listen.host(), listen.port());
        if (address.isUnresolved()) throw new CommandFailure("cannot serve metrics on " + listen + ": unknown host", null);
        try {
            server = HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new CommandFailure("cannot serve metrics on " + listen + ": "
                    + SocketErrors.describe(String.valueOf(e.getMessage())), e);
        }
        server.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return registry;
    }

    /**
     * Where metrics are served, "http://HOST:PORT/metrics" with the host as given (a wildcard stays
     * 0.0.0.0 or [::]) and the port bound (the real one for port 0); null when not served.
     */
    public String url() {
        return server == null ? null : "http://" + new HostPort(listen.host(), server.getAddress().getPort()) + "/metrics";
    }

    /** Prints {@code metrics: URL} when metrics are served. */
    public void print(PrintWriter out) {
        if (server != null) out.printf("metrics: %s%n", url());
    }

    public void close() {
        if (server != null) server.stop(0);
    }
}
