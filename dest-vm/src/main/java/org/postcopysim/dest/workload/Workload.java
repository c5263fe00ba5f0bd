package org.postcopysim.dest.workload;

import java.util.Locale;

/**
 * What the guest's vCPUs do: the access pattern and how many accesses write. Parsed from
 * {@code uniform}, {@code sequential} or {@code zipf[:theta]}.
 */
public record Workload(Kind kind, double zipfTheta, double writeFraction) {
    /** Default Zipf exponent (YCSB's). */
    public static final double DEFAULT_ZIPF_THETA = 0.99;

    public enum Kind {
        /** Every page of the range equally likely. */
        UNIFORM,
        /** Page after page through the range, wrapping, from a per-vCPU offset. */
        SEQUENTIAL,
        /** Few hot pages, many cold ones; hot ranks scattered over the range. */
        ZIPF
    }

    public Workload {
        if (!(writeFraction >= 0 && writeFraction <= 1)) {
            throw new IllegalArgumentException("write fraction must be within 0..1, got " + writeFraction);
        }
        if (kind == Kind.ZIPF && !(zipfTheta > 0)) {
            throw new IllegalArgumentException("zipf theta must be positive, got " + zipfTheta);
        }
    }

    /** Parses {@code uniform}, {@code sequential}, {@code zipf} or {@code zipf:THETA}. */
    public static Workload parse(String spec, double writeFraction) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        String name = colon < 0 ? s : s.substring(0, colon);
        String arg = colon < 0 ? null : s.substring(colon + 1);
        switch (name) {
            case "uniform":
            case "sequential":
                if (arg != null) throw new IllegalArgumentException("workload '" + name + "' takes no parameter: " + spec);
                return new Workload(name.equals("uniform") ? Kind.UNIFORM : Kind.SEQUENTIAL, 0, writeFraction);
            case "zipf":
                double theta = DEFAULT_ZIPF_THETA;
                if (arg != null) {
                    try {
                        theta = Double.parseDouble(arg);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("zipf theta is not a number: " + spec);
                    }
                }
                return new Workload(Kind.ZIPF, theta, writeFraction);
            default:
                throw new IllegalArgumentException("unknown workload '" + spec + "' (expected uniform, sequential or zipf[:theta])");
        }
    }

    @Override
    public String toString() {
        String k = kind.name().toLowerCase(Locale.ROOT);
        return kind == Kind.ZIPF ? k + ":" + zipfTheta : k;
    }
}
