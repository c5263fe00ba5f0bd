package org.postcopysim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code --json FILE}: where the machine-readable summary goes. */
public final class JsonOption {
    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON to FILE.")
    Path file;

    /**
     * A usage error, before anything runs, when FILE cannot be written (its directory is made if
     * missing): a run of minutes must not end in a stack trace for want of a writable path.
     */
    void checkWritable(CommandLine cl) {
        checkWritable(cl, "--json", file);
    }

    /** The same check for any option naming an output {@code file} (null: nothing to check). */
    public static void checkWritable(CommandLine cl, String option, Path file) {
        if (file == null) return;
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            if (Files.isDirectory(file)) throw new IOException("it is a directory");
            boolean existed = Files.exists(file);
            // A real probe: root passes Files.isWritable on /proc.
            Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND).close();
            if (!existed) Files.delete(file);
        } catch (IOException | RuntimeException e) {
            throw new ParameterException(cl, "Invalid value for option '" + option + "': cannot write " + file + " ("
                    + IoReasons.of(e) + ")");
        }
    }
}
