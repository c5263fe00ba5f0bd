package org.postcopysim.cli;

import java.util.ArrayList;
import java.util.List;
import org.postcopysim.dest.MmuSetup;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.kvm.HostEvent;
import org.postcopysim.dest.kvm.MmuOptions;
import org.postcopysim.dest.workload.HostEventSpec;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The destination host's side (docs/kvm-model.md): host events during postcopy, private memory, notify-on-upgrade. */
public final class HostOptions {
    @Option(names = "--host-events", paramLabel = "SPEC",
            description = "Host events run against the guest while pages arrive, in events per second, drawn from the "
                    + "seed: reclaim:RATE,migrate:RATE,mprotect-ro:RATE,mprotect-rw:RATE,convert:RATE (any subset; "
                    + "convert needs --private-fraction). Each runs the mmu_notifier's invalidate_range_start/end "
                    + "against KVM's stage-2 table and pfn caches; see docs/kvm-model.md.")
    String hostEvents;

    @Option(names = "--private-fraction", paramLabel = "F",
            description = "Back every memslot with guest_memfd and make this fraction (0..1) of its gfns private "
                    + "(confidential-VM memory with no host address). Only kvm-userfault and uffd+kvm-userfault "
                    + "can see faults on private memory.")
    Double privateFraction;

    @Option(names = "--notify-upgrades", negatable = false,
            description = "Model the proposed variant in which read-only to read-write upgrades notify KVM too "
                    + "(it then zaps and refaults instead of upgrading lazily).")
    boolean notifyUpgrades;

    /**
     * The setup these options ask for, checked as the destination will (a usage error naming the
     * option otherwise), for a run in {@code faults}' mode with {@code seed}.
     */
    MmuSetup resolve(CommandLine cl, FaultOptions faults, long seed) {
        HostEventSpec spec = spec(cl);
        checkMode(cl, faults.mode());
        return new MmuSetup(options(cl, seed), spec);
    }

    /**
     * The host events asked for, or null: a bad spec, or conversions without guest_memfd
     * memory, is a usage error.
     */
    public HostEventSpec spec(CommandLine cl) {
        if (hostEvents == null) return null;
        HostEventSpec[] spec = new HostEventSpec[1];
        OptionCheck.check(cl, "--host-events", () -> spec[0] = HostEventSpec.parse(hostEvents));
        if (privateFraction == null && spec[0].ratePerSec(HostEvent.CONVERT) > 0) {
            throw new ParameterException(cl, "--host-events: convert flips pages between private and shared, which needs "
                    + "guest_memfd memory: give --private-fraction too (0 for all shared)");
        }
        return spec[0];
    }

    /** The VM's MMU options, private gfns chosen from {@code seed}; a fraction outside 0..1 is a usage error. */
    public MmuOptions options(CommandLine cl, long seed) {
        MmuOptions options = MmuOptions.DEFAULT.withNotifyUpgrades(notifyUpgrades);
        if (privateFraction == null) return options;
        MmuOptions[] withPrivate = new MmuOptions[1];
        OptionCheck.check(cl, "--private-fraction", () -> withPrivate[0] = options.withPrivateMemory(privateFraction, seed));
        return withPrivate[0];
    }

    /** A usage error when private memory is asked for in {@code mode}, which cannot see faults on it. */
    public void checkMode(CommandLine cl, FaultMode mode) {
        if (privateFraction != null && !mode.usesUserfaultBitmap()) {
            throw new ParameterException(cl, "--private-fraction: fault mode " + mode.cliName() + " cannot see faults on "
                    + "private memory (it has no host address, so neither a userfaultfd nor KVM's host lookup sees it); "
                    + "use kvm-userfault or uffd+kvm-userfault");
        }
    }

    /** The fraction of private gfns asked for; 0 without {@code --private-fraction}. */
    public double privateFraction() {
        return privateFraction == null ? 0 : privateFraction;
    }

    /** Whether {@code --notify-upgrades} was given. */
    public boolean notifyUpgrades() {
        return notifyUpgrades;
    }

    /** The same options for a child {@code dest} process. */
    List<String> asArgs() {
        List<String> a = new ArrayList<>();
        if (hostEvents != null) a.add("--host-events=" + hostEvents);
        if (privateFraction != null) a.add("--private-fraction=" + privateFraction);
        if (notifyUpgrades) a.add("--notify-upgrades");
        return a;
    }
}
