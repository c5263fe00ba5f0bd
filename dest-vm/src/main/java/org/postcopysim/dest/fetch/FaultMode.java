package org.postcopysim.dest.fetch;

import java.util.Locale;

/**
 * How the destination learns that a guest access needs a page that has not arrived
 * (kernel-background.md §2 to §5).
 */
public enum FaultMode {
    /** KVM_MEM_USERFAULT: a bit per gfn; a vCPU access to a set bit exits with KVM_EXIT_MEMORY_FAULT. */
    KVM_USERFAULT("kvm-userfault"),
    /** KVM_MEM_EXIT_ON_MISSING: a vCPU access to a page missing from the host page tables exits. */
    EXIT_ON_MISSING("exit-on-missing"),
    /** Classic userfaultfd: the faulting thread sleeps on the uffd's wait queue until a reader resolves it. */
    UFFD("uffd"),
    /** vCPU accesses exit through the bitmap; KVM-internal accesses, which cannot exit, fault through the uffd. */
    UFFD_KVM_USERFAULT("uffd+kvm-userfault"),
    /**
     * No userfault handling at all (the first column of the KVM Userfault series' table): the
     * host kernel resolves each first-touch fault itself, in the faulting thread, as it gives
     * anonymous memory a fresh page. Nothing is fetched, so only the fault benchmark and the
     * simulator offer it: a migration needs one of the other modes.
     */
    NONE("none");

    private final String cliName;

    FaultMode(String cliName) {
        this.cliName = cliName;
    }

    /** The name used on the command line and in summaries. */
    public String cliName() {
        return cliName;
    }

    /** Whether pages are missing in the host page tables (userfaultfd MISSING registration). */
    public boolean usesHostMapping() {
        return this != KVM_USERFAULT;
    }

    /** Whether the KVM Userfault bitmap guards vCPU accesses. */
    public boolean usesUserfaultBitmap() {
        return this == KVM_USERFAULT || this == UFFD_KVM_USERFAULT;
    }

    /** Whether some faults sleep on a userfaultfd wait queue. */
    public boolean usesUffd() {
        return this == UFFD || this == UFFD_KVM_USERFAULT;
    }

    /** Whether a migration can run in this mode (its destination can fetch missing pages). */
    public boolean migrates() {
        return this != NONE;
    }

    public static FaultMode parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        for (FaultMode m : values()) {
            if (m.cliName.equals(t)) return m;
        }
        throw new IllegalArgumentException("unknown fault mode '" + s
                + "' (expected kvm-userfault, exit-on-missing, uffd, uffd+kvm-userfault or none)");
    }

    @Override
    public String toString() {
        return cliName;
    }
}
