package org.postcopysim.cli.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code results.json}: a JSON array with one object per finished run: every field of the child's
 * summary, plus {@code bench} ("fault" or "migration"), {@code repeat} (0-based) and
 * {@code childWallMs} (the child JVM's wall time, start to exit).
 */
final class JsonResults {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonResults() {}

    static void write(Path file, List<RunRecord> records) throws IOException {
        ArrayNode array = JSON.createArrayNode();
        for (RunRecord r : records) array.add(r.json());
        JSON.writeValue(file.toFile(), array);
    }
}
