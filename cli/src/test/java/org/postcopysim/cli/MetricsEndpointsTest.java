package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.cli.docs.DocFiles;

/**
 * One migration through the {@code source} and {@code dest} commands with both Prometheus
 * endpoints and a linger, scraped after each printed its result: the metrics are the ones
 * docs/metrics.md lists (names, types, units, labels), follow the naming scheme, pass
 * {@code promtool check metrics}, and still hold the final values while the commands linger.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MetricsEndpointsTest {
    static final int LINGER_S = 10;
    static final long GUEST_PAGES = 16L << 20 >> 12;
    static final String LINGER_LINE = "metrics: final values served for " + LINGER_S + " s at ";

    private Path tmp;
    private String transcript;
    private PrometheusText dest;
    private PrometheusText source;
    private String destScrape;
    private String sourceScrape;
    private JsonNode summary;
    private long destLingeredMs;
    private String destUrl;
    private String sourceUrl;

    @BeforeAll
    void migrateWithBothEndpointsAndScrapeAfterTheResults() throws Exception {
        tmp = Files.createTempDirectory("metrics-endpoints-");
        LineWatcher sourceOut = new LineWatcher(LINGER_LINE);
        StringWriter sourceErr = new StringWriter();
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, sourceErr,
                "source", "--listen", "127.0.0.1:0", "--guest-mem", "16M", "--max-bandwidth", "8M", "--seed", "5",
                "--metrics-listen", "127.0.0.1:0", "--metrics-linger", Integer.toString(LINGER_S));
        String listening = sourceOut.awaitLine("listening on ", 60_000);
        assertNotNull(listening, () -> "the source did not listen:\n" + sourceOut + sourceErr);
        Path tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, SourceDestInJvmTest.printedToken(sourceOut.toString()) + "\n");
        Path json = tmp.resolve("summary.json");
        LineWatcher destOut = new LineWatcher(LINGER_LINE);
        StringWriter destErr = new StringWriter();
        CompletableFuture<Integer> destExit = CliRun.async("test-dest", destOut, destErr,
                "dest", "--connect", listening.substring("listening on ".length()).trim(),
                "--token-file", tokenFile.toString(), "--vcpus", "2", "--seed", "5", "--json", json.toString(),
                "--metrics-listen", "127.0.0.1:0", "--metrics-linger", Integer.toString(LINGER_S));
        String destLinger = destOut.line().get(120, TimeUnit.SECONDS);
        long lingerSeenNs = System.nanoTime();
        String sourceLinger = sourceOut.line().get(60, TimeUnit.SECONDS);
        // Whatever the finished migration left only weakly reachable goes now: the meters must not depend on it.
        System.gc();
        System.gc();
        destUrl = destLinger.substring(LINGER_LINE.length()).trim();
        destScrape = scrape(destUrl);
        sourceUrl = sourceLinger.substring(LINGER_LINE.length()).trim();
        sourceScrape = scrape(sourceUrl);
        int destCode = destExit.get(60, TimeUnit.SECONDS);
        destLingeredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lingerSeenNs);
        int sourceCode = sourceExit.get(60, TimeUnit.SECONDS);
        transcript = "--- source ---\n" + sourceOut + sourceErr + "--- dest ---\n" + destOut + destErr;
        assertEquals(0, destCode, transcript);
        assertEquals(0, sourceCode, transcript);
        dest = PrometheusText.parse(destScrape);
        source = PrometheusText.parse(sourceScrape);
        summary = new ObjectMapper().readTree(json.toFile());
    }

    @AfterAll
    void removeTheFiles() throws IOException {
        if (tmp == null) return;
        try (var files = Files.walk(tmp)) {
            files.sorted((a, b) -> b.compareTo(a)).map(Path::toFile).forEach(File::delete);
        }
    }

    @Test
    void theDestinationServesExactlyTheDocumentedMetrics() {
        assertMatchesTheDocs("## Destination (`dest --metrics-listen`)", dest, destScrape);
    }

    @Test
    void theSourceServesExactlyTheDocumentedMetrics() {
        assertMatchesTheDocs("## Source (`source --metrics-listen`)", source, sourceScrape);
    }

    @Test
    void everyNameHasThePrefixOfItsSideItsUnitOnceAndTotalExactlyOnCounters() {
        for (var side : Map.of("postcopy_dest_", dest, "postcopy_source_", source).entrySet()) {
            for (PrometheusText.Family f : side.getValue().families().values()) {
                String n = f.name();
                assertTrue(n.matches("[a-z][a-z0-9_]*") && n.startsWith(side.getKey()), n);
                assertEquals(f.type().equals("counter"), n.endsWith("_total"), n + " is a " + f.type());
                List<String> words = Arrays.asList(n.split("_"));
                assertEquals(new HashSet<>(words).size(), words.size(), n + " repeats a word (a unit twice?)");
            }
        }
    }

    /**
     * Every metric the repository's docs and scripts name (README, docs/, .ci/: queries, alerts,
     * the two-host test's gauges) is one an endpoint serves, so a renamed metric cannot leave a
     * script waiting on a gauge that no longer exists.
     */
    @Test
    void everyMetricTheDocsAndScriptsNameIsServed() throws IOException {
        Path root = DocFiles.path("metrics.md").getParent().getParent();
        List<Path> files = new java.util.ArrayList<>(List.of(root.resolve("README.md")));
        for (String dir : List.of("docs", ".ci")) {
            try (var listing = Files.list(root.resolve(dir))) {
                listing.filter(Files::isRegularFile).forEach(files::add);
            }
        }
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("\\bpostcopy_[a-z0-9_]*[a-z0-9]\\b");
        TreeSet<String> unserved = new TreeSet<>();
        int seen = 0;
        for (Path f : files) {
            if (f.toString().endsWith(".png")) continue;
            var m = name.matcher(Files.readString(f));
            while (m.find()) {
                seen++;
                if (!servesSample(dest, m.group()) && !servesSample(source, m.group())) {
                    unserved.add(m.group() + " (" + root.relativize(f) + ")");
                }
            }
        }
        assertTrue(seen > 10, "found only " + seen + " metric names in " + files);
        assertEquals(new TreeSet<>(), unserved, "named in the docs or scripts but served by neither endpoint");
    }

    /** Whether {@code sampleName} is a family served, or a sample of one (_bucket, _count, _sum). */
    static boolean servesSample(PrometheusText served, String sampleName) {
        if (served.families().containsKey(sampleName)) return true;
        String base = sampleName.replaceAll("_(bucket|count|sum)$", "");
        return !base.equals(sampleName) && served.families().containsKey(base);
    }

    @Test
    void promtoolFindsNothingToLintOnEitherEndpoint() throws Exception {
        Path promtool = onPath("promtool");
        Assumptions.assumeTrue(promtool != null,
                "promtool is not installed (Debian: apt-get install prometheus), so the Prometheus lint is skipped");
        for (var e : Map.of("dest", destScrape, "source", sourceScrape).entrySet()) {
            Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(e.getValue().getBytes(StandardCharsets.UTF_8));
            }
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
            assertEquals(0, p.exitValue(), e.getKey() + ": promtool check metrics said:\n" + said);
            assertEquals("", said.trim(), e.getKey() + ": promtool check metrics said:\n" + said);
        }
    }

    @Test
    void aScrapeAfterTheResultServesTheFinalValues() {
        assertTrue(summary.path("verified").asBoolean(), summary.toPrettyString());
        assertEquals(GUEST_PAGES, dest.family("postcopy_dest_guest_pages").value());
        assertEquals(GUEST_PAGES, dest.family("postcopy_dest_pages_present").value(), "every page present at the end");
        assertEquals(GUEST_PAGES, dest.family("postcopy_dest_pages_installed_total").sum());
        assertEquals(summary.path("demandPages").asDouble(), dest.family("postcopy_dest_pages_installed_total")
                .value("postcopy_dest_pages_installed_total", Map.of("channel", "demand")));
        assertEquals(summary.path("demandFaults").asDouble(), dest.family("postcopy_dest_demand_faults_total").value());
        assertEquals(summary.path("exits").asDouble(), dest.family("postcopy_dest_vcpu_exits_total").sum());
        assertEquals(summary.path("guestReads").asDouble(), dest.family("postcopy_dest_guest_reads_total").value());
        assertEquals(summary.path("faultLatencyNs").path("count").asDouble(), dest.family("postcopy_dest_fault_latency_seconds")
                .value("postcopy_dest_fault_latency_seconds_count", Map.of()));
        assertEquals(summary.path("faultLatencyNs").path("count").asDouble(), dest.family("postcopy_dest_fault_latency_quantiles_seconds")
                .value("postcopy_dest_fault_latency_quantiles_seconds_count", Map.of()));
        assertEquals(summary.path("faultLatencyNs").path("p99").asDouble() / 1e9, dest.family("postcopy_dest_fault_latency_quantiles_seconds")
                .value("postcopy_dest_fault_latency_quantiles_seconds", Map.of("quantile", "0.99")), 1e-9);
        assertEquals(0, dest.family("postcopy_dest_blocked_vcpus").value());
        assertEquals(1, dest.family("postcopy_dest_migration_status").value("postcopy_dest_migration_status",
                Map.of("status", "completed")), "the run is over, and it verified");
        assertEquals(1, dest.family("postcopy_dest_migration_status").sum(), "one status at a time");
        assertEquals(0, source.family("postcopy_source_pages_remaining").value(), "the background stream finished");
        assertTrue(source.family("postcopy_source_pages_sent_total").sum() >= GUEST_PAGES, sourceScrape);
        for (String text : List.of(destScrape, sourceScrape)) {
            assertTrue(!text.contains("NaN"), "a meter lost what it reads:\n" + text);
        }
    }

    @Test
    void theDestinationLingersForTheGivenTimeAfterItsResultThenClosesTheEndpoint() {
        assertTrue(transcript.indexOf("migration verified") < transcript.indexOf(LINGER_LINE + destUrl), transcript);
        // Seen a few ms after it was printed, so the time left of the linger is a little less.
        assertTrue(destLingeredMs >= LINGER_S * 1000L - 500, "exited " + destLingeredMs + " ms after the linger line");
        assertThrows(ConnectException.class, () -> scrape(destUrl), "the endpoint closed with the command");
    }

    @Test
    void bothPrintTheirScrapeUrlWhenTheyStart() {
        for (String url : List.of(destUrl, sourceUrl)) {
            assertTrue(url.matches("http://127\\.0\\.0\\.1:[1-9][0-9]*/metrics"), url);
            assertTrue(transcript.lines().anyMatch(l -> l.equals("metrics: " + url)), transcript);
        }
    }

    /** The documented rows under {@code heading} against the families served: name, type, unit and labels. */
    private static void assertMatchesTheDocs(String heading, PrometheusText served, String scrape) {
        Map<String, String> documented = new TreeMap<>();
        for (List<String> row : DocFiles.table(DocFiles.lines("metrics.md"), heading)) {
            String name = DocFiles.code(row.get(0));
            String unit = row.get(2);
            if (unit.equals("—")) {
                for (String u : List.of("seconds", "bytes")) assertTrue(!name.contains("_" + u), name + " has unit " + u);
            } else {
                assertTrue(name.replaceAll("_(total|max)$", "").endsWith("_" + unit), name + " does not end in its unit " + unit);
            }
            TreeSet<String> labels = new TreeSet<>();
            if (!row.get(3).equals("—")) for (String l : row.get(3).split(",")) labels.add(DocFiles.code(l.trim()));
            assertTrue(row.size() >= 5 && !row.get(4).isBlank(), name + " has no meaning");
            documented.put(name, row.get(1) + " " + labels);
        }
        Map<String, String> emitted = new TreeMap<>();
        for (PrometheusText.Family f : served.families().values()) emitted.put(f.name(), f.type() + " " + f.labelNames());
        assertEquals(documented, emitted, "docs/metrics.md against the scrape:\n" + scrape);
    }

    private static String scrape(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** The executable {@code name} on PATH, or null. */
    static Path onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, name);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) return p;
        }
        return null;
    }
}
