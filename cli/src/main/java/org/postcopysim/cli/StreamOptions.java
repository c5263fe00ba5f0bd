package org.postcopysim.cli;

import org.postcopysim.source.policy.BackgroundOrder;
import picocli.CommandLine.Option;

/** How the source streams pages. */
public final class StreamOptions {
    @Option(names = "--max-bandwidth", paramLabel = "BYTES_PER_SEC", converter = ByteSize.class, defaultValue = "0",
            description = "Cap of the background stream in bytes per second (e.g. 64M); demand pages are never "
                    + "capped (QEMU's max-postcopy-bandwidth). 0 = uncapped. Default: ${DEFAULT-VALUE}.")
    long maxBandwidth;

    @Option(names = "--pages-per-batch", paramLabel = "N", defaultValue = "64",
            description = "Pages per background frame. Default: ${DEFAULT-VALUE}.")
    int pagesPerBatch;

    @Option(names = "--background-order", paramLabel = "ORDER", defaultValue = "follow-faults",
            converter = BackgroundOrderConverter.class,
            description = BackgroundOrderConverter.DESCRIPTION + " Default: ${DEFAULT-VALUE}.")
    BackgroundOrder backgroundOrder;
}
