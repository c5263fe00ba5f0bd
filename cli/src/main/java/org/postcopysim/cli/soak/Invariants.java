package org.postcopysim.cli.soak;

import java.util.ArrayList;
import java.util.List;

/**
 * The soak's oracle, checked after every run; the first violation stops the soak. Like
 * uffd-stress's final counter check (kernel-background.md §8), but over a whole migration: every
 * page verified on both sides, no stale read, no stuck vCPU, a recovery exactly where a link was
 * dropped on purpose, no arrived page requested again and every MMU invariant held through the
 * host events (docs/kvm-model.md), no leaked buffer, memory back to its baseline.
 */
final class Invariants {
    private Invariants() {}

    /** Every invariant {@code o} violates, in the order they are checked; empty when the run passed. */
    static List<String> violations(Outcome o, RunConfig c) {
        List<String> v = violations(o);
        boolean disconnect = c.chaos() != null && c.chaos().contains("disconnect");
        if (o.finished() && disconnect && o.recoveries() == 0) {
            v.add("recovery: a disconnect was injected but the destination reports no completed recovery");
        }
        if (o.finished() && !disconnect && o.recoveries() > 0) {
            // Nothing in the menu but a disconnect drops a link: a link timeout fired on a live link.
            v.add("recovery: " + o.recoveries() + " link recoveries without an injected disconnect (link timeout "
                    + c.linkTimeoutMs() + " ms)");
        }
        return v;
    }

    static List<String> violations(Outcome o) {
        List<String> v = new ArrayList<>();
        if (!o.finished()) {
            String detail = o.destError() == null || o.destError().equals(Outcome.DID_NOT_FINISH) ? "" : ": " + o.destError();
            v.add("stuck: the run did not finish within " + o.boundMs() + " ms (a vCPU or the transfer hung)" + detail);
            return v;
        }
        if (!o.destVerified()) v.add("not verified: the destination reports " + (o.destError() == null ? "a failure" : o.destError()));
        if (!o.sourceVerified()) v.add("not verified: the source reports " + (o.sourceError() == null ? "a failure" : o.sourceError()));
        if (o.destVerified() != o.sourceVerified()) {
            v.add("verdicts disagree: destination " + o.destVerified() + ", source " + o.sourceVerified());
        }
        if (o.pagesTotal() <= 0 || o.pagesVerified() != o.pagesTotal()) {
            v.add("pages: " + o.pagesVerified() + " of " + o.pagesTotal() + " verified");
        }
        if (o.sourcePagesVerified() != o.pagesVerified()) {
            v.add("pages: the source verified " + o.sourcePagesVerified() + ", the destination says " + o.pagesVerified());
        }
        if (o.staleReads() != 0) v.add("stale reads: " + o.staleReads() + " guest reads saw a page before its contents");
        if (o.refetchedArrivedPages() != 0) {
            v.add("refetch: " + o.refetchedArrivedPages() + " pages that had arrived were requested again (a second copy "
                    + "would overwrite the guest's writes)");
        }
        if (!o.mmuViolations().isEmpty()) v.add("mmu: " + String.join("; ", o.mmuViolations()));
        if (o.stalls() > 0) v.add("stuck vCPU: the stall watchdog reported " + org.postcopysim.text.Plural.of(o.stalls(), "stall"));
        if (o.elapsedMs() > o.boundMs()) v.add("slow: the run took " + o.elapsedMs() + " ms, bound " + o.boundMs() + " ms");
        if (!o.leaks().isEmpty()) {
            v.add("leak: Netty reported " + o.leaks().size() + " leaked buffer(s):\n" + String.join("\n", o.leaks()));
        }
        if (o.memory() != null) v.add("memory: " + o.memory());
        return v;
    }
}
