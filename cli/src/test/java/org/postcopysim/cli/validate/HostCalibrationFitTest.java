package org.postcopysim.cli.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.postcopysim.kernel.KernelCostProbe;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;

/**
 * The wake-up fit: the size it finds simulates the target round trip, for a target the
 * simulator itself made from a known wake-up. The simulated round trip is not a straight line
 * in the wake-up (a fast enough thread's next fault finds the reader still awake and skips the
 * reader's wake-up), so the control shows that the straight line through the first two points,
 * which calibrate-host used before, misses the same target by more than the fit's tolerance.
 */
class HostCalibrationFitTest {
    private static final HostCalibration.Options O = new HostCalibration.Options(1, 1024, 1);
    private static final KernelCostProbe.Wakeup SPLIT = new KernelCostProbe.Wakeup(2_682, 2_662, 2_278);

    /** The steps one calibrate-host run measured on the development VM. */
    private static CostModel base(int hostCpus) {
        return CostModel.defaults().with(Cost.HOST_CPUS, hostCpus, "test").with(Cost.STAGE2_FAULT_NS, 0, "test")
                .with(Cost.COPY_4K_NS, 341, "test").with(Cost.UFFD_POLL_SYSCALL_NS, 409, "test")
                .with(Cost.UFFD_READ_SYSCALL_NS, 409, "test").with(Cost.UFFD_IOCTL_NS, 380, "test")
                .with(Cost.PAGE_ALLOC_NS, 1_764, "test").with(Cost.HOST_FAULT_NS, 9, "test");
    }

    @Test
    void theFitSimulatesTheTargetRoundTripInBothRegimes() {
        for (HostCalibration.WakeRegime regime : HostCalibration.WakeRegime.values()) {
            CostModel b = base(regime == HostCalibration.WakeRegime.IDLE ? 2 : 1);
            double target = HostCalibration.simulatedRoundTripNs(HostCalibration.withWakeup(b, SPLIT, 9_000, regime), O);
            HostCalibration.Fit f = HostCalibration.fit(b, SPLIT, regime, target, O);
            assertEquals(target, f.simFittedNs(), 0.005 * target, regime + ": fitted " + f.wakeupNs() + " ns");
        }
    }

    @Test
    void aStraightLineThroughTwoPointsMissesTheSameTarget() {
        CostModel b = base(2);
        HostCalibration.WakeRegime idle = HostCalibration.WakeRegime.IDLE;
        double target = HostCalibration.simulatedRoundTripNs(HostCalibration.withWakeup(b, SPLIT, 9_000, idle), O);
        double at0 = HostCalibration.simulatedRoundTripNs(HostCalibration.withWakeup(b, SPLIT, 0, idle), O);
        long probe = SPLIT.oneWayNs();
        double slope = (HostCalibration.simulatedRoundTripNs(HostCalibration.withWakeup(b, SPLIT, probe, idle), O) - at0) / probe;
        long line = Math.round((target - at0) / slope);
        double lineSim = HostCalibration.simulatedRoundTripNs(HostCalibration.withWakeup(b, SPLIT, line, idle), O);
        assertTrue(Math.abs(lineSim - target) > 0.05 * target, () -> "the straight line's " + line + " ns simulates "
                + lineSim + " ns against " + target + ": the round trip is linear here, and the test shows nothing");
    }
}
