package org.postcopysim.guest;

import java.util.Locale;

/**
 * What the guest's vCPUs do: the access pattern and how many accesses write. Parsed from
 * {@code uniform}, {@code sequential}, {@code zipf[:theta]} or {@code hotset[:fraction[:probability]]}.
 *
 * @param zipfTheta      Zipf exponent (zipf)
 * @param hotFraction    fraction of the range that is hot (hotset)
 * @param hotProbability probability that an access goes to the hot pages (hotset)
 */
public record Workload(Kind kind, double zipfTheta, double writeFraction, double hotFraction, double hotProbability) {
    /** Default Zipf exponent (YCSB's). */
    public static final double DEFAULT_ZIPF_THETA = 0.99;
    /** Default hot set: 10% of the pages take 90% of the accesses. */
    public static final double DEFAULT_HOT_FRACTION = 0.1;
    public static final double DEFAULT_HOT_PROBABILITY = 0.9;

    public enum Kind {
        /** Every page of the range equally likely. */
        UNIFORM,
        /** Page after page through the range, wrapping, from a per-vCPU offset. */
        SEQUENTIAL,
        /** Few hot pages, many cold ones; hot ranks scattered over the range. */
        ZIPF,
        /** A hot set (a fraction of the pages, scattered) takes most accesses; the rest are uniform. */
        HOTSET
    }

    /** A workload of {@code kind} with default parameters. */
    public Workload(Kind kind, double zipfTheta, double writeFraction) {
        this(kind, zipfTheta, writeFraction, DEFAULT_HOT_FRACTION, DEFAULT_HOT_PROBABILITY);
    }

    public Workload {
        if (!(writeFraction >= 0 && writeFraction <= 1)) {
            throw new IllegalArgumentException("write fraction must be within 0..1, got " + writeFraction);
        }
        if (kind == Kind.ZIPF && !(zipfTheta > 0)) {
            throw new IllegalArgumentException("zipf theta must be positive, got " + zipfTheta);
        }
        if (kind == Kind.HOTSET && !(hotFraction > 0 && hotFraction <= 1 && hotProbability >= 0 && hotProbability <= 1)) {
            throw new IllegalArgumentException("hotset needs a fraction in (0,1] and a probability in [0,1], got "
                    + hotFraction + " and " + hotProbability);
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
            case "hotset": {
                double fraction = DEFAULT_HOT_FRACTION;
                double probability = DEFAULT_HOT_PROBABILITY;
                if (arg != null) {
                    String[] parts = arg.split(":", -1);
                    if (parts.length > 2) throw new IllegalArgumentException("hotset takes at most two parameters: " + spec);
                    try {
                        fraction = Double.parseDouble(parts[0]);
                        if (parts.length == 2) probability = Double.parseDouble(parts[1]);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("hotset parameters are not numbers: " + spec);
                    }
                }
                return new Workload(Kind.HOTSET, 0, writeFraction, fraction, probability);
            }
            default:
                throw new IllegalArgumentException("unknown workload '" + spec
                        + "' (expected uniform, sequential, zipf[:theta] or hotset[:fraction[:probability]])");
        }
    }

    @Override
    public String toString() {
        String k = kind.name().toLowerCase(Locale.ROOT);
        if (kind == Kind.ZIPF) return k + ":" + zipfTheta;
        if (kind == Kind.HOTSET) return k + ":" + hotFraction + ":" + hotProbability;
        return k;
    }
}
