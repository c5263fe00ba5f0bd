package org.postcopysim.cli.validate;

/** The three backends side by side for one configuration at one vCPU count. */
public record ValidationRow(ValidateConfig config, int vcpus, CellResult kernel, CellResult model, CellResult sim) {
    public double simOverKernel() {
        return sim.pagesPerSec() / kernel.pagesPerSec();
    }

    public double modelOverKernel() {
        return model.pagesPerSec() / kernel.pagesPerSec();
    }
}
