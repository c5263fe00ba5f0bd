package org.postcopysim.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.cli.docs.JsonDoc;

/** The arithmetic of {@code bench throughput}'s report, its table and its JSON fields. */
class ThroughputReportTest {
    private static ThroughputReport.Stream stream(double bytesPerSec) {
        return new ThroughputReport.Stream(bytesPerSec, 1000, 1024, 1000, 24, 0, "epoll");
    }

    @Test
    void medianOfOddAndEvenCountsAndRatesAndRatios() {
        assertEquals(2.0, ThroughputReport.median(new double[] {3, 1, 2}));
        assertEquals(2.5, ThroughputReport.median(new double[] {4, 1, 3, 2}));
        assertThrows(IllegalArgumentException.class, () -> ThroughputReport.median(new double[0]));
        assertEquals(2e9, ThroughputReport.rate(2_000_000_000L, 1000));
        assertTrue(Double.isNaN(ThroughputReport.rate(1, 0)));
        assertEquals(0.25, ThroughputReport.ratio(1, 4));
        assertTrue(Double.isNaN(ThroughputReport.ratio(1, 0)), "no limit, no ratio");
    }

    @Test
    void theStreamRateIsEveryPageOverTheMigrationTime() {
        ObjectMapper json = new ObjectMapper();
        JsonNode summary = json.createObjectNode().put("pagesTotal", 262144).put("migrationTimeMs", 500)
                .put("backgroundPages", 262000).put("demandPages", 144).put("crcFailures", 0).put("transport", "epoll");
        ThroughputReport.Stream s = ThroughputReport.Stream.of(summary);
        assertEquals(262144L * 4096 * 1000 / 500, s.bytesPerSec(), 1e-3); // 1 GiB in 0.5 s
        assertEquals(262000, s.backgroundPages());
    }

    /** The ratio is the median of the rounds' ratios: here it differs from the ratio of the medians (0.5). */
    @Test
    void theRatioIsTheMedianOfEachRoundsRatioNotTheRatioOfMedians() {
        List<ThroughputReport.Round> rounds = List.of(
                new ThroughputReport.Round(4e9, stream(1e9), 1, 1),   // 0.25
                new ThroughputReport.Round(2e9, stream(2e9), 1, 1),   // 1.0
                new ThroughputReport.Round(1e9, stream(0.8e9), 1, 1)); // 0.8
        ThroughputReport r = new ThroughputReport(1, 1 << 30, "iperf3", 5, rounds, 1);
        assertEquals(2e9, r.medianLimit());
        assertEquals(1e9, r.medianStream());
        assertEquals(0.8, r.ratio(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new ThroughputReport(1, 1, "x", 1, List.of(), 0));
    }

    @Test
    void theTableShowsEveryRoundAndTheMediansAndTheJsonHasExactlyTheDocumentedFields() {
        List<ThroughputReport.Round> rounds = List.of(new ThroughputReport.Round(3.41e9, stream(2.8e9), 1.5, 1.6),
                new ThroughputReport.Round(3.2e9, stream(2.6e9), 1.7, 1.8));
        ThroughputReport r = new ThroughputReport(9, 2L << 30, "iperf3", 5, rounds, 1.9);
        StringWriter text = new StringWriter();
        r.print(new PrintWriter(text, true));
        String out = text.toString();
        assertTrue(out.lines().anyMatch(l -> l.startsWith("1 ") && l.contains("3.41 GB/s") && l.contains("2.80 GB/s")
                && l.contains("0.82x")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("median") && l.contains("3.31 GB/s")), out);

        JsonNode n = r.toJson(new ObjectMapper(), null, true);
        JsonDoc.assertDocumented(JsonDoc.benchThroughput(), n, r.toJson(new ObjectMapper(), 0.8, true));
        assertEquals("iperf3", n.path("limit").path("tool").asText());
        assertEquals(2, n.path("ratios").size());
        assertEquals(r.ratio(), n.path("ratio").asDouble(), 0.0);
        assertEquals(5, n.path("loadAverage1m").size(), "before each step of each round, and at the end");
        assertTrue(n.path("minRatio").isNull());
    }

    @Test
    void iperf3sReceivedRateIsReadFromItsJsonAndItsErrorsAreFailures() throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode ok = json.readTree("{\"end\":{\"sum_sent\":{\"bytes\":9e9,\"seconds\":3},"
                + "\"sum_received\":{\"bytes\":1.0e10,\"seconds\":4.0}}}");
        assertEquals(2.5e9, Iperf3Limit.bytesPerSec(ok, 0));
        IOException refused = assertThrows(IOException.class, () -> Iperf3Limit.bytesPerSec(
                json.readTree("{\"start\":{},\"error\":\"unable to connect to server: Connection refused\"}"), 1));
        assertTrue(refused.getMessage().contains("Connection refused"), refused.getMessage());
        assertThrows(IOException.class, () -> Iperf3Limit.bytesPerSec(ok, 1), "a failed exit is a failure");
        assertThrows(IOException.class, () -> Iperf3Limit.bytesPerSec(json.readTree("{}"), 0), "no rate, no limit");
    }
}
