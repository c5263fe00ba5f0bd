package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.postcopysim.protocol.sched.ThreadNice;

/**
 * {@code demo --stream-nice N} reaches both child JVMs: while the (capped) stream runs, the
 * destination child's {@code dest-bg} thread and one of the source child's {@code source-io}
 * threads run at this JVM's niceness plus N, sampled from /proc. Control: {@code --stream-nice 0},
 * none raised.
 */
class DemoStreamNiceTest {
    /** Per child thread name (comm@pid), every niceness a thread of that name was seen at, over one demo. */
    private static Map<String, Set<Integer>> demoSampling(int streamNice) throws Exception {
        Map<String, Set<Integer>> seen = new ConcurrentHashMap<>();
        DemoSampling.run(() -> sample(seen), 10, "--guest-mem", "32M", "--vcpus", "1", "--max-bandwidth", "16M",
                "--seed", "4", "--stream-nice", Integer.toString(streamNice));
        return new TreeMap<>(seen);
    }

    private static void sample(Map<String, Set<Integer>> seen) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).forEach(p -> {
                try (Stream<Path> tasks = Files.list(p.resolve("task"))) {
                    tasks.forEach(t -> {
                        try {
                            String comm = Files.readString(t.resolve("comm")).trim();
                            if (!comm.startsWith("dest-bg-") && !comm.startsWith("source-io-")) return;
                            int nice = ThreadNice.ofStat(Files.readString(t.resolve("stat")));
                            // Keyed by name and process, not thread id: a thread another starts carries its
                            // creator's name and niceness until it names itself.
                            seen.computeIfAbsent(comm + "@" + p.getFileName(),
                                    k -> ConcurrentHashMap.newKeySet()).add(nice);
                        } catch (IOException | RuntimeException e) {
                            // the thread ended between the listing and the read
                        }
                    });
                } catch (IOException | RuntimeException e) {
                    // the process ended
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long seenAt(Map<String, Set<Integer>> seen, String prefix, int nice) {
        return seen.entrySet().stream().filter(e -> e.getKey().startsWith(prefix) && e.getValue().contains(nice)).count();
    }

    @Test
    void demoRunsBothChildrensStreamThreadsAtTheNicenessAsked() throws Exception {
        assumeTrue(ThreadNice.unsupported() == null, () -> "cannot set a thread's niceness here: " + ThreadNice.unsupported());
        assumeTrue(ThreadNice.restoreRefusal() == null, () -> "the source lowers no loop here: " + ThreadNice.restoreRefusal());
        int base = ThreadNice.current();
        assumeTrue(base <= 14, "this JVM runs at niceness " + base + ": no room to raise a thread by 5");
        int raised = base + 5;
        Map<String, Set<Integer>> off = demoSampling(0);
        assertTrue(seenAt(off, "dest-bg-", base) >= 1, "the destination's stream thread was sampled: " + off);
        assertEquals(0, seenAt(off, "dest-bg-", raised) + seenAt(off, "source-io-", raised),
                "control, --stream-nice 0: nothing raised: " + off);
        Map<String, Set<Integer>> on = demoSampling(5);
        assertTrue(seenAt(on, "dest-bg-", raised) >= 1, "the destination child's stream thread at " + raised + ": " + on);
        assertEquals(1, seenAt(on, "source-io-", raised), "one source-io thread at " + raised + ": " + on);
    }
}
