package org.postcopysim.sim.dest;

import java.util.List;
import org.postcopysim.dest.model.DestModel;

/**
 * The model's MMU counters at the end of a simulated run (read from {@link DestModel}), and the
 * verdict of its MMU invariants.
 *
 * @param commitRetries    the simulator's count of stepped faults whose commit (under the MMU lock's read
 *                         side) retried because an invalidation began or ended since their lookup
 * @param mmuLockContended acquisitions of the simulated MMU lock, either side, that had to wait
 * @param violations       {@link DestModel#mmuViolations()}, empty when every invariant holds
 * @param internalAccesses accesses KVM made itself (through the vCPUs' pfn caches)
 * @param pfnCacheRetries  pfn-cache refreshes that retried (an invalidation of the page in progress, or one
 *                         ended under the refresh)
 * @param mmuChecks        checks of the MMU invariants during the run, besides the one at its end
 */
public record SimMmuCounters(long hostEvents, long invalidations, long stage2Zapped, long localRefaults,
                             long pfnCacheInvalidations, long pfnCacheRefreshes, long retriedFaults, long lazyUpgrades,
                             long refetchedArrivedPages, long commitRetries, long mmuLockContended,
                             List<String> violations, long internalAccesses, long pfnCacheRetries, long mmuChecks) {
    public SimMmuCounters {
        violations = List.copyOf(violations);
    }

    /** Without internal accesses or checks during the run. */
    public SimMmuCounters(long hostEvents, long invalidations, long stage2Zapped, long localRefaults,
                          long pfnCacheInvalidations, long pfnCacheRefreshes, long retriedFaults, long lazyUpgrades,
                          long refetchedArrivedPages, long commitRetries, long mmuLockContended, List<String> violations) {
        this(hostEvents, invalidations, stage2Zapped, localRefaults, pfnCacheInvalidations, pfnCacheRefreshes, retriedFaults,
                lazyUpgrades, refetchedArrivedPages, commitRetries, mmuLockContended, violations, 0, 0, 0);
    }

    /** The counters and invariants of {@code d}'s model; call it with the vCPUs and the host events quiescent. */
    public static SimMmuCounters of(SimDest d) {
        DestModel m = d.model();
        return new SimMmuCounters(m.hostEvents(), m.invalidations(), m.stage2Zapped(), m.localRefaults(),
                m.pfnCacheInvalidations(), m.pfnCacheRefreshes(), m.retriedFaults(), m.lazyUpgrades(),
                m.refetchedArrivedPages(), d.commitRetries(), d.mmuLock().contended(), m.mmuViolations(),
                m.totals().internalAccesses, m.vm().pfnCacheRetries(), d.mmuChecks());
    }

    /**
     * Why the run must fail, or null: an MMU invariant broken, or a page fetched again after it
     * had arrived (a second copy would overwrite the guest's writes).
     */
    public String failure() {
        if (!violations.isEmpty()) {
            return "MMU invariants violated (" + violations.size() + "): " + String.join("; ", violations);
        }
        if (refetchedArrivedPages > 0) {
            return refetchedArrivedPages + " pages were fetched again after they had arrived";
        }
        return null;
    }
}
