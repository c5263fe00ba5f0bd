package org.postcopysim.sim.dest;

import java.util.Objects;
import org.postcopysim.dest.kvm.MmuOptions;
import org.postcopysim.dest.workload.HostEventSpec;

/**
 * The KVM MMU side of a simulated run: the model's {@link MmuOptions} (private memory, the
 * notify-on-upgrade variant) and the host events injected ({@code --host-events}).
 *
 * @param hostEvents the host events' rates, or null for none (then vCPU faults are charged in one
 *                   step and no MMU lock is taken, as in the calibrated runs)
 * @param options    the model's MMU options
 * @param control    {@link SimHostEvents.Control#NONE}, except in the negative controls of the tests
 *                   (without host events it has nothing to act on)
 */
public record SimMmuConfig(HostEventSpec hostEvents, MmuOptions options, SimHostEvents.Control control) {
    /** No host events, the default VM. */
    public static final SimMmuConfig NONE = new SimMmuConfig(null, MmuOptions.DEFAULT, SimHostEvents.Control.NONE);

    public SimMmuConfig {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(control, "control");
    }

    /** Host events at {@code spec}'s rates over the default VM. */
    public static SimMmuConfig of(HostEventSpec spec) {
        return new SimMmuConfig(spec, MmuOptions.DEFAULT, SimHostEvents.Control.NONE);
    }

    public SimMmuConfig withOptions(MmuOptions o) {
        return new SimMmuConfig(hostEvents, o, control);
    }

    public SimMmuConfig withControl(SimHostEvents.Control c) {
        return new SimMmuConfig(hostEvents, options, c);
    }
}
