package org.postcopysim.cli;

import org.postcopysim.source.SourceConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The guest's memory: how much, in how many memslots. */
public final class GuestOptions {
    @Option(names = "--guest-mem", paramLabel = "SIZE", converter = ByteSize.class, defaultValue = "256M",
            description = "Guest memory (e.g. 256M, 1G; a multiple of 4 KiB). Default: ${DEFAULT-VALUE}.")
    long guestBytes;

    @Option(names = "--memslots", paramLabel = "N", defaultValue = "2",
            description = "Memslots the guest memory is split into. Default: ${DEFAULT-VALUE}.")
    int memslots;

    /** Checks both values as the source will, so that a bad one is a usage error (exit 2) and {@code demo} starts nothing. */
    void validate(CommandLine cl) {
        OptionCheck.check(cl, "--guest-mem", this::validateGuestBytes);
        OptionCheck.check(cl, "--memslots", () -> SourceConfig.defaults().withMemslots(memslots));
    }

    /** Throws IllegalArgumentException when the source would refuse the guest size. */
    void validateGuestBytes() {
        SourceConfig.defaults().withGuestBytes(guestBytes);
    }
}
