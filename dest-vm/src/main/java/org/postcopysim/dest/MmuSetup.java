package org.postcopysim.dest;

import org.postcopysim.dest.kvm.MmuOptions;
import org.postcopysim.dest.workload.HostEventSpec;

/**
 * The host side of a destination (docs/kvm-model.md): how its VM's MMU is set up (private
 * memory in guest_memfd, the notify-on-upgrade variant) and which host events run against it
 * while the migration is in postcopy.
 *
 * @param options    VM type, notify-on-upgrade, guest_memfd and the fraction of private gfns
 * @param hostEvents reclaim, migration, protection changes and conversions per second, drawn from
 *                   the run's seed; null = none
 */
public record MmuSetup(MmuOptions options, HostEventSpec hostEvents) {
    /** Linux's default MMU, no private memory, no host events. */
    public static final MmuSetup NONE = new MmuSetup(MmuOptions.DEFAULT, null);

    public MmuSetup {
        if (options == null) throw new IllegalArgumentException("MMU options are required");
    }

    public MmuSetup withHostEvents(HostEventSpec spec) {
        return new MmuSetup(options, spec);
    }

    public MmuSetup withOptions(MmuOptions o) {
        return new MmuSetup(o, hostEvents);
    }
}
