package org.postcopysim.cli.compare;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;

/** Reads back what a comparison wrote. */
final class CsvAndJson {
    private CsvAndJson() {}

    static JsonNode readJson(Path outDir) throws IOException {
        JsonNode array = JsonResults.JSON.readTree(outDir.resolve("results.json").toFile());
        if (!array.isArray()) throw new AssertionError("results.json is not an array: " + array);
        return array;
    }
}
