package org.postcopysim.protocol.chaos;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * What fault injection a side performs on page frames: an immutable, parsed {@code --chaos}
 * spec. The grammar is a comma-separated list of terms, each at most once, in any order:
 *
 * <pre>
 *   disconnect@P%           drop every connection once, when P% of the guest's pages have passed (0 &lt;= P &lt;= 100)
 *   delay:MS                hold each page frame MS milliseconds (0..60000)
 *   jitter:MS               hold each page frame an extra random [0, MS] milliseconds (0..60000)
 *   duplicate:RATE          send/deliver a page frame twice, with probability RATE (0..1)
 *   reorder:RATE            swap a page frame with the next one, with probability RATE (0..1)
 *   corrupt:RATE            flip the last byte of the frame's last page, with probability RATE (0..1)
 *   slow-source:BYTES_PER_SEC  cap page frames to this rate, demand pages included (&gt; 0; 64K, 32M, 1G allowed)
 * </pre>
 *
 * {@link #toString} gives the canonical spec (terms in the order above, values normalized);
 * {@code parse(spec.toString())} equals {@code spec}.
 */
public final class ChaosSpec {
    /** Longest delay or jitter accepted (ms). */
    public static final long MAX_DELAY_MS = 60_000;

    private static final int DISCONNECT = 1;
    private static final int DELAY = 1 << 1;
    private static final int JITTER = 1 << 2;
    private static final int DUPLICATE = 1 << 3;
    private static final int REORDER = 1 << 4;
    private static final int CORRUPT = 1 << 5;
    private static final int SLOW_SOURCE = 1 << 6;

    private final int terms;
    private final double disconnectPercent;
    private final long delayMs;
    private final long jitterMs;
    private final double duplicateRate;
    private final double reorderRate;
    private final double corruptRate;
    private final long slowSourceBytesPerSec;

    private ChaosSpec(int terms, double disconnectPercent, long delayMs, long jitterMs, double duplicateRate,
                      double reorderRate, double corruptRate, long slowSourceBytesPerSec) {
        this.terms = terms;
        this.disconnectPercent = disconnectPercent;
        this.delayMs = delayMs;
        this.jitterMs = jitterMs;
        this.duplicateRate = duplicateRate;
        this.reorderRate = reorderRate;
        this.corruptRate = corruptRate;
        this.slowSourceBytesPerSec = slowSourceBytesPerSec;
    }

    /**
     * Parses {@code spec}.
     *
     * @throws IllegalArgumentException naming the offending term when the spec is empty, a term is
     *     unknown, repeated or malformed, or a value is out of range
     */
    public static ChaosSpec parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty chaos spec (expected terms such as delay:5,corrupt:0.01)");
        }
        int terms = 0;
        double disconnect = 0;
        long delay = 0;
        long jitter = 0;
        double duplicate = 0;
        double reorder = 0;
        double corrupt = 0;
        long slow = 0;
        for (String raw : spec.split(",", -1)) {
            String term = raw.trim();
            int bit;
            if (term.startsWith("disconnect@")) {
                bit = DISCONNECT;
                disconnect = percent(term, term.substring("disconnect@".length()));
            } else if (term.startsWith("delay:")) {
                bit = DELAY;
                delay = millis(term, term.substring("delay:".length()));
            } else if (term.startsWith("jitter:")) {
                bit = JITTER;
                jitter = millis(term, term.substring("jitter:".length()));
            } else if (term.startsWith("duplicate:")) {
                bit = DUPLICATE;
                duplicate = rate(term, term.substring("duplicate:".length()));
            } else if (term.startsWith("reorder:")) {
                bit = REORDER;
                reorder = rate(term, term.substring("reorder:".length()));
            } else if (term.startsWith("corrupt:")) {
                bit = CORRUPT;
                corrupt = rate(term, term.substring("corrupt:".length()));
            } else if (term.startsWith("slow-source:")) {
                bit = SLOW_SOURCE;
                slow = bytesPerSec(term, term.substring("slow-source:".length()));
            } else {
                throw new IllegalArgumentException(term.isEmpty() ? "empty term in chaos spec '" + spec + "'"
                        : "unknown chaos term '" + term + "' (expected disconnect@P%, delay:MS, jitter:MS, "
                        + "duplicate:RATE, reorder:RATE, corrupt:RATE or slow-source:BYTES_PER_SEC)");
            }
            if ((terms & bit) != 0) throw new IllegalArgumentException("chaos term '" + term + "' given twice");
            terms |= bit;
        }
        return new ChaosSpec(terms, disconnect, delay, jitter, duplicate, reorder, corrupt, slow);
    }

    private static double percent(String term, String value) {
        if (!value.endsWith("%")) throw new IllegalArgumentException("chaos term '" + term + "': expected disconnect@P% with a percent sign");
        double p = number(term, value.substring(0, value.length() - 1));
        if (p < 0 || p > 100) throw new IllegalArgumentException("chaos term '" + term + "': percentage must be within 0..100");
        return p;
    }

    private static long millis(String term, String value) {
        long ms;
        try {
            ms = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("chaos term '" + term + "': '" + value + "' is not a whole number of milliseconds");
        }
        if (ms < 0 || ms > MAX_DELAY_MS) {
            throw new IllegalArgumentException("chaos term '" + term + "': milliseconds must be within 0.." + MAX_DELAY_MS);
        }
        return ms;
    }

    private static double rate(String term, String value) {
        double r = number(term, value);
        if (r < 0 || r > 1) throw new IllegalArgumentException("chaos term '" + term + "': rate must be within 0..1");
        return r;
    }

    private static double number(String term, String value) {
        double d;
        try {
            d = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("chaos term '" + term + "': '" + value + "' is not a number");
        }
        if (!Double.isFinite(d) || value.isBlank() || !Character.isDigit(value.charAt(value.length() - 1))) {
            throw new IllegalArgumentException("chaos term '" + term + "': '" + value + "' is not a number");
        }
        return d + 0.0; // -0 becomes 0, so that toString round-trips
    }

    private static long bytesPerSec(String term, String value) {
        String s = value.toUpperCase(Locale.ROOT);
        long mult = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> mult = 1L << 10;
                case 'M' -> mult = 1L << 20;
                case 'G' -> mult = 1L << 30;
                default -> mult = 1;
            }
            if (mult != 1) s = s.substring(0, s.length() - 1);
        }
        long n;
        try {
            n = Math.multiplyExact(Long.parseLong(s), mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("chaos term '" + term + "': '" + value
                    + "' is not a rate in bytes per second (examples: 65536, 64K, 32M, 1G)");
        }
        if (n <= 0) throw new IllegalArgumentException("chaos term '" + term + "': bytes per second must be positive");
        return n;
    }

    /** True when {@code disconnect@P%} was given. */
    public boolean disconnects() {
        return (terms & DISCONNECT) != 0;
    }

    /** P of {@code disconnect@P%} (percent of the guest's pages), or 0 when not given. */
    public double disconnectPercent() {
        return disconnectPercent;
    }

    /** Fixed hold of each page frame (ms); 0 = none. */
    public long delayMs() {
        return delayMs;
    }

    /** Upper bound of the extra random hold of each page frame (ms); 0 = none. */
    public long jitterMs() {
        return jitterMs;
    }

    /** Probability that a page frame goes twice. */
    public double duplicateRate() {
        return duplicateRate;
    }

    /** Probability that a page frame swaps places with the next one. */
    public double reorderRate() {
        return reorderRate;
    }

    /** Probability that a page frame's last page is damaged. */
    public double corruptRate() {
        return corruptRate;
    }

    /** Cap of page frame bytes (bytes per second); 0 = uncapped. */
    public long slowSourceBytesPerSec() {
        return slowSourceBytesPerSec;
    }

    /** The canonical spec; parses back to an equal spec. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        if ((terms & DISCONNECT) != 0) append(b, "disconnect@" + plain(disconnectPercent) + "%");
        if ((terms & DELAY) != 0) append(b, "delay:" + delayMs);
        if ((terms & JITTER) != 0) append(b, "jitter:" + jitterMs);
        if ((terms & DUPLICATE) != 0) append(b, "duplicate:" + plain(duplicateRate));
        if ((terms & REORDER) != 0) append(b, "reorder:" + plain(reorderRate));
        if ((terms & CORRUPT) != 0) append(b, "corrupt:" + plain(corruptRate));
        if ((terms & SLOW_SOURCE) != 0) append(b, "slow-source:" + size(slowSourceBytesPerSec));
        return b.toString();
    }

    private static void append(StringBuilder b, String term) {
        if (b.length() > 0) b.append(',');
        b.append(term);
    }

    private static String plain(double d) {
        return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    private static String size(long bytes) {
        if (bytes % (1L << 30) == 0) return (bytes >> 30) + "G";
        if (bytes % (1L << 20) == 0) return (bytes >> 20) + "M";
        if (bytes % (1L << 10) == 0) return (bytes >> 10) + "K";
        return Long.toString(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChaosSpec s && s.terms == terms && Double.compare(s.disconnectPercent, disconnectPercent) == 0
                && s.delayMs == delayMs && s.jitterMs == jitterMs && Double.compare(s.duplicateRate, duplicateRate) == 0
                && Double.compare(s.reorderRate, reorderRate) == 0 && Double.compare(s.corruptRate, corruptRate) == 0
                && s.slowSourceBytesPerSec == slowSourceBytesPerSec;
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
