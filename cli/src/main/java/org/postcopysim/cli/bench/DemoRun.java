package org.postcopysim.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.postcopysim.cli.Main;
import picocli.CommandLine;

/**
 * One two-process migration for a benchmark: {@code postcopy-sim demo} (source and destination
 * each in a child JVM) run in this JVM's command line, its output echoed, its JSON summary read
 * back. A migration that did not verify is an {@link IOException}: a benchmark never reports the
 * speed of a run whose pages were wrong.
 */
final class DemoRun {
    private DemoRun() {}

    /** Runs {@code demo OPTIONS --seed SEED --json TMP}; returns the destination's summary. */
    static JsonNode run(List<String> options, long seed, PrintWriter echo, ObjectMapper json) throws IOException {
        Path file = Files.createTempFile("postcopy-sim-bench-", ".json");
        try {
            CommandLine demo = Main.commandLine();
            demo.setOut(echo);
            demo.setErr(echo);
            List<String> args = new ArrayList<>(List.of("demo"));
            args.addAll(options);
            args.addAll(List.of("--seed", Long.toString(seed), "--json", file.toString()));
            int code = demo.execute(args.toArray(new String[0]));
            JsonNode summary = Files.size(file) > 0 ? json.readTree(file.toFile()) : null;
            if (code != 0 || summary == null || !summary.path("verified").asBoolean()) {
                throw new IOException("the simulated migration failed (demo exit " + code + ")"
                        + (summary == null ? "" : ": " + summary.path("error").asText()));
            }
            return summary;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
