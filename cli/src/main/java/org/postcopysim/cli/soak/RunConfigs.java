package org.postcopysim.cli.soak;

import java.util.List;
import java.util.SplittableRandom;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.memory.PageContents;
import org.postcopysim.source.policy.BackgroundOrder;

/**
 * Draws a soak run's configuration from its run seed, and run seeds from the soak's seed. Pure:
 * the same seed and features give the same configuration on every machine, which is what makes
 * {@code soak --replay SEED} replay a run.
 */
final class RunConfigs {
    static final List<String> MODES = List.of("kvm-userfault", "exit-on-missing", "uffd", "uffd+kvm-userfault");
    static final List<String> WORKLOADS = List.of("uniform", "sequential", "zipf", "hotset");
    static final double[] WRITE_FRACTIONS = {0, 0.1, 0.2, 0.5};
    static final double[] INTERNAL_ACCESS_FRACTIONS = {0, 0.1, 0.3};
    static final int MIN_VCPUS = 1;
    static final int MAX_VCPUS = 4;
    static final int MIN_GUEST_MIB = 4;
    static final int MAX_GUEST_MIB = 32;
    static final int MAX_MEMSLOTS = 3;
    static final int MIN_CAP_MIB_PER_SEC = 8;
    static final int MAX_CAP_MIB_PER_SEC = 64;
    /** The short link timeout a quarter of the runs get (ms): every quiet connection then lives on keepalives. */
    static final long SHORT_LINK_TIMEOUT_MS = 500;
    /**
     * The gaps before each memslot a third of the runs get (pages): none of them a multiple of 64
     * or 512, so gfn, memslot offset and dense page index never line up.
     */
    static final long[] MEMSLOT_GAP_PAGES = {0x10D, 0x3FF1, 0x40001};

    /** The host events a run may get (events per second), every kind but conversions. */
    static final List<String> HOST_EVENT_MENU = List.of(
            "reclaim:2000,migrate:1000,mprotect-ro:1000,mprotect-rw:1000",
            "reclaim:500",
            "migrate:1000",
            "mprotect-ro:2000,mprotect-rw:2000");
    /** Conversions, added in runs with private memory. */
    static final String CONVERSIONS = "convert:1000";
    /** The background orders a run may get: every kind, the default twice as often. */
    static final List<BackgroundOrder> BACKGROUND_ORDERS = List.of(BackgroundOrder.FOLLOW_FAULTS,
            BackgroundOrder.FOLLOW_FAULTS, BackgroundOrder.LINEAR, BackgroundOrder.prepage(64), BackgroundOrder.GROW_CHUNKS);
    /** The fraction of private gfns a run with private memory gets. */
    static final double PRIVATE_FRACTION = 0.5;

    private RunConfigs() {}

    /** The seed of run {@code index} (0-based) of a soak seeded {@code soakSeed}; never negative. */
    static long runSeed(long soakSeed, int index) {
        return PageContents.mix64(soakSeed * 0x9E3779B97F4A7C15L + index + 1) & Long.MAX_VALUE;
    }

    static RunConfig forSeed(long runSeed, Features features) {
        SplittableRandom r = new SplittableRandom(runSeed);
        String mode = MODES.get(r.nextInt(MODES.size()));
        boolean uffd = mode.startsWith("uffd");
        int readers = uffd ? 1 + r.nextInt(2) : 1;
        UffdSet.Scope scope = uffd && r.nextBoolean() ? UffdSet.Scope.PER_VCPU : UffdSet.Scope.SHARED;
        // per-vCPU uffds need partitioned access (each page belongs to one vCPU's uffd)
        boolean partitioned = scope == UffdSet.Scope.PER_VCPU || r.nextInt(4) == 0;
        double internal = mode.equals("uffd+kvm-userfault") ? INTERNAL_ACCESS_FRACTIONS[r.nextInt(INTERNAL_ACCESS_FRACTIONS.length)] : 0;
        int vcpus = MIN_VCPUS + r.nextInt(MAX_VCPUS - MIN_VCPUS + 1);
        int guestMib = MIN_GUEST_MIB + 2 * r.nextInt((MAX_GUEST_MIB - MIN_GUEST_MIB) / 2 + 1);
        int memslots = 1 + r.nextInt(MAX_MEMSLOTS);
        String workload = WORKLOADS.get(r.nextInt(WORKLOADS.size()));
        double writes = WRITE_FRACTIONS[r.nextInt(WRITE_FRACTIONS.length)];
        long cap = r.nextInt(3) == 0 ? 0
                : (long) (MIN_CAP_MIB_PER_SEC + r.nextInt(MAX_CAP_MIB_PER_SEC - MIN_CAP_MIB_PER_SEC + 1)) << 20;
        // about a third of the runs without fault injection, the rest spread over the menu
        List<String> menu = features.chaosMenu();
        String chaos = menu.isEmpty() || r.nextInt(3) == 0 ? null : menu.get(r.nextInt(menu.size()));
        long linkTimeoutMs = r.nextInt(4) == 0 ? SHORT_LINK_TIMEOUT_MS : org.postcopysim.protocol.Reliability.DEFAULT_LINK_TIMEOUT.toMillis();
        // Drawn last, so that every earlier choice of a seed is what it was before gaps existed.
        long gapBytes = r.nextInt(3) == 0 ? MEMSLOT_GAP_PAGES[r.nextInt(MEMSLOT_GAP_PAGES.length)] * 4096 : 0;
        // Then host events in half of the runs, and in half of those that can serve private memory
        // (the KVM Userfault modes) private memory with conversions.
        String hostEvents = r.nextBoolean() ? HOST_EVENT_MENU.get(r.nextInt(HOST_EVENT_MENU.size())) : null;
        Double privateFraction = null;
        if (hostEvents != null && FaultMode.parse(mode).usesUserfaultBitmap() && r.nextBoolean()) {
            privateFraction = PRIVATE_FRACTION;
            hostEvents = hostEvents + "," + CONVERSIONS;
        }
        // Drawn after everything else, so that the earlier choices of a seed stay what they were.
        BackgroundOrder order = BACKGROUND_ORDERS.get(r.nextInt(BACKGROUND_ORDERS.size()));
        return new RunConfig(runSeed, mode, readers, scope, partitioned, internal, vcpus, (long) guestMib << 20,
                memslots, workload, writes, cap, chaos, linkTimeoutMs, gapBytes, hostEvents, privateFraction, order);
    }
}
