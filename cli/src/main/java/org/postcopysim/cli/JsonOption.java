package org.postcopysim.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --json FILE}: where the machine-readable summary goes. */
public final class JsonOption {
    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON to FILE.")
    Path file;
}
