package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code queryMigrate} in dest's JSON: QEMU's field names, and each value in QEMU's unit as
 * recomputed from the rest of the summary ({@link QueryMigrateCheck}), for a migration that
 * verifies, one whose link drops with reconnecting off, and one with two precopy rounds first
 * (the phases' bytes, the dirty bitmap syncs and the setup that ends where precopy begins). The
 * negative controls feed the check the verified runs' JSON with one deliberate mistake each (a
 * wrong unit, a bucket off by one, a byte count missing a phase, a phase mapped to the wrong QEMU
 * field) and show it catches every one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class QueryMigrateJsonTest {
    /** QEMU's names, in QEMU's order (MigrationInfo, then MigrationStats), of the fields every run writes. */
    static final List<String> TOP_FIELDS = List.of("status", "total-time", "downtime", "setup-time", "ram",
            "postcopy-blocktime", "postcopy-vcpu-blocktime", "postcopy-latency", "postcopy-latency-dist",
            "postcopy-vcpu-latency", "postcopy-non-vcpu-latency");
    static final List<String> RAM_FIELDS = List.of("transferred", "remaining", "total", "duplicate", "normal",
            "normal-bytes", "dirty-sync-count", "postcopy-requests", "page-size", "precopy-bytes", "downtime-bytes",
            "postcopy-bytes", "multifd-bytes", "mbps", "pages-per-second");

    @TempDir
    static Path tmp;
    private CommandMigration verified;
    private CommandMigration failed;
    private CommandMigration precopy;

    @BeforeAll
    void migrateOnceVerifiedAndOnceFailed() throws Exception {
        verified = CommandMigration.expecting(0, tmp, "verified", List.of(), List.of());
        failed = CommandMigration.expecting(1, tmp, "failed", List.of("--chaos", "disconnect@30%", "--recovery-deadline", "1"),
                List.of("--no-reconnect"));
        precopy = CommandMigration.expecting(0, tmp, "precopy", List.of("--precopy-rounds", "2"),
                List.of("--access-rate", "20000"));
    }

    @Test
    void theFieldsHaveQemusNamesInQemusOrder() {
        JsonNode q = verified.summary().path("queryMigrate");
        assertEquals(TOP_FIELDS, names(q), q::toPrettyString);
        assertEquals(RAM_FIELDS, names(q.path("ram")), q::toPrettyString);
        List<String> failedNames = names(failed.summary().path("queryMigrate"));
        assertEquals("error-desc", failedNames.get(1), failedNames::toString);
        assertEquals(TOP_FIELDS, failedNames.stream().filter(n -> !n.equals("error-desc")).toList());
        assertTrue(q.path("ram").path("mbps").isFloatingPointNumber(), "mbps is a number: " + q);
        assertEquals(QueryMigrateCheck.QEMU_BUCKETS, q.path("postcopy-latency-dist").size());
    }

    @Test
    void aVerifiedRunSaysCompletedAndEveryFieldAgreesWithItsCounterInQemusUnit() {
        JsonNode s = verified.summary();
        assertTrue(s.path("verified").asBoolean(), s::toPrettyString);
        assertEquals("completed", s.path("queryMigrate").path("status").asText());
        assertEquals(List.of(), QueryMigrateCheck.violations(s), () -> s.path("queryMigrate").toPrettyString());
        assertEquals(0, s.path("queryMigrate").path("ram").path("remaining").asLong());
    }

    @Test
    void aFailedRunSaysFailedWhyAndWhatRemained() {
        JsonNode s = failed.summary();
        JsonNode q = s.path("queryMigrate");
        assertFalse(s.path("verified").asBoolean(), s::toPrettyString);
        assertEquals("failed", q.path("status").asText(), q::toPrettyString);
        assertTrue(q.path("error-desc").asText().contains("reconnect is off"), q::toPrettyString);
        assertTrue(s.path("pagesMissing").asLong() > 0, s::toPrettyString);
        assertEquals(s.path("pagesMissing").asLong() * 4096, q.path("ram").path("remaining").asLong(), q::toPrettyString);
        assertEquals(List.of(), QueryMigrateCheck.violations(s), q::toPrettyString);
    }

    @Test
    void totalTimeIsTheRunsTimeAsTheTestMeasuredItInMilliseconds() {
        JsonNode q = verified.summary().path("queryMigrate");
        long wallMs = TimeUnit.NANOSECONDS.toMillis(verified.destWallNs());
        long total = q.path("total-time").asLong();
        // The dest command runs past the last page (the digest, closing): the migration is most of it, and within it.
        assertTrue(total <= wallMs, "total-time " + total + " ms, but the dest command ran " + wallMs + " ms");
        assertTrue(total >= wallMs / 4, "total-time " + total + " ms of a dest command of " + wallMs + " ms");
    }

    @Test
    void theCheckCatchesEveryDeliberateMistake() {
        JsonNode s = verified.summary();
        JsonNode q = s.path("queryMigrate");
        // The mistakes below only show on values that are not 0 or 1: the run has them.
        assertTrue(q.path("downtime").asLong() >= 2, q::toPrettyString);
        assertTrue(q.path("postcopy-blocktime").asLong() >= 2, q::toPrettyString);
        assertTrue(q.path("total-time").asLong() - q.path("setup-time").asLong() >= 100, q::toPrettyString);
        assertTrue(s.path("faultLatencyNs").path("count").asLong() > 0, s::toPrettyString);
        Map<String, Consumer<ObjectNode>> mistakes = new LinkedHashMap<>();
        mistakes.put("total-time in microseconds", m -> scale(m, "total-time", 1000));
        mistakes.put("downtime in microseconds", m -> scale(m, "downtime", 1000));
        mistakes.put("setup-time counting the downtime", m -> m.put("setup-time", m.get("setup-time").asLong() + m.get("downtime").asLong()));
        mistakes.put("postcopy-blocktime in microseconds", m -> scale(m, "postcopy-blocktime", 1000));
        mistakes.put("postcopy-vcpu-blocktime in nanoseconds", m -> m.set("postcopy-vcpu-blocktime", s.path("blocktime").path("perVcpuNs").deepCopy()));
        mistakes.put("postcopy-latency in microseconds", m -> m.put("postcopy-latency", m.get("postcopy-latency").asLong() / 1000));
        mistakes.put("postcopy-vcpu-latency in microseconds", m -> {
            ArrayNode a = (ArrayNode) m.get("postcopy-vcpu-latency");
            for (int v = 0; v < a.size(); v++) a.set(v, a.get(v).asLong() / 1000);
        });
        mistakes.put("postcopy-latency-dist one bucket too high", m -> {
            ArrayNode a = (ArrayNode) m.get("postcopy-latency-dist");
            a.insert(0, 0);
            a.remove(a.size() - 1);
        });
        mistakes.put("postcopy-latency-dist missing the faults of its fastest bucket", m -> {
            ArrayNode a = (ArrayNode) m.get("postcopy-latency-dist");
            int first = 0;
            while (a.get(first).asLong() == 0) first++;
            a.set(first, 0);
        });
        mistakes.put("mbps in megabytes per second", m -> ram(m).put("mbps", ram(m).get("mbps").asDouble() / 8));
        mistakes.put("mbps in mebibits per second", m -> ram(m).put("mbps", ram(m).get("mbps").asDouble() * 1e6 / (1 << 20)));
        mistakes.put("pages-per-second per millisecond", m -> ram(m).put("pages-per-second", ram(m).get("pages-per-second").asLong() / 1000));
        mistakes.put("transferred without the postcopy bytes", m -> ram(m).put("transferred",
                ram(m).get("transferred").asLong() - ram(m).get("postcopy-bytes").asLong()));
        mistakes.put("normal-bytes in KiB", m -> ram(m).put("normal-bytes", ram(m).get("normal-bytes").asLong() / 1024));
        mistakes.put("remaining counting the present pages", m -> ram(m).put("remaining", ram(m).get("total").asLong()));
        mistakes.put("status failed on a verified run", m -> m.put("status", "failed"));
        for (Map.Entry<String, Consumer<ObjectNode>> e : mistakes.entrySet()) {
            ObjectNode wrong = s.deepCopy();
            e.getValue().accept((ObjectNode) wrong.get("queryMigrate"));
            assertFalse(QueryMigrateCheck.violations(wrong).isEmpty(), "the check misses: " + e.getKey());
        }
        // And on the failed run: it must not claim completion, nor lose its reason.
        ObjectNode completed = failed.summary().deepCopy();
        ((ObjectNode) completed.get("queryMigrate")).put("status", "completed");
        assertFalse(QueryMigrateCheck.violations(completed).isEmpty(), "the check misses a failed run called completed");
        ObjectNode silent = failed.summary().deepCopy();
        ((ObjectNode) silent.get("queryMigrate")).remove("error-desc");
        assertFalse(QueryMigrateCheck.violations(silent).isEmpty(), "the check misses a failed run without error-desc");
    }

    @Test
    void aPrecopyRunReportsItsPhasesRoundsAndSetupInQemusFields() {
        JsonNode s = precopy.summary();
        JsonNode q = s.path("queryMigrate");
        assertTrue(s.path("verified").asBoolean(), s::toPrettyString);
        assertEquals(2, s.path("precopyRounds").asInt(), s::toPrettyString);
        assertEquals(List.of(), QueryMigrateCheck.violations(s), q::toPrettyString);
        assertEquals(2, q.path("ram").path("dirty-sync-count").asLong(), q::toPrettyString);
        assertTrue(q.path("ram").path("precopy-bytes").asLong() >= s.path("guestBytes").asLong(),
                "round 1 alone sends every page: " + q);
        assertEquals(s.path("bytesTransferred").asLong(), q.path("ram").path("transferred").asLong(), q::toPrettyString);
    }

    @Test
    void theCheckCatchesEveryMistakeOfThePrecopyPhases() {
        JsonNode s = precopy.summary();
        JsonNode q = s.path("queryMigrate");
        JsonNode ram = q.path("ram");
        long roundsMs = 0;
        for (JsonNode r : s.path("precopyRoundStats")) roundsMs += r.path("durationMs").asLong();
        // The mistakes below only show on a run whose phases differ and whose rounds take time: the run has them.
        assertTrue(ram.path("precopy-bytes").asLong() > 0 && ram.path("postcopy-bytes").asLong() > 0, q::toPrettyString);
        assertTrue(ram.path("precopy-bytes").asLong() != ram.path("postcopy-bytes").asLong(), q::toPrettyString);
        assertTrue(roundsMs >= 10, "the rounds took " + roundsMs + " ms");
        Map<String, Consumer<ObjectNode>> mistakes = new LinkedHashMap<>();
        mistakes.put("precopy-bytes and postcopy-bytes swapped", m -> {
            long pre = ram(q(m)).get("precopy-bytes").asLong();
            ram(q(m)).put("precopy-bytes", ram(q(m)).get("postcopy-bytes").asLong()).put("postcopy-bytes", pre);
        });
        mistakes.put("precopy-bytes reported as downtime-bytes", m -> ram(q(m))
                .put("downtime-bytes", ram(q(m)).get("downtime-bytes").asLong() + ram(q(m)).get("precopy-bytes").asLong())
                .put("precopy-bytes", 0));
        mistakes.put("the summary and queryMigrate both counting precopy's pages as the downtime's", m -> {
            ObjectNode phases = (ObjectNode) m.get("bytesPerPhase");
            long pre = phases.get("precopyBytes").asLong();
            phases.put("downtimeBytes", phases.get("downtimeBytes").asLong() + pre).put("precopyBytes", 0);
            ram(q(m)).put("downtime-bytes", ram(q(m)).get("downtime-bytes").asLong() + pre).put("precopy-bytes", 0);
        });
        mistakes.put("transferred without the precopy bytes", m -> ram(q(m)).put("transferred",
                ram(q(m)).get("transferred").asLong() - ram(q(m)).get("precopy-bytes").asLong()));
        mistakes.put("dirty-sync-count 0 after precopy", m -> ram(q(m)).put("dirty-sync-count", 0));
        mistakes.put("dirty-sync-count counting the switchover as a round", m -> ram(q(m)).put("dirty-sync-count",
                ram(q(m)).get("dirty-sync-count").asLong() + 1));
        long precopyMs = roundsMs;
        mistakes.put("setup-time counting the precopy rounds", m -> q(m).put("setup-time", q(m).get("setup-time").asLong() + precopyMs));
        mistakes.put("downtime counting the precopy rounds", m -> q(m).put("downtime", q(m).get("downtime").asLong() + precopyMs));
        for (Map.Entry<String, Consumer<ObjectNode>> e : mistakes.entrySet()) {
            ObjectNode wrong = s.deepCopy();
            e.getValue().accept(wrong);
            assertFalse(QueryMigrateCheck.violations(wrong).isEmpty(), "the check misses: " + e.getKey());
        }
    }

    private static ObjectNode q(ObjectNode summary) {
        return (ObjectNode) summary.get("queryMigrate");
    }

    private static ObjectNode ram(ObjectNode queryMigrate) {
        return (ObjectNode) queryMigrate.get("ram");
    }

    private static void scale(ObjectNode node, String field, long factor) {
        node.put(field, node.get(field).asLong() * factor);
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) names.add(it.next());
        return names;
    }
}
