package org.postcopysim.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A Prometheus text exposition (format 0.0.4) read into metric families: each family's type (from
 * its {@code # TYPE} line), the label names its samples carry, and its samples. A histogram's
 * {@code _bucket}, {@code _count} and {@code _sum} samples, and a summary's {@code _count} and
 * {@code _sum}, belong to their family.
 */
record PrometheusText(Map<String, Family> families) {

    record Sample(String name, Map<String, String> labels, double value) {}

    record Family(String name, String type, TreeSet<String> labelNames, List<Sample> samples) {
        /** The value of the sample named {@code sampleName} with exactly {@code labels}; fails when there is none. */
        double value(String sampleName, Map<String, String> labels) {
            for (Sample s : samples) if (s.name().equals(sampleName) && s.labels().equals(labels)) return s.value();
            throw new AssertionError("no sample " + sampleName + labels + " in " + samples);
        }

        /** The family's single unlabelled sample of its own name. */
        double value() {
            return value(name, Map.of());
        }

        /** The sum of the family's samples of its own name (over every label value). */
        double sum() {
            double sum = 0;
            for (Sample s : samples) if (s.name().equals(name)) sum += s.value();
            return sum;
        }
    }

    static PrometheusText parse(String text) {
        Map<String, Family> families = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] f = line.split(" ");
                families.put(f[2], new Family(f[2], f[3], new TreeSet<>(), new ArrayList<>()));
            }
        }
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            Sample s = sample(line);
            Family f = familyOf(families, s.name());
            if (f == null) throw new AssertionError("sample without a # TYPE line: " + line);
            f.labelNames().addAll(s.labels().keySet());
            f.samples().add(s);
        }
        return new PrometheusText(families);
    }

    Family family(String name) {
        Family f = families.get(name);
        if (f == null) throw new AssertionError("no family " + name + " in " + families.keySet());
        return f;
    }

    private static Family familyOf(Map<String, Family> families, String sampleName) {
        Family exact = families.get(sampleName);
        if (exact != null) return exact;
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (!sampleName.endsWith(suffix)) continue;
            Family f = families.get(sampleName.substring(0, sampleName.length() - suffix.length()));
            if (f != null && (f.type().equals("histogram") || (f.type().equals("summary") && !suffix.equals("_bucket")))) {
                return f;
            }
        }
        return null;
    }

    /** {@code name{a="x",b="y\"z"} 1.0} or {@code name 1.0}. */
    private static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        Map<String, String> labels = new LinkedHashMap<>();
        String name;
        String rest;
        if (brace >= 0 && brace < space) {
            name = line.substring(0, brace);
            int i = brace + 1;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String key = line.substring(i, eq);
                StringBuilder value = new StringBuilder();
                int j = eq + 2; // past ="
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char n = line.charAt(++j);
                        value.append(n == 'n' ? '\n' : n);
                    } else {
                        value.append(c);
                    }
                }
                labels.put(key, value.toString());
                i = j + 1;
                if (line.charAt(i) == ',') i++;
            }
            rest = line.substring(i + 1).trim();
        } else {
            name = line.substring(0, space);
            rest = line.substring(space + 1).trim();
        }
        String value = rest.split(" ")[0];
        double v = switch (value) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(value);
        };
        return new Sample(name, Map.copyOf(labels), v);
    }
}
