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
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code --metrics-listen HOST:PORT}: serve the Micrometer registry for Prometheus at /metrics;
 * {@code --metrics-linger SECONDS}: keep serving the final values that long after the result.
 */
public final class MetricsOption {
    /** The longest --metrics-linger (a day). */
    static final long MAX_LINGER_SECONDS = 86_400;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics while running.")
    HostPort listen;

    @Option(names = "--metrics-linger", paramLabel = "SECONDS", defaultValue = "0",
            description = "After the result is printed, keep serving the final metrics for this long before "
                    + "exiting, so that a scraper sees them (needs --metrics-listen). Default: ${DEFAULT-VALUE}.")
    long lingerSeconds;

    private HttpServer server;
    private PrometheusMeterRegistry prometheus;

    /** Usage errors: a negative or huge linger, or a linger with no endpoint to linger on. */
    public void validate(CommandLine cl) {
        if (lingerSeconds < 0 || lingerSeconds > MAX_LINGER_SECONDS) {
            throw new ParameterException(cl, "--metrics-linger must be within 0.." + MAX_LINGER_SECONDS
                    + " seconds, got " + lingerSeconds);
        }
        if (lingerSeconds > 0 && listen == null) {
            throw new ParameterException(cl, "--metrics-linger needs --metrics-listen (there is no endpoint to keep up)");
        }
    }

    /**
     * A registry: Prometheus-backed when an endpoint is requested (and then served), else
     * in-memory. Call it before any expensive setup: an address that cannot be bound is a
     * {@link CommandFailure} naming it.
     */
    public MeterRegistry open() {
        if (listen == null) return new SimpleMeterRegistry();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        prometheus = registry;
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
     * Publishes timer {@code timerName}'s percentiles as the Prometheus summary {@code summaryName}
     * (see {@link TimerQuantiles}); nothing without an endpoint, where no one scrapes.
     */
    public void publishQuantiles(String timerName, String summaryName, String help) {
        if (prometheus != null) {
            prometheus.getPrometheusRegistry().register(new TimerQuantiles(prometheus, timerName, summaryName, help));
        }
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

    /**
     * Once the result is out: keeps the endpoint up with the final values for --metrics-linger
     * seconds (saying so on {@code out}), so that the last scrape sees the end of the run. Returns
     * at once without a linger or an endpoint.
     */
    public void linger(PrintWriter out) {
        if (server == null || lingerSeconds == 0) return;
        out.printf("metrics: final values served for %d s at %s%n", lingerSeconds, url());
        out.flush();
        try {
            Thread.sleep(lingerSeconds * 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void close() {
        if (server != null) server.stop(0);
    }
}
