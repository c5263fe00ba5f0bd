package org.postcopysim.cli.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * docs/json.md's field tables, and the check that a JSON output has exactly the documented
 * fields (paths like {@code a.b} and {@code a[].b}), of the documented types, in the documented
 * order.
 */
public final class JsonDoc {
    static final String DEST = "## dest: the migration summary (`dest --json FILE`)";
    static final String DEMO = "## demo (`demo --json FILE`)";
    static final String FAULT_BENCH = "## fault-bench (`fault-bench --json FILE`)";
    static final String COMPARE_EVERY = "### Every record";
    static final String COMPARE_MIGRATION = "### Migration records";
    static final String BENCH_THROUGHPUT = "## bench throughput (`bench throughput --json FILE`)";
    static final String VALIDATE = "## validate (`validate --json FILE`)";

    /** One documented field: its path, its type without the qualifiers, and whether it may be null or absent. */
    public record Field(String path, String type, boolean nullable, boolean optional) {}

    private JsonDoc() {}

    public static List<Field> dest() {
        return table(DEST);
    }

    public static List<Field> demo() {
        return concat(dest(), table(DEMO));
    }

    public static List<Field> validate() {
        return table(VALIDATE);
    }

    public static List<Field> benchThroughput() {
        return table(BENCH_THROUGHPUT);
    }

    public static List<Field> faultBench() {
        return table(FAULT_BENCH);
    }

    /** A results.json record of {@code compare --bench fault}. */
    public static List<Field> compareFault() {
        return concat(faultBench(), table(COMPARE_EVERY));
    }

    /** A results.json record of {@code compare --bench migration}. */
    public static List<Field> compareMigration() {
        return concat(demo(), table(COMPARE_MIGRATION), table(COMPARE_EVERY));
    }

    @SafeVarargs
    private static List<Field> concat(List<Field>... parts) {
        List<Field> all = new ArrayList<>();
        for (List<Field> p : parts) all.addAll(p);
        return all;
    }

    static List<Field> table(String heading) {
        List<Field> fields = new ArrayList<>();
        for (List<String> row : DocFiles.table(DocFiles.lines("json.md"), heading)) {
            String path = DocFiles.code(row.get(0));
            String type = row.get(1);
            boolean optional = type.endsWith(", optional");
            if (optional) type = type.substring(0, type.length() - ", optional".length());
            boolean nullable = type.endsWith(" or null");
            if (nullable) type = type.substring(0, type.length() - " or null".length());
            assertTrue(List.of("integer", "number", "string", "boolean", "object", "array of integers", "array of numbers",
                    "array of strings", "array of objects").contains(type), path + ": unknown type '" + type + "' in docs/json.md");
            assertTrue(row.size() >= 4 && !row.get(3).isBlank(), path + " has no meaning in docs/json.md");
            fields.add(new Field(path, type, nullable, optional));
        }
        return fields;
    }

    /**
     * Every field of {@code outputs} is documented in {@code documented} with the type it has; in each
     * output they come in the documented order; and together the outputs have every documented field,
     * except optional ones and the fields of array items when the array was empty in every output.
     */
    public static void assertDocumented(List<Field> documented, JsonNode... outputs) {
        Map<String, Field> byPath = new LinkedHashMap<>();
        for (Field f : documented) {
            if (byPath.put(f.path(), f) != null) fail(f.path() + " is documented twice");
        }
        Set<String> seen = new HashSet<>();
        Set<String> nonEmptyArrays = new HashSet<>();
        for (JsonNode out : outputs) {
            assertTrue(out.isObject(), "not a JSON object: " + out);
            Map<String, List<JsonNode>> values = new LinkedHashMap<>();
            walk(out, "", values, nonEmptyArrays);
            for (Map.Entry<String, List<JsonNode>> e : values.entrySet()) {
                Field f = byPath.get(e.getKey());
                if (f == null) fail("field " + e.getKey() + " is not in docs/json.md; output:\n" + out.toPrettyString());
                for (JsonNode v : e.getValue()) {
                    assertTrue(hasType(v, f), e.getKey() + " is documented as " + f.type()
                            + (f.nullable() ? " or null" : "") + " but is " + v);
                }
            }
            List<String> documentedOrder = new ArrayList<>();
            for (String p : byPath.keySet()) if (values.containsKey(p)) documentedOrder.add(p);
            assertEquals(documentedOrder, new ArrayList<>(values.keySet()), "fields out of the documented order");
            seen.addAll(values.keySet());
        }
        Set<String> missing = new LinkedHashSet<>();
        for (Field f : documented) {
            if (seen.contains(f.path()) || f.optional()) continue;
            int items = f.path().lastIndexOf("[]");
            if (items > 0 && seen.contains(f.path().substring(0, items))
                    && !nonEmptyArrays.contains(f.path().substring(0, items))) {
                continue; // the array was empty every time: its items' fields could not show
            }
            missing.add(f.path());
        }
        assertTrue(missing.isEmpty(), "documented in docs/json.md but not written: " + missing);
    }

    private static void walk(JsonNode node, String prefix, Map<String, List<JsonNode>> values, Set<String> nonEmptyArrays) {
        node.fields().forEachRemaining(e -> {
            String path = prefix + e.getKey();
            JsonNode v = e.getValue();
            values.computeIfAbsent(path, k -> new ArrayList<>()).add(v);
            if (v.isObject()) walk(v, path + ".", values, nonEmptyArrays);
            if (v.isArray() && v.size() > 0) {
                nonEmptyArrays.add(path);
                for (JsonNode item : v) if (item.isObject()) walk(item, path + "[].", values, nonEmptyArrays);
            }
        });
    }

    private static boolean hasType(JsonNode v, Field f) {
        if (v.isNull()) return f.nullable();
        return switch (f.type()) {
            case "integer" -> v.isIntegralNumber();
            case "number" -> v.isNumber();
            case "string" -> v.isTextual();
            case "boolean" -> v.isBoolean();
            case "object" -> v.isObject();
            case "array of integers" -> v.isArray() && all(v, JsonNode::isIntegralNumber);
            case "array of numbers" -> v.isArray() && all(v, JsonNode::isNumber);
            case "array of strings" -> v.isArray() && all(v, JsonNode::isTextual);
            case "array of objects" -> v.isArray() && all(v, JsonNode::isObject);
            default -> false;
        };
    }

    private static boolean all(JsonNode array, java.util.function.Predicate<JsonNode> p) {
        for (JsonNode n : array) if (!p.test(n)) return false;
        return true;
    }
}
