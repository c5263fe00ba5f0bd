package org.postcopysim.sim.cost;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The values of every {@link Cost}: the defaults, with any overridden from a cost file
 * ({@code name = value} lines, {@code #} comments; the names of {@link Cost#key()}) or by code.
 * Immutable; read on the simulator's hot path through {@link #get}, an array lookup.
 */
public final class CostModel {
    private final long[] values;
    private final Map<Cost, String> overriddenBy;

    private CostModel(long[] values, Map<Cost, String> overriddenBy) {
        this.values = values;
        this.overriddenBy = overriddenBy;
    }

    /** Every cost at its default. */
    public static CostModel defaults() {
        long[] v = new long[Cost.values().length];
        for (Cost c : Cost.values()) v[c.ordinal()] = c.defaultValue();
        return new CostModel(v, new EnumMap<>(Cost.class));
    }

    public long get(Cost c) {
        return values[c.ordinal()];
    }

    /** This model with {@code c} set to {@code value} by {@code source} (a file name, an option). */
    public CostModel with(Cost c, long value, String source) {
        if (value < 0) throw new IllegalArgumentException(c.key() + " must not be negative, got " + value);
        if (c == Cost.HOST_CPUS && value < 1) throw new IllegalArgumentException("host-cpus must be at least 1, got " + value);
        if (c == Cost.NET_BANDWIDTH_BYTES_PER_SEC && value < 1) {
            throw new IllegalArgumentException("net-bandwidth must be at least 1 byte/s, got " + value);
        }
        long[] v = values.clone();
        v[c.ordinal()] = value;
        Map<Cost, String> by = new EnumMap<>(Cost.class);
        by.putAll(overriddenBy);
        by.put(c, source);
        return new CostModel(v, by);
    }

    /** Where {@code c}'s value comes from: the file or option that set it, or null for its default. */
    public String overriddenBy(Cost c) {
        return overriddenBy.get(c);
    }

    /**
     * This model with the values in {@code file} applied.
     *
     * @throws IllegalArgumentException naming the file and line of an unknown name or a bad value
     */
    public CostModel withFile(Path file) {
        CostModel m = this;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                String t = line.strip();
                int hash = t.indexOf('#');
                if (hash >= 0) t = t.substring(0, hash).strip();
                if (t.isEmpty()) continue;
                int eq = t.indexOf('=');
                if (eq < 0) throw new IllegalArgumentException(file + ":" + n + ": expected 'name = value', got '" + line.strip() + "'");
                String key = t.substring(0, eq).strip().toLowerCase(Locale.ROOT);
                String value = t.substring(eq + 1).strip();
                Cost c = Cost.byKey(key);
                if (c == null) throw new IllegalArgumentException(file + ":" + n + ": unknown cost '" + key + "' (see simulate --print-costs)");
                long v;
                try {
                    v = Long.parseLong(value.replace("_", ""));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + n + ": " + key + " needs a whole number of " + c.unit()
                            + ", got '" + value + "'");
                }
                try {
                    m = m.with(c, v, file.getFileName() + ":" + n);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ":" + n + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read cost file " + file + ": " + e.getMessage(), e);
        }
        return m;
    }

    /** The cost file text of this model: every value, with unit, origin and meaning as comments. */
    public String toFileText() {
        return toFileText(java.util.List.of());
    }

    /** {@link #toFileText()} after {@code header}, each line a comment (where the values come from, when). */
    public String toFileText(java.util.List<String> header) {
        StringBuilder b = new StringBuilder("# postcopy-sim cost model: name = value (unit)\n");
        for (String h : header) b.append("# ").append(h).append('\n');
        for (Cost c : Cost.values()) {
            String by = overriddenBy(c);
            b.append("# ").append(c.meaning()).append('\n')
                    .append("# unit ").append(c.unit()).append(", origin ")
                    .append(by == null ? c.origin().name().toLowerCase(Locale.ROOT) : "set by " + by)
                    .append(", default ").append(c.defaultValue()).append('\n')
                    .append(c.key()).append(" = ").append(get(c)).append("\n\n");
        }
        return b.toString();
    }
}
