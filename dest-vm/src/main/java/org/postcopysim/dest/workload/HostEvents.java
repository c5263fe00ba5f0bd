package org.postcopysim.dest.workload;

import org.postcopysim.dest.kvm.HostEvent;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.memory.GuestLayout;

/**
 * The seeded source of host events the runners call: a Poisson process of the spec's total
 * rate, each event's kind drawn in proportion to its rate and its page uniformly over the guest.
 * Pure: it reads no clock and only says how long after the previous event the next one comes;
 * the thread runner sleeps that long, the simulator schedules it in virtual time, a test may
 * ignore it. The same seed gives the same events on every JVM; allocation-free.
 */
public final class HostEvents {
    private HostEvents() {
    }

    /**
     * Fills {@code out} with the next event: three draws from {@code rng} (the delay, then the
     * kind, then the page), so that a seed replays. Returns {@code out}.
     */
    public static HostEvent next(SplitMix64 rng, HostEventSpec spec, GuestLayout layout, HostEvent out) {
        double u = rng.nextDouble();
        double delaySec = -Math.log1p(-u) / spec.totalPerSec();
        long delayNs = (long) Math.min(Math.rint(delaySec * 1e9), (double) (Long.MAX_VALUE >> 1));
        double pick = rng.nextDouble() * spec.totalPerSec();
        int kind = -1;
        for (int k = 0; k < HostEvent.KINDS; k++) {
            double r = spec.ratePerSec(k);
            if (r == 0) continue;
            kind = k;
            if (pick < r) break;
            pick -= r;
        }
        long gfn = layout.gfnOfPageIndex(rng.nextLong(layout.totalPages()));
        return out.set(kind, gfn, delayNs);
    }
}
