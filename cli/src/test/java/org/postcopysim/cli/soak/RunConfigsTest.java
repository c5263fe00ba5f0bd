package org.postcopysim.cli.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.uffd.UffdSet;

class RunConfigsTest {
    private static final Features ALL_CHAOS = new Features(Features.CHAOS_WISHLIST, true, true);
    private static final int SEEDS = 400;

    @Test
    void theSameSeedGivesTheSameConfigurationAndRunSeedsAreStable() {
        for (long s = 0; s < 50; s++) {
            assertEquals(RunConfigs.forSeed(s, ALL_CHAOS), RunConfigs.forSeed(s, ALL_CHAOS));
            assertEquals(RunConfigs.runSeed(s, 3), RunConfigs.runSeed(s, 3));
            assertTrue(RunConfigs.runSeed(s, 3) >= 0);
        }
        assertNotEquals(RunConfigs.runSeed(1, 0), RunConfigs.runSeed(1, 1));
        assertNotEquals(RunConfigs.runSeed(1, 0), RunConfigs.runSeed(2, 0));
    }

    @Test
    void aFewHundredSeedsCoverEveryModeAndEveryChoice() {
        Set<String> modes = new HashSet<>();
        Set<String> uffdShapes = new HashSet<>();
        Set<Integer> vcpus = new HashSet<>();
        Set<Integer> memslots = new HashSet<>();
        Set<String> workloads = new HashSet<>();
        Set<String> chaos = new HashSet<>();
        Set<Boolean> capped = new HashSet<>();
        Set<Long> guests = new HashSet<>();
        Set<Long> linkTimeouts = new HashSet<>();
        Set<Long> gaps = new HashSet<>();
        Set<String> orders = new HashSet<>();
        for (int i = 0; i < SEEDS; i++) {
            RunConfig c = RunConfigs.forSeed(RunConfigs.runSeed(42, i), ALL_CHAOS);
            modes.add(c.mode());
            if (c.mode().startsWith("uffd")) uffdShapes.add(c.mode() + "/" + c.uffdReaders() + "/" + c.uffdScope());
            vcpus.add(c.vcpus());
            memslots.add(c.memslots());
            workloads.add(c.workload());
            chaos.add(c.chaos() == null ? "none" : c.chaos());
            capped.add(c.maxBackgroundBytesPerSec() > 0);
            guests.add(c.guestBytes());
            linkTimeouts.add(c.linkTimeoutMs());
            gaps.add(c.memslotGapBytes());
            orders.add(c.backgroundOrder().toString());
            assertEquals(c.backgroundOrder(), c.sourceConfig(Duration.ofSeconds(30)).backgroundOrder(),
                    "the source streams in the run's order: " + c.describe());
            assertEquals(c.memslotGapBytes(), c.sourceConfig(Duration.ofSeconds(30)).memslotGapBytes());
            if (c.memslotGapBytes() > 0) {
                assertEquals(c.memslotGapBytes() / 4096, c.sourceConfig(Duration.ofSeconds(30)).layout().slot(0).baseGfn(),
                        "the source lays the guest out with the gap: " + c.describe());
                assertTrue(c.describe().contains("after gaps of " + (c.memslotGapBytes() >> 10) + " KiB"), c.describe());
            }
            assertEquals(c.linkTimeoutMs(), c.destConfig(1, Duration.ofSeconds(30)).reliability().linkTimeout().toMillis());
            assertEquals(c.linkTimeoutMs(), c.sourceConfig(Duration.ofSeconds(30)).reliability().linkTimeout().toMillis());
            assertTrue(c.guestBytes() >= 4L << 20 && c.guestBytes() <= 32L << 20, c.describe());
            long cap = c.maxBackgroundBytesPerSec();
            assertTrue(cap == 0 || (cap >= 8L << 20 && cap <= 64L << 20), c.describe());
            if (c.uffdScope() == UffdSet.Scope.PER_VCPU) assertTrue(c.partitioned(), "per-vCPU uffds need partitioned access");
            // every drawn configuration is one the simulator accepts
            c.faultOptions();
            c.sourceConfig(Duration.ofSeconds(30)).validate();
            c.destConfig(4444, Duration.ofSeconds(30));
        }
        assertEquals(Set.copyOf(RunConfigs.MODES), modes);
        assertEquals(Set.of("linear", "follow-faults", "prepage:64", "grow-chunks"), orders);
        assertEquals(Set.of(RunConfigs.SHORT_LINK_TIMEOUT_MS, 10_000L), linkTimeouts, "short and default link timeouts");
        Set<Long> expectedGaps = new HashSet<>(Set.of(0L));
        for (long pages : RunConfigs.MEMSLOT_GAP_PAGES) expectedGaps.add(pages * 4096);
        assertEquals(expectedGaps, gaps, "contiguous, and every gap");
        for (String m : List.of("uffd", "uffd+kvm-userfault")) {
            for (int readers = 1; readers <= 2; readers++) {
                for (UffdSet.Scope scope : UffdSet.Scope.values()) {
                    assertTrue(uffdShapes.contains(m + "/" + readers + "/" + scope), m + " " + readers + " " + scope);
                }
            }
        }
        assertEquals(Set.of(1, 2, 3, 4), vcpus);
        assertEquals(Set.of(1, 2, 3), memslots);
        assertEquals(Set.copyOf(RunConfigs.WORKLOADS), workloads);
        assertEquals(Set.of(true, false), capped);
        assertTrue(guests.contains(4L << 20) && guests.contains(32L << 20));
        Set<String> expected = new HashSet<>(Features.CHAOS_WISHLIST);
        expected.add("none");
        assertEquals(expected, chaos);
    }

    @Test
    void withoutFaultInjectionNoRunDrawsChaos() {
        for (int i = 0; i < 100; i++) {
            assertEquals(null, RunConfigs.forSeed(i, Features.NONE).chaos());
        }
    }

    @Test
    void durationsAcceptSecondsMinutesAndHours() {
        assertEquals(Duration.ofSeconds(90), SoakDuration.parse("90s"));
        assertEquals(Duration.ofMinutes(10), SoakDuration.parse("10m"));
        assertEquals(Duration.ofHours(1), SoakDuration.parse("1h"));
        assertEquals(Duration.ofSeconds(5), SoakDuration.parse("5"));
        assertEquals("1m30s", SoakDuration.format(Duration.ofSeconds(90)));
        for (String bad : List.of("", "0s", "-5m", "10x", "m", "99999999999h")) {
            try {
                SoakDuration.parse(bad);
                throw new AssertionError("accepted '" + bad + "'");
            } catch (picocli.CommandLine.TypeConversionException expected) {
                // rejected
            }
        }
    }
}
