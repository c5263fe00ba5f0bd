package org.postcopysim.kernel;

import org.postcopysim.dest.DestConfig;
import org.postcopysim.dest.HostBackend;
import org.postcopysim.dest.MmuSetup;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.memory.GuestLayout;

/**
 * The destination on the real kernel ({@code --backend kernel}): guest memory is private anonymous
 * memory ({@link GuestRegion}) registered with Linux userfaultfds in MISSING mode, one per uffd of
 * the model (shared, or per vCPU range). The one model of KVM and its fault paths runs as with the
 * model backend; what changes is the host under it:
 * <ul>
 *   <li>a vCPU whose access the model finds unmapped in the host touches the page through native
 *       code and sleeps in the kernel's {@code handle_userfault()} wait queue
 *       ({@link KernelUffdRunner#sleepOnFault});</li>
 *   <li>reader threads {@code poll} and {@code read} the uffd ({@link UffdReader}) and ask the
 *       source for the page over the network, through the model's reader protocol;</li>
 *   <li>every page that arrives, on demand or in the background, is written and CRC32C-checked in
 *       a staging page and only then copied in by {@code UFFDIO_COPY} (DONTWAKE; EEXIST tolerated
 *       and counted); the model then maps it, and {@code UFFDIO_WAKE} wakes the sleepers.</li>
 * </ul>
 * A reader that dies, or a run that fails for any reason, unregisters the memory, which wakes
 * every thread asleep in the kernel.
 *
 * <p>Refused: every fault mode but {@code uffd} (the upstream kernel has no KVM Userfault or
 * exit-on-missing, and no vCPU here is a KVM vCPU), host events (they change host mappings the
 * kernel owns here), and private (guest_memfd) memory.
 */
public final class KernelBackend implements HostBackend {
    public static final KernelBackend INSTANCE = new KernelBackend();

    private KernelBackend() {
    }

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public String refusal(DestConfig config) {
        return refusal(config.faults(), config.mmu());
    }

    /** {@link #refusal(DestConfig)} from the fault options and the host side alone (what a parent process knows). */
    public static String refusal(FaultOptions faults, MmuSetup mmu) {
        if (faults.mode() != FaultMode.UFFD) {
            return "--backend kernel runs --fault-mode uffd only (the upstream kernel has no KVM Userfault or "
                    + "exit-on-missing for host threads): got " + faults.mode().cliName();
        }
        if (mmu.hostEvents() != null) {
            return "--backend kernel cannot run --host-events: host mappings belong to the kernel there, not to the model";
        }
        if (mmu.options().guestMemfd() || mmu.options().privateFraction() > 0) {
            return "--backend kernel cannot run --private-fraction: guest_memfd memory has no host address a "
                    + "userfaultfd could register";
        }
        if (mmu.options().notifyUpgrades()) {
            return "--backend kernel cannot run --notify-upgrades: it is a variant of the modelled MMU notifier, "
                    + "and the kernel backend has no host events to notify";
        }
        return null;
    }

    @Override
    public Guest open(GuestLayout layout) {
        try {
            return new KernelGuest(layout);
        } catch (KernelUnavailable e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
