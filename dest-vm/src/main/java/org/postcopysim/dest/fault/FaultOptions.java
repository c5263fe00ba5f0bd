package org.postcopysim.dest.fault;

import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;

/**
 * How faults are delivered and resolved, and how the vCPUs share memory.
 *
 * @param mode                   the fault mode
 * @param uffdReaders            reader threads per userfaultfd (uffd modes)
 * @param uffdScope              one uffd for all memory, or one per vCPU range
 * @param internalAccessFraction fraction of accesses made by KVM itself, which cannot exit and
 *                               fault through the uffd (uffd+kvm-userfault only)
 * @param partitioned            each vCPU accesses its own range (true) or all memory (false)
 */
public record FaultOptions(FaultMode mode, int uffdReaders, UffdSet.Scope uffdScope, double internalAccessFraction,
                           boolean partitioned) {
    /** KVM Userfault, one reader, one shared uffd, no internal accesses, overlapped access. */
    public static final FaultOptions DEFAULT = new FaultOptions(FaultMode.KVM_USERFAULT, 1, UffdSet.Scope.SHARED, 0, false);

    public FaultOptions {
        if (uffdReaders < 1 || uffdReaders > 1024) throw new IllegalArgumentException("uffd readers must be within 1..1024, got " + uffdReaders);
        if (!(internalAccessFraction >= 0 && internalAccessFraction <= 1)) {
            throw new IllegalArgumentException("internal access fraction must be within 0..1, got " + internalAccessFraction);
        }
        if (internalAccessFraction > 0 && mode != FaultMode.UFFD_KVM_USERFAULT) {
            throw new IllegalArgumentException("--internal-access-fraction applies to uffd+kvm-userfault only (mode is " + mode + ")");
        }
        if (uffdScope == UffdSet.Scope.PER_VCPU && !partitioned) {
            throw new IllegalArgumentException("--uffd-scope per-vcpu needs --access partitioned: with overlapped access "
                    + "every vCPU touches every page, so no page belongs to one vCPU's uffd");
        }
    }

    /** Reader threads per userfaultfd as the summaries report them: 0 in a mode without one. */
    public int reportedReaders() {
        return mode.usesUffd() ? uffdReaders : 0;
    }

    /** The uffd scope as the summaries and the CLI spell it ("shared", "per-vcpu"); "" in a mode without a uffd. */
    public String reportedUffdScope() {
        return mode.usesUffd() ? uffdScope.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') : "";
    }

    /** "partitioned" or "overlapped". */
    public String accessName() {
        return partitioned ? "partitioned" : "overlapped";
    }

    public FaultOptions withMode(FaultMode m) {
        return new FaultOptions(m, uffdReaders, uffdScope, internalAccessFraction, partitioned);
    }
}
