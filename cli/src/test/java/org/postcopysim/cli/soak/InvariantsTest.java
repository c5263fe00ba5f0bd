package org.postcopysim.cli.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class InvariantsTest {
    static Outcome passing() {
        return new Outcome(true, true, null, 2048, 2048, 0, true, 2048, null, 0, 0, 900, 120_000, List.of(), null);
    }

    @Test
    void aVerifiedRunViolatesNothing() {
        assertEquals(List.of(), Invariants.violations(passing()));
        assertEquals(List.of(), Invariants.violations(new Outcome(true, true, null, 8, 8, 0, true, 8, null, -1, -1, 1, 2,
                List.of(), null)), "counts this build does not report are not checked");
    }

    @Test
    void eachBrokenInvariantIsNamed() {
        Outcome p = passing();
        assertFirst("stale reads", new Outcome(true, true, null, 2048, 2048, 3, true, 2048, null, 0, 0, 900, 120_000, List.of(), null));
        assertFirst("pages: 2047 of 2048", new Outcome(true, true, null, 2048, 2047, 0, true, 2047, null, 0, 0, 900, 120_000, List.of(), null));
        assertFirst("not verified: the destination reports boom", new Outcome(true, false, "boom", 2048, 0, 0, false, 0, "x", 0, 0, 900, 120_000, List.of(), null));
        assertFirst("not verified: the source reports a failure",
                new Outcome(true, true, null, 2048, 2048, 0, false, 2048, null, 0, 0, 900, 120_000, List.of(), null));
        assertFirst("verdicts disagree",
                new Outcome(true, true, null, 2048, 2048, 0, false, 2048, null, 0, 0, 900, 120_000, List.of(), null), 1);
        assertFirst("stuck vCPU", new Outcome(true, true, null, 2048, 2048, 0, true, 2048, null, 0, 2, 900, 120_000, List.of(), null));
        assertFirst("stuck: the run did not finish", Outcome.unfinished(120_000, 120_000));
        assertFirst("leak: Netty reported 1", p.withFindings(List.of("ByteBuf leaked"), null));
        assertFirst("memory: heap above", p.withFindings(List.of(), "heap above the baseline"));
        assertFirst("slow", new Outcome(true, true, null, 2048, 2048, 0, true, 2048, null, 0, 0, 130_000, 120_000, List.of(), null));
        assertFirst("refetch: 1 pages that had arrived", new Outcome(true, true, null, 2048, 2048, 0, true, 2048, null, 0, 0,
                900, 120_000, List.of(), null, 1, List.of()));
        assertFirst("mmu: writable stage-2 entry", new Outcome(true, true, null, 2048, 2048, 0, true, 2048, null, 0, 0,
                900, 120_000, List.of(), null, 0, List.of("writable stage-2 entry over a read-only host page")));
    }

    @Test
    void anInjectedDisconnectWithoutARecoveryIsAViolation() {
        RunConfig c = new RunConfig(1, "uffd", 1, org.postcopysim.dest.uffd.UffdSet.Scope.SHARED, false, 0, 1, 4L << 20, 1,
                "uniform", 0, 0, "disconnect@40%", 10_000);
        assertTrue(Invariants.violations(passing(), c).get(0).startsWith("recovery:"));
        Outcome recovered = new Outcome(true, true, null, 2048, 2048, 0, true, 2048, null, 1, 0, 900, 120_000, List.of(), null);
        assertEquals(List.of(), Invariants.violations(recovered, c));
        RunConfig quiet = new RunConfig(1, "uffd", 1, org.postcopysim.dest.uffd.UffdSet.Scope.SHARED, false, 0, 1, 4L << 20, 1,
                "uniform", 0, 0, "delay:2", 500);
        assertTrue(Invariants.violations(recovered, quiet).get(0).startsWith("recovery: 1 link recoveries without"),
                "a link timeout that fires on a live link is a finding");
        assertEquals(List.of(), Invariants.violations(passing(), quiet));
    }

    private static void assertFirst(String expected, Outcome o) {
        assertFirst(expected, o, 0);
    }

    private static void assertFirst(String expected, Outcome o, int index) {
        List<String> v = Invariants.violations(o);
        assertTrue(v.size() > index && v.get(index).startsWith(expected), "expected '" + expected + "' in " + v);
    }
}
