package org.postcopysim.cli.soak;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The soak's machine output. {@code --junit}: a JUnit XML test suite {@code postcopy-sim.soak}
 * with one test case per migration (a {@code failure} element on a violation, carrying the replay
 * command), which CI systems display like unit tests; it validates against Surefire's report
 * schema (which has no {@code timestamp} on {@code testsuite}: the start time is the property
 * {@code started}). {@code --json}: an array with one record per run (seed, configuration,
 * verdict, violations, times). Times of day are UTC ISO-8601 to the millisecond.
 *
 * <p>Each file is written whole to a temporary file next to it and renamed over it, so that a
 * reader, or a soak killed between two writes, only ever finds a complete file.
 */
final class SoakReports {
    static final String SUITE = "postcopy-sim.soak";
    /** "2026-12-01T22:30:05.123Z": UTC, milliseconds (nanoseconds trip stricter parsers). */
    static final DateTimeFormatter TIME_OF_DAY =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSX", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SoakReports() {}

    static void writeJunit(Path file, long soakSeed, Instant started, double totalSec, List<RunResult> runs)
            throws IOException {
        long failures = runs.stream().filter(r -> !r.passed()).count();
        replace(file, out -> {
            XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
            x.writeStartDocument("UTF-8", "1.0");
            x.writeCharacters("\n");
            x.writeStartElement("testsuite");
            x.writeAttribute("name", SUITE);
            x.writeAttribute("tests", Integer.toString(runs.size()));
            x.writeAttribute("failures", Long.toString(failures));
            x.writeAttribute("errors", "0");
            x.writeAttribute("skipped", "0");
            x.writeAttribute("time", seconds(totalSec));
            x.writeCharacters("\n  ");
            x.writeStartElement("properties");
            property(x, "seed", Long.toString(soakSeed));
            property(x, "started", TIME_OF_DAY.format(started));
            x.writeEndElement();
            for (RunResult r : runs) {
                x.writeCharacters("\n  ");
                x.writeStartElement("testcase");
                x.writeAttribute("name", r.testName());
                x.writeAttribute("classname", SUITE);
                x.writeAttribute("time", seconds(r.outcome().elapsedMs() / 1000.0));
                if (!r.passed()) {
                    x.writeCharacters("\n    ");
                    x.writeStartElement("failure");
                    x.writeAttribute("message", clean(firstLine(r.violations().get(0))));
                    x.writeAttribute("type", "invariant");
                    x.writeCharacters(clean(String.join("\n", r.violations()) + "\nseed " + r.seed() + ": "
                            + r.config().describe() + "\nreplay: " + SoakCommand.replayCommand(r.seed(), r.outcome().boundMs() / 1000)));
                    x.writeEndElement();
                }
                x.writeCharacters("\n    ");
                x.writeStartElement("system-out");
                x.writeCharacters(clean("seed " + r.seed() + ": " + r.config().describe()));
                x.writeEndElement();
                x.writeCharacters("\n  ");
                x.writeEndElement();
            }
            x.writeCharacters("\n");
            x.writeEndElement();
            x.writeCharacters("\n");
            x.writeEndDocument();
            x.close();
        });
    }

    static void writeJson(Path file, List<RunResult> runs) throws IOException {
        ArrayNode array = JSON.createArrayNode();
        for (RunResult r : runs) {
            ObjectNode o = array.addObject();
            o.put("index", r.index());
            o.put("seed", r.seed());
            o.put("verdict", r.passed() ? "verified" : "violation");
            o.putPOJO("violations", r.violations());
            o.put("started", TIME_OF_DAY.format(r.started()));
            o.put("elapsedMs", r.outcome().elapsedMs());
            o.put("boundMs", r.outcome().boundMs());
            o.put("replay", SoakCommand.replayCommand(r.seed(), r.outcome().boundMs() / 1000));
            RunConfig c = r.config();
            ObjectNode cfg = o.putObject("config");
            cfg.put("mode", c.mode());
            cfg.put("uffdReaders", c.uffdReaders());
            cfg.put("uffdScope", c.uffdScope().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            cfg.put("partitioned", c.partitioned());
            cfg.put("internalAccessFraction", c.internalAccessFraction());
            cfg.put("vcpus", c.vcpus());
            cfg.put("guestBytes", c.guestBytes());
            cfg.put("memslots", c.memslots());
            cfg.put("workload", c.workload());
            cfg.put("writeFraction", c.writeFraction());
            cfg.put("maxBackgroundBytesPerSec", c.maxBackgroundBytesPerSec());
            cfg.put("backgroundOrder", c.backgroundOrder().toString());
            if (c.chaos() == null) cfg.putNull("chaos");
            else cfg.put("chaos", c.chaos());
            cfg.put("linkTimeoutMs", c.linkTimeoutMs());
            cfg.put("memslotGapBytes", c.memslotGapBytes());
            if (c.hostEvents() == null) cfg.putNull("hostEvents");
            else cfg.put("hostEvents", c.hostEvents());
            if (c.privateFraction() == null) cfg.putNull("privateFraction");
            else cfg.put("privateFraction", c.privateFraction());
            cfg.put("description", c.describe());
            Outcome out = r.outcome();
            ObjectNode res = o.putObject("outcome");
            res.put("finished", out.finished());
            res.put("destVerified", out.destVerified());
            res.put("sourceVerified", out.sourceVerified());
            res.put("pagesTotal", out.pagesTotal());
            res.put("pagesVerified", out.pagesVerified());
            res.put("staleReads", out.staleReads());
            res.put("recoveries", out.recoveries());
            res.put("stalls", out.stalls());
            if (out.destError() != null) res.put("destError", out.destError());
            if (out.sourceError() != null) res.put("sourceError", out.sourceError());
        }
        replace(file, out -> JSON.writeValue(out, array));
    }

    /** What writes one report into a stream. */
    interface Writing {
        void to(OutputStream out) throws IOException, XMLStreamException;
    }

    /**
     * Writes {@code file} whole through a temporary file in its directory renamed over it
     * (atomically where the file system can), so that the file is never seen half written.
     */
    static void replace(Path file, Writing writing) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                writing.to(out);
            } catch (XMLStreamException e) {
                throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void property(XMLStreamWriter x, String name, String value) throws XMLStreamException {
        x.writeEmptyElement("property");
        x.writeAttribute("name", name);
        x.writeAttribute("value", value);
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Drops characters XML 1.0 cannot carry (controls other than tab and newline). */
    private static String clean(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 && c != '\n' && c != '\t' ? '?' : c);
        }
        return b.toString();
    }
}
