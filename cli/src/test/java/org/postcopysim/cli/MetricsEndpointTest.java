package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MetricsEndpointTest {
    @Test
    void metricsListenServesThePrometheusScrapeOfTheRegistry() throws Exception {
        MetricsOption option = new MetricsOption();
        new CommandLine(new Object() {
            @CommandLine.Mixin
            MetricsOption m = option;
        }).parseArgs("--metrics-listen", "127.0.0.1:0");
        MeterRegistry registry = option.open();
        try {
            Counter.builder("postcopy.dest.page.requests").register(registry).increment(42);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(option.url()))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("postcopy_dest_page_requests_total 42.0"), r.body());
        } finally {
            option.close();
        }
    }

    @Test
    void aLingerNeedsAnEndpointAndAReasonableLength() {
        CliRun noEndpoint = CliRun.of("dest", "--connect", "127.0.0.1:1", "--metrics-linger", "5");
        assertEquals(2, noEndpoint.exitCode(), noEndpoint.toString());
        assertTrue(noEndpoint.err().contains("--metrics-linger needs --metrics-listen"), noEndpoint.toString());
        CliRun negative = CliRun.of("source", "--metrics-listen", "127.0.0.1:0", "--metrics-linger", "-1");
        assertEquals(2, negative.exitCode(), negative.toString());
        assertTrue(negative.err().contains("--metrics-linger must be within 0..86400 seconds, got -1"), negative.toString());
    }
}
