package org.postcopysim.cli.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** results.csv, results.json and the two PNGs, written from records built in memory. */
class ResultFilesTest {
    private static final List<String> MODES = List.of("kvm-userfault", "uffd");

    @TempDir
    Path tmp;

    @Test
    void csvHasTheContractHeaderAndOneParsableRowPerRecord() throws Exception {
        List<RunRecord> records = SyntheticRecords.faultRecords(MODES, List.of(1, 4), 2, true);
        Path csv = tmp.resolve("results.csv");
        CsvWriter.write(csv, records);

        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        assertEquals(records.size() + 1, lines.size());
        List<String> header = Arrays.asList(lines.get(0).split(",", -1));
        assertEquals(List.of("bench", "mode", "vcpus", "readers", "uffdScope", "repeat", "pagesPerSecOverall",
                "p50Ns", "p90Ns", "p99Ns", "p999Ns", "maxNs"), header.subList(0, 12));
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",", -1);
            assertEquals(header.size(), cells.length, lines.get(i));
            RunRecord r = records.get(i - 1);
            assertEquals("fault", cells[0]);
            assertEquals(r.mode(), cells[1]);
            assertEquals(r.vcpus(), Integer.parseInt(cells[2]));
            assertEquals(2, Integer.parseInt(cells[3]));
            assertEquals("shared", cells[4]);
            assertEquals(r.run().repeat(), Integer.parseInt(cells[5]));
            assertEquals(r.pagesPerSecOverall(), Double.parseDouble(cells[6]), 1e-6);
            for (int c = 7; c < 12; c++) assertTrue(Long.parseLong(cells[c]) > 0, lines.get(i));
            assertEquals(r.latencyNs("p99"), Long.parseLong(cells[9]));
            for (int c = 12; c < cells.length; c++) {
                if (header.get(c).equals("backend")) assertEquals(r.json().path("backend").asText(""), cells[c]);
                else Double.parseDouble(cells[c]);
            }
        }
    }

    @Test
    void jsonIsAnArrayOfTheChildSummariesWithBenchAndRepeat() throws Exception {
        List<RunRecord> records = SyntheticRecords.faultRecords(MODES, List.of(2), 3, false);
        Path json = tmp.resolve("results.json");
        JsonResults.write(json, records);

        JsonNode array = JsonResults.JSON.readTree(json.toFile());
        assertTrue(array.isArray());
        assertEquals(records.size(), array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode r = array.get(i);
            assertEquals("fault", r.path("bench").asText());
            assertTrue(r.path("repeat").isInt(), r::toString);
            assertEquals(records.get(i).run().repeat(), r.path("repeat").asInt());
            assertEquals(records.get(i).mode(), r.path("mode").asText());
            assertEquals(2, r.path("vcpus").asInt());
            assertEquals(2, r.path("pagesPerSecPerVcpu").size());
            assertTrue(r.path("faultLatencyNs").path("p999").asLong() > 0);
            assertEquals(11, r.path("seed").asLong());
        }
    }

    @Test
    void migrationRecordGetsPageRatesFromItsMigrationTimeAndEmptyUffdCells() {
        ObjectNode summary = JsonNodeFactory.instance.objectNode();
        summary.put("mode", "kvm-userfault").put("vcpus", 2).put("pagesTotal", 4096).put("migrationTimeMs", 500)
                .put("verified", true);
        summary.putArray("exitsPerVcpu").add(100).add(300);
        summary.putObject("faultLatencyNs").put("count", 400).put("p50", 1000).put("p90", 2000).put("p99", 4000)
                .put("p999", 8000).put("max", 9000);
        RunPlan.Run run = RunPlan.of(Bench.MIGRATION, List.of("kvm-userfault"), List.of(2), 1, 3).runs().get(0);

        RunRecord r = RunRecord.fromChild(Bench.MIGRATION, run, summary, 900);

        assertEquals(8192.0, r.json().path("pagesPerSecOverall").asDouble(), 1e-9);
        assertEquals(200.0, r.json().path("pagesPerSecPerVcpu").get(0).asDouble(), 1e-9);
        assertEquals(600.0, r.json().path("pagesPerSecPerVcpu").get(1).asDouble(), 1e-9);
        assertEquals("migration", r.json().path("bench").asText());
        assertEquals(0, r.json().path("repeat").asInt(-1));
        assertTrue(r.json().path("verified").asBoolean(), "the child's own fields are kept");
        List<String> row = CsvWriter.row(r);
        assertEquals("migration", row.get(0));
        assertEquals("0", row.get(3));
        assertEquals("", row.get(4));
        assertEquals("8192", row.get(6));
    }

    @Test
    void bothPlotsAreValidPngsWithLatencyBuckets() throws Exception {
        List<RunRecord> records = SyntheticRecords.faultRecords(MODES, List.of(1, 2, 4), 2, true);
        assertPlotsReadable(records);
    }

    @Test
    void bothPlotsAreValidPngsWithLatencyPercentilesOnly() throws Exception {
        List<RunRecord> records = SyntheticRecords.faultRecords(MODES, List.of(1, 8), 1, false);
        assertPlotsReadable(records);
    }

    @Test
    void plotsOfNoFinishedRunStillRender() throws Exception {
        assertPlotsReadable(List.of());
    }

    private void assertPlotsReadable(List<RunRecord> records) throws Exception {
        Path rate = tmp.resolve("pages-per-sec.png");
        Path cdf = tmp.resolve("fault-latency-cdf.png");
        Plots.pagesPerSec(rate, Bench.FAULT, records);
        Plots.faultLatencyCdf(cdf, records);
        for (Path png : List.of(rate, cdf)) {
            assertTrue(Files.size(png) > 0, png::toString);
            BufferedImage image = ImageIO.read(png.toFile());
            assertNotNull(image, () -> png + " is not a PNG ImageIO can read");
            assertEquals(Plots.WIDTH_PX, image.getWidth());
            assertTrue(image.getHeight() > 0);
            assertFalse(isBlank(image), () -> png + " is blank");
        }
    }

    private static boolean isBlank(BufferedImage image) {
        int first = image.getRGB(0, 0);
        for (int y = 0; y < image.getHeight(); y += 7) {
            for (int x = 0; x < image.getWidth(); x += 7) {
                if (image.getRGB(x, y) != first) return false;
            }
        }
        return true;
    }
}
