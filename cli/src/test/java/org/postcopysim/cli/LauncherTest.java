package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher, run from a copy with stand-ins for mvn and java on the PATH (the real build is
 * what the rest of the tests run): when its stderr is not a terminal it asks Maven for no colour
 * and no colour reset codes, so a log or a pipe gets no stray ESC[0m.
 */
class LauncherTest {
    private static Path script(Path dir, String name, String body) throws Exception {
        Path p = Files.writeString(dir.resolve(name), "#!/usr/bin/env bash\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void aBuildWhoseStderrIsNoTerminalAsksMavenForNoAnsiCodes(@TempDir Path tmp) throws Exception {
        Path project = Files.createDirectories(tmp.resolve("project"));
        Files.copy(Path.of("..", "postcopy-sim"), project.resolve("postcopy-sim"));
        Files.setPosixFilePermissions(project.resolve("postcopy-sim"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path record = tmp.resolve("mvn-call");
        script(bin, "mvn", "printf 'MAVEN_OPTS=%s\\nARGS=%s\\n' \"${MAVEN_OPTS:-}\" \"$*\" > '" + record + "'\n"
                + "mkdir -p cli/target && touch cli/target/postcopy-sim.jar\n");
        script(bin, "java", "exit 0\n");
        Path err = tmp.resolve("stderr.log");
        ProcessBuilder b = new ProcessBuilder("bash", project.resolve("postcopy-sim").toString(), "--version")
                .redirectError(err.toFile()).redirectOutput(tmp.resolve("stdout.log").toFile()).directory(tmp.toFile());
        b.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        b.environment().remove("MAVEN_OPTS");
        Process p = b.start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), () -> read(err));
        List<String> call = Files.readAllLines(record);
        assertTrue(call.get(0).contains("-Djansi.noreset=true"), call::toString);
        assertTrue(call.get(1).contains("-Dstyle.color=never") && call.get(1).contains("-B"), call::toString);
        assertEquals("postcopy-sim: building (first use or sources changed)...\n", read(err));
    }

    @Test
    void sourceAndDestRunWithTheMigrationJvmOptionsBeforeJavaOpts(@TempDir Path tmp) throws Exception {
        Path project = Files.createDirectories(tmp.resolve("project"));
        Files.copy(Path.of("..", "postcopy-sim"), project.resolve("postcopy-sim"));
        Files.createDirectories(project.resolve("cli/target"));
        Files.writeString(project.resolve("cli/target/postcopy-sim.jar"), ""); // built: no source is newer
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path record = tmp.resolve("java-call");
        script(bin, "java", "printf '%s\\n' \"$*\" >> '" + record + "'\n");
        for (String command : List.of("source", "dest", "demo", "fault-bench")) {
            ProcessBuilder b = new ProcessBuilder("bash", project.resolve("postcopy-sim").toString(), command, "--help")
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("out.log").toFile()).directory(tmp.toFile());
            b.environment().put("PATH", bin + ":" + System.getenv("PATH"));
            b.environment().put("JAVA_OPTS", "-Xmx300m");
            Process p = b.start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), () -> read(tmp.resolve("out.log")));
        }
        List<String> calls = Files.readAllLines(record);
        String options = String.join(" ", MigrationJvm.OPTIONS);
        assertEquals(options + " -Xmx300m -jar " + project.resolve("cli/target/postcopy-sim.jar") + " source --help", calls.get(0));
        assertTrue(calls.get(1).startsWith(options + " -Xmx300m -jar ") && calls.get(1).endsWith(" dest --help"), calls::toString);
        // demo passes them to its two children itself (DemoMigrationJvmTest); other commands keep the default tiers
        assertTrue(calls.get(2).startsWith("-Xmx300m -jar ") && calls.get(3).startsWith("-Xmx300m -jar "), calls::toString);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return e.toString();
        }
    }
}
