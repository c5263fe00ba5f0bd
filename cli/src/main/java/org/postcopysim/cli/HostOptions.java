package org.postcopysim.cli;

import java.util.ArrayList;
import java.util.List;
import org.postcopysim.dest.DestConfig;
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
        HostEventSpec[] spec = new HostEventSpec[1];
        if (hostEvents != null) OptionCheck.check(cl, "--host-events", () -> spec[0] = HostEventSpec.parse(hostEvents));
        MmuOptions options = MmuOptions.DEFAULT.withNotifyUpgrades(notifyUpgrades);
        if (privateFraction != null) {
            MmuOptions[] withPrivate = new MmuOptions[1];
            OptionCheck.check(cl, "--private-fraction", () -> withPrivate[0] = options.withPrivateMemory(privateFraction, seed));
            FaultMode mode = faults.mode();
            if (!mode.usesUserfaultBitmap()) {
                throw new ParameterException(cl, "--private-fraction: fault mode " + mode.cliName() + " cannot see faults on "
                        + "private memory (it has no host address, so neither a userfaultfd nor KVM's host lookup sees it); "
                        + "use kvm-userfault or uffd+kvm-userfault");
            }
            return new MmuSetup(withPrivate[0], spec[0]);
        }
        if (spec[0] != null && spec[0].ratePerSec(HostEvent.CONVERT) > 0) {
            throw new ParameterException(cl, "--host-events: convert flips pages between private and shared, which needs "
                    + "guest_memfd memory: give --private-fraction too (0 for all shared)");
        }
        return new MmuSetup(options, spec[0]);
    }

    DestConfig apply(DestConfig base, MmuSetup setup) {
        return base.withMmu(setup);
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
