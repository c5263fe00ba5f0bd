package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.protocol.sched.StreamPriority;
import org.postcopysim.protocol.sched.ThreadNice;
import org.postcopysim.source.SourceConfig;

/**
 * In a real migration the event loop that carries the BACKGROUND stream runs at the niceness
 * asked for on each side, and the one that carries the DEMAND connection at the base: the
 * threads' niceness is sampled from /proc while the (capped) stream runs. The destination's
 * stream loops are a group of their own ({@code dest-bg}), lowered from their start; the source's
 * loops take connections in turn and are lowered while they carry only a stream, which needs the
 * right to lower them back (CAP_SYS_NICE; the test runs as root). Control, run first so that no
 * lowered thread of the other run is still alive: with the priority off no loop is lowered.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamPriorityMigrationTest {
    /** Per event loop thread name, every niceness a thread of that name was seen at. */
    private static Map<String, java.util.Set<Integer>> migrateSampling(StreamPriority priority) throws Exception {
        Map<String, java.util.Set<Integer>> seen = new ConcurrentHashMap<>();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                sample(seen);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "nice-sampler");
        sampler.setDaemon(true);
        sampler.start();
        try {
            SourceConfig src = SourceConfig.builder().guestBytes(16L << 20).maxBackgroundBytesPerSec(16L << 20)
                    .streamPriority(priority).build();
            DestConfig dst = DestConfig.builder("127.0.0.1", 0).seed(11).vcpus(2).streamPriority(priority).build();
            MigrationSummary s = LoopbackMigrationTest.migrate(src, dst);
            assertTrue(s.verified(), s.error());
        } finally {
            sampler.interrupt();
            sampler.join();
        }
        return new TreeMap<>(seen);
    }

    private static void sample(Map<String, java.util.Set<Integer>> seen) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            tasks.forEach(t -> {
                try {
                    String comm = Files.readString(t.resolve("comm")).trim();
                    if (!comm.startsWith("dest-io-") && !comm.startsWith("dest-bg-") && !comm.startsWith("source-io-")) return;
                    int nice = ThreadNice.of(Integer.parseInt(t.getFileName().toString()));
                    // Keyed by name, not thread id: a thread another starts carries its creator's name and
                    // niceness until it names itself.
                    seen.computeIfAbsent(comm, k -> ConcurrentHashMap.newKeySet()).add(nice);
                } catch (IOException | RuntimeException e) {
                    // the thread ended between the listing and the read
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long lowered(Map<String, java.util.Set<Integer>> seen, String prefix, int base, int nice) {
        return seen.entrySet().stream().filter(e -> e.getKey().startsWith(prefix) && e.getValue().contains(base + nice)).count();
    }

    private static long neverLowered(Map<String, java.util.Set<Integer>> seen, String prefix, int base) {
        return seen.entrySet().stream().filter(e -> e.getKey().startsWith(prefix) && e.getValue().equals(java.util.Set.of(base)))
                .count();
    }

    @Test
    void theStreamsLoopRunsLowerAndTheDemandLoopAtTheBase() throws Exception {
        assumeTrue(ThreadNice.unsupported() == null, () -> "cannot set a thread's niceness here: " + ThreadNice.unsupported());
        assumeTrue(ThreadNice.restoreRefusal() == null, () -> "the source lowers no loop here: " + ThreadNice.restoreRefusal());
        int base = ThreadNice.current(); // event loop threads inherit the test thread's niceness
        Map<String, java.util.Set<Integer>> off = migrateSampling(StreamPriority.OFF);
        for (String prefix : new String[] {"dest-bg-", "source-io-"}) {
            assertEquals(0, lowered(off, prefix, base, 7), "control, the priority off: no " + prefix + " thread lowered: " + off);
        }
        assertTrue(neverLowered(off, "source-io-", base) >= 2, off.toString());
        Map<String, java.util.Set<Integer>> on = migrateSampling(StreamPriority.of(7));
        assertEquals(1, lowered(on, "dest-bg-", base, 7), "the destination's stream loop at " + (base + 7) + ": " + on);
        assertEquals(0, lowered(on, "dest-io-", base, 7), "the destination's demand loop at the base: " + on);
        assertTrue(neverLowered(on, "dest-io-", base) >= 1, on.toString());
        assertEquals(1, lowered(on, "source-io-", base, 7), "the source's stream loop at " + (base + 7) + ": " + on);
        assertTrue(neverLowered(on, "source-io-", base) >= 1, "the source's demand loop at the base throughout: " + on);
    }
}
