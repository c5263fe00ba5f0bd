package org.postcopysim.cli.soak;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --duration}: a count and a unit, {@code 90s}, {@code 10m} or {@code 1h} (a bare number is seconds). */
final class SoakDuration implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    static Duration parse(String value) {
        String s = value.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) throw new TypeConversionException("empty duration");
        char unit = s.charAt(s.length() - 1);
        String digits = Character.isDigit(unit) ? s : s.substring(0, s.length() - 1);
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a duration (expected e.g. 90s, 10m, 1h)");
        }
        if (n <= 0) throw new TypeConversionException("duration must be positive, got '" + value + "'");
        Duration d = switch (unit) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> {
                if (Character.isDigit(unit)) yield Duration.ofSeconds(n);
                throw new TypeConversionException("'" + value + "' has an unknown unit (expected s, m or h)");
            }
        };
        if (d.compareTo(Duration.ofDays(365)) > 0) throw new TypeConversionException("duration '" + value + "' is longer than a year");
        return d;
    }

    /** "90s", "10m", "1h", or "1m30s". */
    static String format(Duration d) {
        long s = d.toSeconds();
        if (s % 3600 == 0) return s / 3600 + "h";
        if (s % 60 == 0) return s / 60 + "m";
        if (s < 60) return s + "s";
        return s / 60 + "m" + s % 60 + "s";
    }
}
