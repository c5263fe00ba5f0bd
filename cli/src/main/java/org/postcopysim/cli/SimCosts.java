package org.postcopysim.cli;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;
import picocli.CommandLine;

/**
 * The simulator's cost model from {@code --cost-file} and {@code --host-cpus}, as {@code simulate}
 * and {@code fault-bench --backend sim} take them: the defaults, then the file, then the CPU
 * count; a file that cannot be read or a bad value is a usage error naming its option.
 */
public final class SimCosts {
    private SimCosts() {
    }

    /** @param costFile null for none; @param hostCpus null to keep the model's */
    public static CostModel resolve(CommandLine cl, Path costFile, Integer hostCpus) {
        CostModel costs = CostModel.defaults();
        if (costFile != null) {
            CostModel base = costs;
            CostModel[] withFile = new CostModel[1];
            OptionCheck.check(cl, "--cost-file", () -> {
                try {
                    withFile[0] = base.withFile(costFile);
                } catch (UncheckedIOException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
            });
            costs = withFile[0];
        }
        if (hostCpus != null) {
            CostModel base = costs;
            CostModel[] withCpus = new CostModel[1];
            OptionCheck.check(cl, "--host-cpus", () -> withCpus[0] = base.with(Cost.HOST_CPUS, hostCpus, "--host-cpus"));
            costs = withCpus[0];
        }
        return costs;
    }
}
