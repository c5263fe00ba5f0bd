package org.postcopysim.dest.workload;

import java.util.Arrays;
import java.util.Locale;
import org.postcopysim.dest.kvm.HostEvent;

/**
 * How often the host does each thing to guest pages (kernel-background.md §6), in events per
 * second of the runner's time: parsed from {@code reclaim:RATE,migrate:RATE,mprotect-ro:RATE,
 * mprotect-rw:RATE,convert:RATE}, any subset in any order ({@link HostEvent} names the kinds).
 * Immutable; {@link HostEvents#next} draws events from it.
 */
public final class HostEventSpec {
    /** The highest rate one kind may have (events per second): one a nanosecond. */
    public static final double MAX_RATE_PER_SEC = 1e9;

    private final double[] ratesPerSec;
    private final double totalPerSec;

    private HostEventSpec(double[] ratesPerSec) {
        this.ratesPerSec = ratesPerSec;
        double total = 0;
        for (double r : ratesPerSec) total += r;
        this.totalPerSec = total;
    }

    /**
     * Parses a spec such as {@code reclaim:200,mprotect-ro:50,mprotect-rw:50}.
     *
     * @throws IllegalArgumentException naming the part that is wrong: an unknown kind, a kind
     *                                  given twice, a missing or malformed rate, a rate that is
     *                                  negative, not finite or above {@value #MAX_RATE_PER_SEC},
     *                                  or no rate above 0
     */
    public static HostEventSpec parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty host event spec (expected e.g. reclaim:100,mprotect-ro:10; kinds: "
                    + kinds() + ")");
        }
        double[] rates = new double[HostEvent.KINDS];
        boolean[] seen = new boolean[HostEvent.KINDS];
        for (String part : spec.split(",", -1)) {
            String p = part.trim().toLowerCase(Locale.ROOT);
            int colon = p.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("host event '" + part.trim() + "' has no rate: expected KIND:RATE "
                        + "(events per second), e.g. reclaim:100");
            }
            String name = p.substring(0, colon).trim();
            int kind = HostEvent.kindOf(name);
            if (kind < 0) {
                throw new IllegalArgumentException("unknown host event kind '" + name + "' in '" + part.trim() + "' (kinds: "
                        + kinds() + ")");
            }
            if (seen[kind]) throw new IllegalArgumentException("host event kind '" + name + "' is given twice in '" + spec + "'");
            seen[kind] = true;
            String value = p.substring(colon + 1).trim();
            double rate;
            try {
                rate = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("host event '" + name + "': rate '" + value
                        + "' is not a number (events per second)");
            }
            if (!(rate >= 0) || Double.isInfinite(rate) || rate > MAX_RATE_PER_SEC) {
                throw new IllegalArgumentException("host event '" + name + "': rate " + value
                        + " must be within 0.." + (long) MAX_RATE_PER_SEC + " events per second");
            }
            rates[kind] = rate;
        }
        HostEventSpec s = new HostEventSpec(rates);
        if (!(s.totalPerSec > 0)) throw new IllegalArgumentException("host event spec '" + spec + "' has no rate above 0");
        return s;
    }

    /** Events of {@code kind} per second. */
    public double ratePerSec(int kind) {
        return ratesPerSec[kind];
    }

    /** Events of every kind per second. */
    public double totalPerSec() {
        return totalPerSec;
    }

    private static String kinds() {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < HostEvent.KINDS; k++) {
            if (k > 0) sb.append(", ");
            sb.append(HostEvent.name(k));
        }
        return sb.toString();
    }

    /** The canonical form, the kinds with a rate above 0 in kind order; {@link #parse} reads it back. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < HostEvent.KINDS; k++) {
            if (ratesPerSec[k] == 0) continue;
            if (sb.length() > 0) sb.append(',');
            double r = ratesPerSec[k];
            sb.append(HostEvent.name(k)).append(':').append(r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostEventSpec other && Arrays.equals(ratesPerSec, other.ratesPerSec);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ratesPerSec);
    }
}
