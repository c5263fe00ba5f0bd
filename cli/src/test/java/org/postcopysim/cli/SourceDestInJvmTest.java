package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.dest.DestVm;

/**
 * The {@code source} and {@code dest} commands wired together in this JVM over a real loopback
 * socket: the source's port is read from its stdout, the destination's summary from its JSON file.
 */
class SourceDestInJvmTest {
    static final long GUEST_BYTES = 16L << 20;
    static final long GUEST_PAGES = GUEST_BYTES / 4096;
    /** Bound on the source generating 16 MiB and listening (s). */
    static final long LISTEN_TIMEOUT_S = 60;
    /** Bound on a whole 16 MiB migration (s). */
    static final long MIGRATION_TIMEOUT_S = 120;

    /** "metrics: http://HOST:PORT/metrics". */
    static final Pattern METRICS_LINE = Pattern.compile("metrics: http://([^/:]+|\\[[^]]+\\]):(\\d+)/metrics");

    /** A frame of the progress bar ("pages present  54% [=====  ]"), not a log line that says "pages present". */
    static final Pattern BAR = Pattern.compile("pages present +\\d+% \\[");

    @TempDir
    Path tmp;

    /** Runs a command on its own daemon thread (a stuck source must not keep the test JVM alive). */

    @Test
    void sourceAndDestCommandsMigrateAndVerifyA16MiBGuestAndWriteTheJsonSummary() throws Exception {
        LineWatcher sourceOut = new LineWatcher("listening on ");
        StringWriter sourceErr = new StringWriter();
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, sourceErr,
                "source", "--listen", "127.0.0.1:0", "--guest-mem", "16M", "--seed", "42");
        String listening = sourceOut.line().get(LISTEN_TIMEOUT_S, TimeUnit.SECONDS);
        String address = listening.substring("listening on ".length()).trim();
        assertTrue(address.startsWith("127.0.0.1:") && !address.endsWith(":0"), listening);
        Path tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, printedToken(sourceOut.toString()) + "\n");

        Path json = tmp.resolve("out/summary.json");
        LineWatcher destOut = new LineWatcher("migration verified");
        StringWriter destErr = new StringWriter();
        CompletableFuture<Integer> destExit = CliRun.async("test-dest", destOut, destErr,
                "dest", "--connect", address, "--token-file", tokenFile.toString(), "--vcpus", "2", "--seed", "42",
                "--json", json.toString());

        int destCode = destExit.get(MIGRATION_TIMEOUT_S, TimeUnit.SECONDS);
        int sourceCode = sourceExit.get(MIGRATION_TIMEOUT_S, TimeUnit.SECONDS);
        String transcript = "--- source ---\n" + sourceOut + sourceErr + "--- dest ---\n" + destOut + destErr;
        assertEquals(0, destCode, transcript);
        assertEquals(0, sourceCode, transcript);
        assertTrue(sourceOut.toString().contains("seed: 42"), transcript);
        assertTrue(sourceOut.toString().contains("guest: 16 MiB in 2 memslots"), transcript);
        assertTrue(sourceOut.toString().contains("source: migration verified, 4096/4096 pages match"), transcript);
        assertTrue(destOut.toString().startsWith("seed: 42"), transcript);
        assertTrue(destOut.line().isDone(), transcript);
        assertTrue(destOut.toString().contains("16 MiB in 2 memslots, 2 vCPUs, workload uniform"), transcript);

        JsonNode s = new ObjectMapper().readTree(json.toFile());
        assertSaneVerifiedSummary(s, 2, transcript + "--- json ---\n" + s.toPrettyString());
        assertEquals(42, s.path("seed").asLong());
    }

    /** dest --host-events with private memory and conversions: verified, and the summary and JSON say what the host did. */
    @Test
    void hostEventsAndPrivateMemoryThroughTheCommandsAreReportedInTheSummaryAndTheJson() throws Exception {
        LineWatcher sourceOut = new LineWatcher("listening on ");
        StringWriter sourceErr = new StringWriter();
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, sourceErr,
                "source", "--listen", "127.0.0.1:0", "--guest-mem", "16M", "--seed", "43", "--max-bandwidth", "8M");
        String listening = sourceOut.line().get(LISTEN_TIMEOUT_S, TimeUnit.SECONDS);
        String address = listening.substring("listening on ".length()).trim();
        Path tokenFile = tmp.resolve("token-host");
        Files.writeString(tokenFile, printedToken(sourceOut.toString()) + "\n");
        Path json = tmp.resolve("out/host.json");
        LineWatcher destOut = new LineWatcher("migration verified");
        StringWriter destErr = new StringWriter();
        String spec = "reclaim:2000,migrate:500,mprotect-ro:1000,mprotect-rw:1000,convert:500";
        CompletableFuture<Integer> destExit = CliRun.async("test-dest", destOut, destErr,
                "dest", "--connect", address, "--token-file", tokenFile.toString(), "--vcpus", "2", "--seed", "43",
                "--access-rate", "200000", "--host-events", spec, "--private-fraction", "0.25", "--json", json.toString());
        int destCode = destExit.get(MIGRATION_TIMEOUT_S, TimeUnit.SECONDS);
        int sourceCode = sourceExit.get(MIGRATION_TIMEOUT_S, TimeUnit.SECONDS);
        String transcript = "--- source ---\n" + sourceOut + sourceErr + "--- dest ---\n" + destOut + destErr;
        assertEquals(0, destCode, transcript);
        assertEquals(0, sourceCode, transcript);
        String out = destOut.toString();
        assertTrue(out.contains("  host      host events " + spec + ", "), transcript);
        assertTrue(out.contains(" private pages in guest_memfd"), transcript);
        assertTrue(out.matches("(?s).*  mmu       \\d+ host events: \\d+ invalidations, .*"), transcript);
        assertTrue(out.contains("  arrived   0 pages requested again, "), transcript);
        assertTrue(out.contains("every MMU invariant held"), transcript);
        JsonNode mmu = new ObjectMapper().readTree(json.toFile()).path("mmu");
        assertEquals(spec, mmu.path("hostEventSpec").asText(), mmu.toString());
        assertEquals(0.25, mmu.path("privateFraction").asDouble(), mmu.toString());
        assertTrue(mmu.path("hostEvents").asLong() > 0 && mmu.path("invalidations").asLong() > 0
                && mmu.path("privatePages").asLong() > 0 && mmu.path("pagesGivenUp").asLong() > 0, mmu.toString());
        assertEquals(0, mmu.path("refetchedArrivedPages").asLong(), mmu.toString());
        assertEquals(0, mmu.path("violations").size(), mmu.toString());
    }

    @Test
    void bothSidesPrintTheirMetricsUrlWithTheHostAsGivenAndThePortBound() throws Exception {
        LineWatcher sourceOut = new LineWatcher("listening on ");
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, new StringWriter(),
                "source", "--listen", "0.0.0.0:0", "--metrics-listen", "0.0.0.0:0", "--guest-mem", "4M", "--seed", "45");
        String listening = sourceOut.line().get(LISTEN_TIMEOUT_S, TimeUnit.SECONDS);
        Matcher l = Pattern.compile("listening on 0\\.0\\.0\\.0:(\\d+)").matcher(listening);
        assertTrue(l.matches() && !l.group(1).equals("0"), sourceOut::toString);
        String metrics = sourceOut.toString().lines().filter(x -> x.startsWith("metrics: ")).findFirst().orElse("");
        Matcher m = METRICS_LINE.matcher(metrics);
        assertTrue(m.matches() && m.group(1).equals("0.0.0.0") && !m.group(2).equals("0"), sourceOut::toString);
        HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + m.group(2) + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, scrape.statusCode(), scrape::body);

        Path tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, printedToken(sourceOut.toString()) + "\n");
        CliRun dest = CliRun.of("dest", "--connect", "127.0.0.1:" + l.group(1), "--token-file", tokenFile.toString(),
                "--vcpus", "1", "--seed", "45", "--metrics-listen", "localhost:0");
        assertEquals(0, dest.exitCode(), dest::toString);
        assertEquals(0, sourceExit.get(MIGRATION_TIMEOUT_S, TimeUnit.SECONDS), sourceOut::toString);
        Matcher d = METRICS_LINE.matcher(dest.out().lines().filter(x -> x.startsWith("metrics: ")).findFirst().orElse(""));
        assertTrue(d.matches() && d.group(1).equals("localhost") && !d.group(2).equals("0"), dest::toString);
    }

    @Test
    void destsProgressBarIsGoneBeforeItsSummaryAndDrawsOverNoLine() throws Exception {
        LineWatcher sourceOut = new LineWatcher("listening on ");
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, new StringWriter(),
                "source", "--listen", "127.0.0.1:0", "--guest-mem", "16M", "--seed", "44", "--max-bandwidth", "16M");
        String address = sourceOut.line().get(LISTEN_TIMEOUT_S, TimeUnit.SECONDS).substring("listening on ".length()).trim();
        Path tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, printedToken(sourceOut.toString()) + "\n");
        // stdout and stderr into one stream, as on a terminal
        StringWriter screen = new StringWriter();
        int destCode = CliRun.execute(screen, screen, "dest", "--connect", address, "--token-file", tokenFile.toString(),
                "--vcpus", "2", "--seed", "44", "--progress", "always");
        assertEquals(0, sourceExit.get(MIGRATION_TIMEOUT_S, TimeUnit.SECONDS), sourceOut::toString);
        Thread.sleep(MigrationProgressTest.SETTLE_MS); // a late draw of the bar would land by now
        String raw = screen.toString();
        List<String> lines = VirtualScreen.render(raw);
        String context = raw.replace("\r", "<CR>") + "\n--- screen ---\n" + String.join("\n", lines);
        assertEquals(0, destCode, context);
        assertTrue(BAR.matcher(raw).find(), () -> "the bar was drawn\n" + context);
        assertTrue(lines.stream().noneMatch(l -> BAR.matcher(l).find()), () -> "the bar was left on the screen\n" + context);
        int verified = lines.indexOf(lines.stream().filter(l -> l.startsWith("migration verified: 4096/4096")).findFirst()
                .orElseThrow(() -> new AssertionError(context)));
        List<String> summary = lines.subList(verified, lines.size());
        assertTrue(summary.stream().anyMatch(l -> l.matches("  time      \\d+ ms from resume until every page was present.*")), context);
        assertTrue(summary.get(summary.size() - 1).matches("  stage-2   \\d+ huge mappings rebuilt when KVM_MEM_USERFAULT was cleared"),
                context);
    }

    /** The token a source printed ({@code token: VALUE}, before it listens): at least 128 bits, URL-safe. */
    @Test
    void aLinkDroppedMidMigrationIsResumedAndBothCommandsSaySo() throws Exception {
        LineWatcher sourceOut = new LineWatcher("listening on ");
        StringWriter sourceErr = new StringWriter();
        CompletableFuture<Integer> sourceExit = CliRun.async("test-source", sourceOut, sourceErr,
                "source", "--listen", "127.0.0.1:0", "--guest-mem", "16M", "--seed", "43", "--max-bandwidth", "8M",
                "--chaos", "disconnect@40%", "--link-timeout", "2");
        String listening = sourceOut.line().get(LISTEN_TIMEOUT_S, TimeUnit.SECONDS);
        String address = listening.substring("listening on ".length()).trim();
        Path tokenFile = tmp.resolve("token");
        Files.writeString(tokenFile, printedToken(sourceOut.toString()) + "\n");
        Path json = tmp.resolve("recovered.json");
        LineWatcher destOut = new LineWatcher("migration verified");
        StringWriter destErr = new StringWriter();
        CompletableFuture<Integer> destExit = CliRun.async("test-dest", destOut, destErr,
                "dest", "--connect", address, "--token-file", tokenFile.toString(), "--vcpus", "2", "--seed", "43",
                "--link-timeout", "2", "--json", json.toString());
        int destCode = destExit.get(MIGRATION_TIMEOUT_S, TimeUnit.SECONDS);
        int sourceCode = sourceExit.get(MIGRATION_TIMEOUT_S, TimeUnit.SECONDS);
        String transcript = "--- source ---\n" + sourceOut + sourceErr + "--- dest ---\n" + destOut + destErr;
        assertEquals(0, destCode, transcript);
        assertEquals(0, sourceCode, transcript);
        assertTrue(sourceOut.toString().contains("source: resumed after 1 dropped link, "), transcript);
        assertTrue(destOut.toString().contains("recovery  1 link recovery, "), transcript);
        JsonNode s = new ObjectMapper().readTree(json.toFile());
        assertEquals(1, s.get("recoveries").asLong(), s.toPrettyString());
        assertEquals(0, s.get("pagesMissing").asLong(), s.toPrettyString());
        assertEquals(0, s.get("missingGfnRanges").size(), s.toPrettyString());
        assertSaneVerifiedSummary(s, 2, transcript + "--- json ---\n" + s.toPrettyString());
    }

    static String printedToken(String sourceOut) {
        String token = sourceOut.lines().filter(l -> l.startsWith("token: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no token line in\n" + sourceOut)).substring("token: ".length());
        assertTrue(token.matches("[A-Za-z0-9_-]{22,}"), token);
        assertTrue(sourceOut.indexOf("token: ") < sourceOut.indexOf("listening on "), sourceOut);
        return token;
    }

    /** Checks the fields a verified 16 MiB migration's JSON summary must have, and that they agree. */
    static void assertSaneVerifiedSummary(JsonNode s, int vcpus, String context) {
        for (String field : List.of("mode", "verified", "seed", "workload", "vcpus", "guestBytes", "memslots", "pagesTotal",
                "pagesVerified", "pageMismatches", "demandFaults", "redundantFaults", "exits", "exitsPerVcpu",
                "backgroundPages", "demandPages", "duplicatePages", "crcFailures", "faultLatencyNs", "migrationTimeMs",
                "bytesTransferred", "transport")) {
            assertTrue(s.has(field), () -> "missing field " + field + "\n" + context);
        }
        assertEquals("kvm-userfault", s.path("mode").asText(), context);
        assertTrue(s.path("verified").asBoolean(), context);
        assertTrue(s.path("error").isNull() || s.path("error").isMissingNode(), context);
        assertEquals(vcpus, s.path("vcpus").asInt(), context);
        assertEquals(GUEST_BYTES, s.path("guestBytes").asLong(), context);
        assertEquals(GUEST_PAGES, s.path("pagesTotal").asLong(), context);
        assertEquals(GUEST_PAGES, s.path("pagesVerified").asLong(), context);
        assertEquals(0, s.path("pageMismatches").asLong(), context);
        assertEquals(0, s.path("staleReads").asLong(), context);
        assertEquals(0, s.path("crcFailures").asLong(), context);
        assertEquals("uniform", s.path("workload").asText(), context);

        long demandFaults = s.path("demandFaults").asLong(-1);
        long redundantFaults = s.path("redundantFaults").asLong(-1);
        long exits = s.path("exits").asLong(-1);
        assertTrue(demandFaults >= 0 && redundantFaults >= 0, context);
        assertTrue(demandFaults + redundantFaults <= exits, context);
        JsonNode perVcpu = s.path("exitsPerVcpu");
        assertEquals(vcpus, perVcpu.size(), context);
        long exitSum = 0;
        for (JsonNode e : perVcpu) exitSum += e.asLong();
        assertEquals(exits, exitSum, context);

        // Every page installed exactly once, from one connection or the other.
        assertEquals(GUEST_PAGES, s.path("backgroundPages").asLong() + s.path("demandPages").asLong(), context);
        assertTrue(s.path("bytesTransferred").asLong() >= GUEST_BYTES, context);
        assertTrue(s.path("migrationTimeMs").asLong() >= 0, context);
        assertTrue(s.path("migrationTimeMs").asLong() < MIGRATION_TIMEOUT_S * 1000, context);

        JsonNode lat = s.path("faultLatencyNs");
        for (String p : List.of("count", "p50", "p90", "p99", "p999", "max")) {
            assertTrue(lat.has(p), () -> "faultLatencyNs lacks " + p + "\n" + context);
            assertTrue(lat.path(p).asLong(-1) >= 0, context);
        }
        assertTrue(lat.path("count").asLong() <= demandFaults + redundantFaults, context);
        assertTrue(lat.path("p50").asLong() <= lat.path("p90").asLong(), context);
        assertTrue(lat.path("p90").asLong() <= lat.path("p99").asLong(), context);
        assertTrue(lat.path("p99").asLong() <= lat.path("p999").asLong(), context);
        if (lat.path("count").asLong() > 0) assertTrue(lat.path("max").asLong() > 0, context);
    }
}
