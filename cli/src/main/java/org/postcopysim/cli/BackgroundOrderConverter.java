package org.postcopysim.cli;

import org.postcopysim.source.policy.BackgroundOrder;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converter for {@code --background-order}: {@link BackgroundOrder#parse}, its message as the usage error. */
public final class BackgroundOrderConverter implements ITypeConverter<BackgroundOrder> {
    /** The option's description, shared by every command that takes it. */
    public static final String DESCRIPTION = "Order of the background stream: linear (gfn order; requests do not move "
            + "the scan), follow-faults (the scan moves next to each page requested, as QEMU's), prepage:W (first the "
            + "W pages around each recent fault, alternating forward and backward from it: Hines and Gopalan's "
            + "adaptive pre-paging) or grow-chunks (CRIU's lazy pages: chunks doubling from 64 KiB to 4 MiB, back "
            + "to 64 KiB next to each fault).";

    @Override
    public BackgroundOrder convert(String value) {
        try {
            return BackgroundOrder.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
