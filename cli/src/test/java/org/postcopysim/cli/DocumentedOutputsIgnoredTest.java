package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Following README.md and docs/ leaves nothing untracked in the clone: every file they name as an output is ignored. */
class DocumentedOutputsIgnoredTest {
    /** An output a documented command writes: "--out results/", "--junit soak.xml", "--token-file token.txt". */
    private static final Pattern OUTPUT = Pattern.compile("--(?:out|junit|json|token-file) ([\\w./-]+)");

    private static boolean ignored(Path root, String path) throws Exception {
        Process p = new ProcessBuilder("git", "check-ignore", "-q", "--no-index", path).directory(root.toFile())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor(30, TimeUnit.SECONDS);
        return p.exitValue() == 0;
    }

    @Test
    void everyOutputNamedInTheDocsIsGitIgnored() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        assumeTrue(Files.isDirectory(root.resolve(".git")) || Files.isRegularFile(root.resolve(".git")), "not a git clone");
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> s = Files.list(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).forEach(docs::add);
        }
        List<String> notIgnored = new ArrayList<>();
        int found = 0;
        for (Path doc : docs) {
            Matcher m = OUTPUT.matcher(Files.readString(doc));
            while (m.find()) {
                String path = m.group(1);
                if (path.equals(path.toUpperCase()) || path.startsWith("target/")) continue; // FILE, DIR; target/ is ignored
                found++;
                if (!ignored(root, path)) notIgnored.add(root.relativize(doc) + ": " + path);
            }
        }
        assumeTrue(found > 0, "no documented outputs found");
        assertEquals(List.of(), notIgnored);
    }
}
