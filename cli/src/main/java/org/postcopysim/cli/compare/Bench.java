package org.postcopysim.cli.compare;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** What each run of {@code compare} measures, and the subcommand that a child JVM runs for it. */
enum Bench {
    /** Fault handling alone, no network: {@code fault-bench}. */
    FAULT("fault", "fault-bench"),
    /** A whole two-process migration: {@code demo}. */
    MIGRATION("migration", "demo");

    /** The name on the command line and in results ("fault", "migration"). */
    final String label;
    /** The postcopy-sim subcommand the child JVM runs. */
    final String subcommand;

    Bench(String label, String subcommand) {
        this.label = label;
        this.subcommand = subcommand;
    }

    /** picocli converter: "fault" or "migration". */
    static final class Converter implements ITypeConverter<Bench> {
        @Override
        public Bench convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            for (Bench b : values()) {
                if (b.label.equals(v)) return b;
            }
            throw new TypeConversionException("expected fault or migration, got '" + value + "'");
        }
    }
}
