package org.postcopysim.cli.soak;

import java.util.List;
import org.postcopysim.dest.MigrationSummary;
import org.postcopysim.source.SourceResult;

/**
 * What one soak run produced, as the invariants need it: both sides' verdicts, the guest's
 * stale reads, the optional recovery and stall counts (-1 when this build does not report
 * them), whether the run finished within its bound, and the leak and memory findings after it.
 *
 * @param finished             the run ended within {@code boundMs}
 * @param destVerified         the destination's verdict (false when the run did not finish)
 * @param destError            why the destination failed, or null
 * @param pagesTotal           pages of the guest
 * @param pagesVerified        pages the source verified, as the destination reports it
 * @param staleReads           guest reads that found a stale or zero page
 * @param sourceVerified       the source's verdict
 * @param sourcePagesVerified  pages the source verified, as the source reports it
 * @param sourceError          why the source failed, or null
 * @param recoveries           links dropped and resumed (-1: not reported)
 * @param stalls               vCPU waits longer than the stall timeout (-1: not reported)
 * @param elapsedMs            wall time of the run (ms)
 * @param boundMs              longest a run may take before its vCPUs count as stuck (ms)
 * @param leaks                Netty leak reports that appeared during or after the run
 * @param memory               memory that did not return to its baseline, or null
 */
record Outcome(boolean finished, boolean destVerified, String destError, long pagesTotal, long pagesVerified,
               long staleReads, boolean sourceVerified, long sourcePagesVerified, String sourceError,
               long recoveries, long stalls, long elapsedMs, long boundMs, List<String> leaks, String memory,
               long refetchedArrivedPages, List<String> mmuViolations) {

    /** The destination's error of a run that did not end within its bound. */
    static final String DID_NOT_FINISH = "did not finish";

    Outcome {
        leaks = List.copyOf(leaks);
        mmuViolations = List.copyOf(mmuViolations);
    }

    /** An outcome whose MMU side is clean (no arrived page requested again, every MMU invariant held). */
    Outcome(boolean finished, boolean destVerified, String destError, long pagesTotal, long pagesVerified,
            long staleReads, boolean sourceVerified, long sourcePagesVerified, String sourceError,
            long recoveries, long stalls, long elapsedMs, long boundMs, List<String> leaks, String memory) {
        this(finished, destVerified, destError, pagesTotal, pagesVerified, staleReads, sourceVerified, sourcePagesVerified,
                sourceError, recoveries, stalls, elapsedMs, boundMs, leaks, memory, 0, List.of());
    }

    /** From the two sides' reports; the leak and memory findings are added later. */
    static Outcome of(MigrationSummary s, SourceResult r, long elapsedMs, long boundMs) {
        return new Outcome(true, s.verified(), s.error(), s.pagesTotal(), s.pagesVerified(), s.staleReads(),
                r.verified(), r.pagesVerified(), r.error(), optional(s, "recoveries"), optional(s, "stalls"),
                elapsedMs, boundMs, List.of(), null, s.mmu().refetchedArrivedPages(), s.mmu().violations());
    }

    /** A run that did not end within its bound. */
    static Outcome unfinished(long elapsedMs, long boundMs) {
        return new Outcome(false, false, DID_NOT_FINISH, 0, 0, 0, false, 0, null, -1, -1, elapsedMs, boundMs,
                List.of(), null);
    }

    Outcome withFindings(List<String> leakReports, String memoryFinding) {
        return new Outcome(finished, destVerified, destError, pagesTotal, pagesVerified, staleReads, sourceVerified,
                sourcePagesVerified, sourceError, recoveries, stalls, elapsedMs, boundMs, leakReports, memoryFinding,
                refetchedArrivedPages, mmuViolations);
    }

    // A component another build may not have (postcopy recovery, the stall watchdog): -1 then.
    private static long optional(MigrationSummary s, String accessor) {
        try {
            Object v = MigrationSummary.class.getMethod(accessor).invoke(s);
            return v instanceof Number n ? n.longValue() : -1;
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }
}
