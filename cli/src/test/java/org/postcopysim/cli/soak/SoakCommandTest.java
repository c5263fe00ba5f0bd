package org.postcopysim.cli.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;
import picocli.CommandLine;

/** The soak loop with fake migrations (orchestration, reports, a violation, replay) and one real short soak. */
class SoakCommandTest {
    private static final Features FEATURES = new Features(Features.CHAOS_WISHLIST, true, true);

    @TempDir
    Path tmp;

    private final List<RunConfig> ran = new ArrayList<>();
    private final StringWriter stdout = new StringWriter();

    private int soak(MigrationRunner fake, String... args) {
        return execute(new SoakCommand((c, bound) -> {
            ran.add(c);
            return fake.run(c, bound);
        }, FEATURES), args);
    }

    private int execute(SoakCommand command, String... args) {
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(stdout, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    private static Outcome verified(RunConfig c, java.time.Duration bound) {
        long pages = c.guestBytes() / 4096;
        return new Outcome(true, true, null, pages, pages, 0, true, pages, null, 0, 0, 5, bound.toMillis(), List.of(), null);
    }

    private static Outcome staleReads(RunConfig c, java.time.Duration bound, long stale) {
        long pages = c.guestBytes() / 4096;
        return new Outcome(true, true, null, pages, pages, stale, true, pages, null, 0, 0, 5, bound.toMillis(), List.of(), null);
    }

    static Document parseXml(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    /** Validates {@code file} against Surefire's report schema (checked in under test resources, see its README). */
    static void assertValidJunit(Path file) throws Exception {
        SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        factory.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        Schema schema = factory.newSchema(SoakCommandTest.class.getResource("/junit/surefire-test-report.xsd"));
        try {
            schema.newValidator().validate(new StreamSource(file.toFile()));
        } catch (SAXException e) {
            throw new AssertionError(file + " does not validate: " + e.getMessage() + "\n" + Files.readString(file), e);
        }
    }

    /** ISO-8601 UTC to the millisecond: "2026-12-01T22:30:05.123Z". */
    static final String MILLISECOND_TIME = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";

    @Test
    void theJunitReportValidatesAgainstSurefiresSchemaWithAMillisecondStartTime() throws Exception {
        Path passed = tmp.resolve("passed.xml");
        assertEquals(0, soak(SoakCommandTest::verified, "--seed", "9", "--runs", "2", "--duration", "1h",
                "--junit", passed.toString()), stdout.toString());
        assertValidJunit(passed);
        Path failed = tmp.resolve("failed.xml");
        assertEquals(1, soak((c, bound) -> ran.size() == 3 ? staleReads(c, bound, 2) : verified(c, bound),
                "--seed", "5", "--duration", "1h", "--junit", failed.toString()), stdout.toString());
        assertValidJunit(failed);
        for (Path f : List.of(passed, failed)) {
            Element suite = parseXml(f).getDocumentElement();
            assertEquals("", suite.getAttribute("timestamp"), "Surefire's schema has no timestamp on testsuite");
            NodeList properties = suite.getElementsByTagName("property");
            String started = null;
            for (int i = 0; i < properties.getLength(); i++) {
                Element p = (Element) properties.item(i);
                if (p.getAttribute("name").equals("started")) started = p.getAttribute("value");
            }
            assertTrue(started != null && started.matches(MILLISECOND_TIME), "started: " + started);
        }
    }

    @Test
    void aSoakKilledBetweenRunsLeavesValidReportsOfTheRunsItFinished() throws Exception {
        Path junit = tmp.resolve("ci/soak.xml");
        Path json = tmp.resolve("ci/soak.json");
        List<String> seenDuringRuns = new ArrayList<>();
        int code = soak((c, bound) -> {
            // What a kill at this moment would leave: the reports of the runs before this one, complete.
            int finished = ran.size() - 1;
            try {
                assertValidJunit(junit);
                Element suite = parseXml(junit).getDocumentElement();
                assertEquals(Integer.toString(finished), suite.getAttribute("tests"));
                assertEquals(finished, suite.getElementsByTagName("testcase").getLength());
                JsonNode records = new ObjectMapper().readTree(json.toFile());
                assertEquals(finished, records.size());
                for (JsonNode r : records) assertTrue(r.path("started").asText().matches(MILLISECOND_TIME), r::toString);
                try (var files = Files.list(junit.getParent())) {
                    seenDuringRuns.add(files.map(p -> p.getFileName().toString()).sorted().toList().toString());
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return verified(c, bound);
        }, "--seed", "9", "--runs", "3", "--duration", "1h", "--junit", junit.toString(), "--json", json.toString());
        assertEquals(0, code, stdout.toString());
        assertEquals(3, ran.size());
        for (String listing : seenDuringRuns) assertEquals("[soak.json, soak.xml]", listing, "no temporary file is left behind");
        assertValidJunit(junit);
        assertEquals("3", parseXml(junit).getDocumentElement().getAttribute("tests"));
    }

    @Test
    void passingRunsExitZeroAndWriteOneTestCaseAndOneRecordPerRun() throws Exception {
        Path junit = tmp.resolve("out/soak.xml");
        Path json = tmp.resolve("soak.json");
        int code = soak(SoakCommandTest::verified, "--seed", "9", "--runs", "3", "--duration", "1h",
                "--junit", junit.toString(), "--json", json.toString());
        assertEquals(0, code, stdout.toString());
        assertEquals(3, ran.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(RunConfigs.forSeed(RunConfigs.runSeed(9, i), FEATURES), ran.get(i), "run " + i + " from its seed");
            assertTrue(stdout.toString().contains("run " + i + " seed " + RunConfigs.runSeed(9, i) + ": "), stdout.toString());
        }
        assertTrue(stdout.toString().contains("soak: PASSED: 3 runs"), stdout.toString());

        Element suite = parseXml(junit).getDocumentElement();
        assertEquals("testsuite", suite.getTagName());
        assertEquals("postcopy-sim.soak", suite.getAttribute("name"));
        NodeList cases = suite.getElementsByTagName("testcase");
        assertEquals(3, cases.getLength());
        assertEquals("3", suite.getAttribute("tests"));
        assertEquals("0", suite.getAttribute("failures"));
        assertEquals(0, suite.getElementsByTagName("failure").getLength());
        assertEquals("postcopy-sim.soak", ((Element) cases.item(0)).getAttribute("classname"));
        assertTrue(((Element) cases.item(2)).getAttribute("name").startsWith("run 2: "));

        JsonNode runs = new ObjectMapper().readTree(json.toFile());
        assertEquals(3, runs.size());
        assertEquals(RunConfigs.runSeed(9, 1), runs.get(1).path("seed").asLong());
        assertEquals("verified", runs.get(1).path("verdict").asText());
        assertEquals(ran.get(1).mode(), runs.get(1).path("config").path("mode").asText());
    }

    @Test
    void aViolationStopsTheSoakWithAFailureElementAndTheReplayCommand() throws Exception {
        Path junit = tmp.resolve("soak.xml");
        int code = soak((c, bound) -> ran.size() == 2 ? staleReads(c, bound, 7) : verified(c, bound),
                "--seed", "5", "--duration", "1h", "--junit", junit.toString());
        assertEquals(1, code, stdout.toString());
        assertEquals(2, ran.size(), "stops at the first violation");
        long badSeed = RunConfigs.runSeed(5, 1);
        String out = stdout.toString();
        assertTrue(out.contains("soak: FAILED: run 1 (seed " + badSeed + ") violated: stale reads: 7"), out);
        assertTrue(out.contains("./postcopy-sim soak --replay " + badSeed), out);
        assertTrue(out.contains("./postcopy-sim soak --seed 5 --runs 2"), out);

        Element suite = parseXml(junit).getDocumentElement();
        assertEquals("2", suite.getAttribute("tests"));
        assertEquals("1", suite.getAttribute("failures"));
        NodeList failures = suite.getElementsByTagName("failure");
        assertEquals(1, failures.getLength());
        Element failure = (Element) failures.item(0);
        assertTrue(failure.getAttribute("message").startsWith("stale reads: 7"), failure.getAttribute("message"));
        assertTrue(failure.getTextContent().contains("--replay " + badSeed), failure.getTextContent());
    }

    @Test
    void replayRunsExactlyTheConfigurationOfThatRunSeed() {
        long runSeed = RunConfigs.runSeed(5, 1);
        int code = soak(SoakCommandTest::verified, "--replay", Long.toString(runSeed));
        assertEquals(0, code, stdout.toString());
        assertEquals(List.of(RunConfigs.forSeed(runSeed, FEATURES)), ran);
        assertTrue(stdout.toString().contains("run 0 seed " + runSeed + ": "), stdout.toString());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, soak(SoakCommandTest::verified, "--duration", "10x"));
        assertEquals(2, soak(SoakCommandTest::verified, "--runs", "0"));
        assertEquals(2, soak(SoakCommandTest::verified, "--runs", "1", "--junit", tmp.toString()), "a directory is no report file");
        assertEquals(List.of(), ran);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aShortRealSoakMigratesInThisJvmAndPasses() throws Exception {
        Path junit = tmp.resolve("real.xml");
        Path json = tmp.resolve("real.json");
        // Real migrations, without fault injection: this checks the soak, not the chaos engine.
        int code = execute(new SoakCommand(null, Features.NONE), "--seed", "1", "--runs", "2", "--duration", "5s",
                "--junit", junit.toString(), "--json", json.toString());
        assertEquals(0, code, stdout.toString());
        assertValidJunit(junit);
        Element suite = parseXml(junit).getDocumentElement();
        int cases = suite.getElementsByTagName("testcase").getLength();
        assertTrue(cases >= 1 && cases <= 2, "runs: " + cases);
        assertEquals(Integer.toString(cases), suite.getAttribute("tests"));
        assertEquals("0", suite.getAttribute("failures"));
        assertEquals(cases, new ObjectMapper().readTree(json.toFile()).size());
    }
}
