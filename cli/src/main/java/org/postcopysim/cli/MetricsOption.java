package org.postcopysim.cli;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Option;

/** {@code --metrics-listen HOST:PORT}: serve the Micrometer registry for Prometheus at /metrics. */
public final class MetricsOption {
    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics while running.")
    HostPort listen;

    private HttpServer server;

    /** A registry: Prometheus-backed when an endpoint is requested (and then served), else in-memory. */
    public MeterRegistry open() {
        if (listen == null) return new SimpleMeterRegistry();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            server = HttpServer.create(new InetSocketAddress(listen.host(), listen.port()), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on " + listen + ": " + e.getMessage(), e);
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

    /** Where metrics are served, or null. */
    public InetSocketAddress address() {
        return server == null ? null : server.getAddress();
    }

    public void close() {
        if (server != null) server.stop(0);
    }
}
