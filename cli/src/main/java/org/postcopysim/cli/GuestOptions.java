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
        OptionCheck.check(cl, "--memslots", () -> SourceConfig.builder().memslots(memslots).build());
    }

    /** Throws IllegalArgumentException when the source would refuse the guest size. */
    void validateGuestBytes() {
        SourceConfig.builder().guestBytes(guestBytes).build();
    }

    @Option(names = "--memslot-gap", paramLabel = "SIZE", converter = GapSize.class, defaultValue = "0",
            description = "Unbacked guest-physical space before each memslot (a multiple of 4 KiB, e.g. 1M), so that a "
                    + "page's gfn, its offset in its memslot and its index in guest memory all differ: a layout that "
                    + "catches a mix-up of the three; 0 puts the memslots back to back from gfn 0. Default: ${DEFAULT-VALUE}.")
    long memslotGapBytes;

    /** {@code --memslot-gap}: a size in whole 4 KiB pages, at most 1 TiB (a usage error otherwise). */
    static final class GapSize implements picocli.CommandLine.ITypeConverter<Long> {
        static final long MAX_BYTES = 1L << 40;

        @Override
        public Long convert(String value) {
            long bytes = ByteSize.parse(value);
            if (bytes % 4096 != 0 || bytes > MAX_BYTES) {
                throw new picocli.CommandLine.TypeConversionException("a multiple of 4 KiB up to 1T, got '" + value + "'");
            }
            return bytes;
        }
    }
}
