package org.postcopysim.cli.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;

/**
 * validate's simulated figure follows the kernel's rule: the fastest of its passes, each pass with
 * its own seed, which draws its own placement phases. With phases far longer than a run each
 * pass lies in one phase, placing or spread as its seed draws, so the passes' rates differ and the
 * figure is the fastest of them. The control is one seed for every pass (the mutation the test
 * catches: {@code seed} instead of {@code seed + p}), checked by hand to give equal rates.
 */
class ValidationRunnerSimTest {
    @Test
    void eachPassDrawsItsOwnPhasesAndTheFigureIsTheFastest() {
        CostModel c = CostModel.defaults().with(Cost.JITTER_PERCENT, 0, "test").with(Cost.HOST_CPUS, 2, "test")
                .with(Cost.STAGE2_FAULT_NS, 0, "test").with(Cost.THREAD_WAKEUP_NS, 20_000, "test")
                .with(Cost.WAKER_CPU_NS, 5_000, "test").with(Cost.WAKEUP_CPU_BUSY_NS, 600, "test")
                .with(Cost.WAKER_CPU_BUSY_NS, 2_000, "test").with(Cost.WAKE_AFFINE_PERCENT, 50, "test")
                .with(Cost.WAKE_AFFINE_RUN_US, 10_000_000, "test");
        ValidationRunner r = new ValidationRunner(c, 256 * 4096L, 1, 6);
        CellResult sim = r.simulated(new ValidationRunner.Cell(ValidateConfig.SHARED_ONE_READER, 1));
        double[] rates = sim.passRates();
        assertEquals(6, rates.length);
        double max = Arrays.stream(rates).max().orElseThrow();
        double min = Arrays.stream(rates).min().orElseThrow();
        assertTrue(max > 1.2 * min, () -> "six seeds, six draws of the phases: " + Arrays.toString(rates));
        assertEquals(max, sim.pagesPerSec());
        assertEquals(6, sim.runs());
        assertEquals(max / min, sim.spread(), 1e-9);
    }
}
