package org.postcopysim.dest.kvm;

/**
 * How the VM's MMU side is set up (kernel-background.md §6): its type, whether permission
 * upgrades notify, and its private memory.
 *
 * @param vmType          what a host-address event's kvm_arch_guest_memory_reclaimed does
 * @param notifyUpgrades  the variant of "[PATCH] mmu_notifiers: Notify on pte permission upgrades":
 *                        RO -> RW upgrades send an invalidation too (KVM then zaps instead of
 *                        upgrading lazily); off in Linux as it is
 * @param guestMemfd      every memslot is created with KVM_MEM_GUEST_MEMFD, so its gfns can be
 *                        private (needed for private memory and for conversions)
 * @param privateFraction fraction of the gfns of each memslot that start private (0..1; needs
 *                        {@code guestMemfd})
 * @param privateSeed     seed of the choice of private gfns (one hash per gfn)
 */
public record MmuOptions(VmType vmType, boolean notifyUpgrades, boolean guestMemfd, double privateFraction,
                         long privateSeed) {
    /** A default VM: no guest_memfd, Linux's upgrades without notification. */
    public static final MmuOptions DEFAULT = new MmuOptions(VmType.DEFAULT, false, false, 0, 0);

    public MmuOptions {
        if (vmType == null) throw new IllegalArgumentException("a VM type is needed");
        if (!(privateFraction >= 0 && privateFraction <= 1)) {
            throw new IllegalArgumentException("private fraction must be within 0..1, got " + privateFraction);
        }
        if (privateFraction > 0 && !guestMemfd) {
            throw new IllegalArgumentException("private memory (fraction " + privateFraction
                    + ") needs guest_memfd-backed memslots: private gfns have no host address");
        }
    }

    /** Guest_memfd memslots with {@code fraction} of their gfns private, chosen from {@code seed}. */
    public MmuOptions withPrivateMemory(double fraction, long seed) {
        return new MmuOptions(vmType, notifyUpgrades, true, fraction, seed);
    }

    public MmuOptions withVmType(VmType type) {
        return new MmuOptions(type, notifyUpgrades, guestMemfd, privateFraction, privateSeed);
    }

    public MmuOptions withNotifyUpgrades(boolean notify) {
        return new MmuOptions(vmType, notify, guestMemfd, privateFraction, privateSeed);
    }
}
