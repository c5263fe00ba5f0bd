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
            Counter.builder("postcopy.pages.demand").register(registry).increment(42);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(option.url()))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.body().contains("postcopy_pages_demand_total 42.0"), r.body());
        } finally {
            option.close();
        }
    }
}
