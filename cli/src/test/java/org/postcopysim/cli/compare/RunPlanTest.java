package org.postcopysim.cli.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RunPlanTest {
    private static final List<String> MODES = List.of("kvm-userfault", "uffd", "exit-on-missing");
    private static final List<Integer> VCPUS = List.of(1, 2, 8);

    @Test
    void hasEveryModeVcpuRepeatCombinationOnceWithIndexesInOrder() {
        RunPlan plan = RunPlan.of(Bench.FAULT, MODES, VCPUS, 2, 42);
        assertEquals(3 * 3 * 2, plan.runs().size());
        Set<String> combos = new HashSet<>();
        for (int i = 0; i < plan.runs().size(); i++) {
            RunPlan.Run r = plan.runs().get(i);
            assertEquals(i, r.index());
            assertTrue(combos.add(r.mode() + "/" + r.vcpus() + "/" + r.repeat()), r::toString);
        }
    }

    @Test
    void ordersByRepeatThenVcpusThenModeSoEachModeIsSpreadOverTheComparison() {
        List<RunPlan.Run> runs = RunPlan.of(Bench.FAULT, MODES, VCPUS, 2, 42).runs();
        assertEquals(List.of("kvm-userfault", "uffd", "exit-on-missing"), runs.subList(0, 3).stream().map(RunPlan.Run::mode).toList());
        assertEquals(List.of(1, 1, 1, 2, 2, 2, 8, 8, 8), runs.subList(0, 9).stream().map(RunPlan.Run::vcpus).toList());
        assertTrue(runs.subList(0, 9).stream().allMatch(r -> r.repeat() == 0));
        assertTrue(runs.subList(9, 18).stream().allMatch(r -> r.repeat() == 1));
        assertEquals("004-uffd-v2-r0", runs.get(4).fileStem());
        assertEquals("uffd, 2 vCPUs, repeat 0", runs.get(4).label());
    }

    @Test
    void seedsFollowFromTheComparisonSeedAlone() {
        assertEquals(RunPlan.of(Bench.FAULT, MODES, VCPUS, 3, 7).runs(), RunPlan.of(Bench.FAULT, MODES, VCPUS, 3, 7).runs());
        List<RunPlan.Run> a = RunPlan.of(Bench.FAULT, MODES, VCPUS, 3, 7).runs();
        List<RunPlan.Run> b = RunPlan.of(Bench.FAULT, MODES, VCPUS, 3, 8).runs();
        for (int i = 0; i < a.size(); i++) assertNotEquals(a.get(i).seed(), b.get(i).seed());
    }

    @Test
    void modesOfOneCellShareASeedWhileRepeatsAndVcpuCountsDiffer() {
        List<RunPlan.Run> runs = RunPlan.of(Bench.MIGRATION, MODES, VCPUS, 3, 1234).runs();
        Set<Long> distinct = new HashSet<>();
        for (RunPlan.Run r : runs) {
            assertEquals(RunPlan.seedFor(1234, r.vcpus(), r.repeat()), r.seed());
            assertTrue(r.seed() >= 0);
            distinct.add(r.seed());
        }
        assertEquals(VCPUS.size() * 3, distinct.size(), "one seed per (vCPUs, repeat), none shared between cells");
    }

    @Test
    void seedOfACellDoesNotDependOnWhatElseIsInThePlan() {
        RunPlan small = RunPlan.of(Bench.FAULT, List.of("uffd"), List.of(4), 1, 99);
        RunPlan big = RunPlan.of(Bench.FAULT, MODES, List.of(1, 2, 4, 8), 2, 99);
        long inBig = big.runs().stream().filter(r -> r.mode().equals("uffd") && r.vcpus() == 4 && r.repeat() == 0)
                .findFirst().orElseThrow().seed();
        assertEquals(small.runs().get(0).seed(), inBig);
    }

    @Test
    void refusesAnEmptyPlan() {
        assertThrows(IllegalArgumentException.class, () -> RunPlan.of(Bench.FAULT, List.of(), VCPUS, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> RunPlan.of(Bench.FAULT, MODES, VCPUS, 0, 1));
    }
}
