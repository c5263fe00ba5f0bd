package org.postcopysim.cli.compare;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every run of a comparison, in the order they are started, each with its own seed.
 *
 * <p>Order: repeat, then vCPU count, then mode innermost, so the runs of each mode are spread over
 * the whole comparison and a slow spell of the machine (another process, thermal throttling)
 * falls on every mode rather than on one.
 *
 * <p>Seeds: a run's seed is derived from the comparison's seed, its vCPU count and its repeat
 * index, but not its mode: the modes of one (vCPUs, repeat) cell replay the same guest and the
 * same access streams (common random numbers), so what differs between them is the mode alone.
 * Repeats and vCPU counts get different seeds.
 */
record RunPlan(Bench bench, List<String> modes, List<Integer> vcpuCounts, int repeats, long seed, List<Run> runs) {

    /** One child run. {@code index} is its 0-based position in the plan. */
    record Run(int index, String mode, int vcpus, int repeat, long seed) {
        /** "uffd, 4 vCPUs, repeat 0". */
        String label() {
            return String.format(Locale.ROOT, "%s, %d vCPU%s, repeat %d", mode, vcpus, vcpus == 1 ? "" : "s", repeat);
        }

        /** A file name stem that sorts in plan order: "003-uffd-v4-r0" ("003-uffd-kernel-v4-r0" for "uffd [kernel]"). */
        String fileStem() {
            String name = mode.replaceAll("[^A-Za-z0-9+=_-]+", "-").replaceAll("^-|-$", "");
            return String.format(Locale.ROOT, "%03d-%s-v%d-r%d", index, name, vcpus, repeat);
        }
    }

    RunPlan {
        modes = List.copyOf(modes);
        vcpuCounts = List.copyOf(vcpuCounts);
        runs = List.copyOf(runs);
    }

    /** The plan for every mode x vCPU count x repeat, in the order described above. */
    static RunPlan of(Bench bench, List<String> modes, List<Integer> vcpuCounts, int repeats, long seed) {
        if (modes.isEmpty() || vcpuCounts.isEmpty() || repeats < 1) {
            throw new IllegalArgumentException("a plan needs a mode, a vCPU count and at least one repeat");
        }
        List<Run> runs = new ArrayList<>(modes.size() * vcpuCounts.size() * repeats);
        for (int r = 0; r < repeats; r++) {
            for (int v : vcpuCounts) {
                long runSeed = seedFor(seed, v, r);
                for (String m : modes) runs.add(new Run(runs.size(), m, v, r, runSeed));
            }
        }
        return new RunPlan(bench, modes, vcpuCounts, repeats, seed, runs);
    }

    /** The seed of the runs with {@code vcpus} vCPUs in repeat {@code repeat}; never negative. */
    static long seedFor(long seed, int vcpus, int repeat) {
        long h = mix64(seed);
        h = mix64(h + GOLDEN_GAMMA * vcpus);
        h = mix64(h + GOLDEN_GAMMA * (repeat + 1L));
        return h & Long.MAX_VALUE;
    }

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    /** SplitMix64's finalizer (Steele, Lea, Flood 2014): a bijection that spreads every input bit. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
