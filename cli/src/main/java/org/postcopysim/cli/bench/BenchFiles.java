package org.postcopysim.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.postcopysim.cli.CommandFailure;
import org.postcopysim.cli.IoReasons;
import org.postcopysim.source.SourceConfig;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** What the bench commands share: their JSON writer and the check of a guest size option. */
final class BenchFiles {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchFiles() {}

    /** Writes {@code node} to {@code file}, creating its directory; a failure names the file and why. */
    static void writeJson(Path file, ObjectNode node) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            JSON.writeValue(file.toFile(), node);
        } catch (IOException e) {
            throw new CommandFailure("cannot write " + file + ": " + IoReasons.of(e), e);
        }
    }

    /** A usage error under {@code option} when {@code bytes} is no guest the source would take. */
    static void checkGuestBytes(CommandLine cl, String option, long bytes) {
        try {
            SourceConfig.builder().guestBytes(bytes).build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, "Invalid value for option '" + option + "': " + e.getMessage());
        }
    }
}
