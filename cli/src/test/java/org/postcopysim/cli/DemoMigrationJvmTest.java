package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The demo starts its source and destination with {@link MigrationJvm#OPTIONS} (C1 only): the
 * arguments of this JVM's two child processes, read while the demo runs.
 */
class DemoMigrationJvmTest {
    @Test
    void bothChildrenRunWithTheMigrationJvmOptions() throws Exception {
        String javaOpts = System.getenv("JAVA_OPTS");
        org.junit.jupiter.api.Assumptions.assumeTrue(javaOpts == null || !javaOpts.contains("TieredStopAtLevel"),
                "JAVA_OPTS names the tiers itself, so the children's options cannot tell demo's from it");
        Map<Long, List<String>> children = new ConcurrentHashMap<>();
        // The last command line seen: a child starts as jspawnhelper, then becomes the JVM.
        DemoSampling.run(() -> ProcessHandle.current().children().forEach(c -> {
            try {
                String cmdline = Files.readString(Path.of("/proc", Long.toString(c.pid()), "cmdline"));
                if (!cmdline.isEmpty()) children.put(c.pid(), List.of(cmdline.split("\0")));
            } catch (IOException | RuntimeException e) {
                // it ended
            }
        }), 5, "--guest-mem", "16M", "--vcpus", "1", "--seed", "5");
        List<List<String>> migration = children.values().stream()
                .filter(a -> a.contains("source") || a.contains("dest")).toList();
        assertEquals(2, migration.size(), "the source and the destination: " + children);
        for (List<String> args : migration) {
            assertTrue(args.containsAll(MigrationJvm.OPTIONS), args::toString);
            int main = args.indexOf(Main.class.getName());
            for (String option : MigrationJvm.OPTIONS) assertTrue(args.indexOf(option) < main, "a JVM option: " + args);
        }
    }
}
