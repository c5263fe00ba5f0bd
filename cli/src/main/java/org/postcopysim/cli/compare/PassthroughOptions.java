package org.postcopysim.cli.compare;

import java.util.ArrayList;
import java.util.List;
import org.postcopysim.cli.ByteSize;
import org.postcopysim.cli.Main;
import org.postcopysim.dest.DestConfig;
import org.postcopysim.guest.Workload;
import org.postcopysim.source.SourceConfig;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * Options {@code compare} hands to every child unchanged, and only when given (so the child's own
 * defaults apply otherwise). Each is checked here first, so that a bad value is one usage error
 * (exit 2) before anything starts instead of the same failure in every run.
 */
public final class PassthroughOptions {
    @Option(names = "--mem-per-vcpu", paramLabel = "SIZE", converter = ByteSize.class,
            description = "Passed to the child: guest memory each vCPU touches (e.g. 16M).")
    Long memPerVcpuBytes;

    @Option(names = "--fetch-delay-us", paramLabel = "US",
            description = "Passed to the child: simulated time to fetch one page from the source (microseconds).")
    Long fetchDelayUs;

    @Option(names = "--uffd-readers", paramLabel = "N",
            description = "Passed to the child: threads that read the userfaultfd.")
    Integer uffdReaders;

    @Option(names = "--uffd-scope", paramLabel = "SCOPE",
            description = "Passed to the child: shared (one userfaultfd for all vCPUs) or per-vcpu.")
    String uffdScope;

    @Option(names = "--access", paramLabel = "PATTERN",
            description = "Passed to the child: partitioned (each vCPU its own pages) or overlapped.")
    String access;

    @Option(names = "--guest-mem", paramLabel = "SIZE", converter = ByteSize.class,
            description = "Passed to the child: guest memory (e.g. 256M, 1G).")
    Long guestBytes;

    @Option(names = "--max-bandwidth", paramLabel = "BYTES_PER_SEC", converter = ByteSize.class,
            description = "Passed to the child: cap of the background stream in bytes per second.")
    Long maxBandwidthBytesPerSec;

    @Option(names = "--workload", paramLabel = "KIND",
            description = "Passed to the child: access pattern (uniform, sequential, zipf[:theta] or "
                    + "hotset[:fraction[:probability]]).")
    String workload;

    static final List<String> UFFD_SCOPES = List.of("shared", "per-vcpu");
    static final List<String> ACCESS_PATTERNS = List.of("partitioned", "overlapped");

    /**
     * Throws a picocli usage error naming the first option the children of {@code bench} do not
     * take (as their subcommand's own options say), or whose value no child would accept.
     */
    void validate(CommandLine cl, Bench bench) {
        List<String> given = args();
        for (int i = 0; i < given.size(); i += 2) {
            String option = given.get(i);
            if (childSpec(bench).findOption(option) != null) continue;
            StringBuilder why = new StringBuilder("Option '" + option + "' cannot be used with --bench " + bench.label
                    + ": its runs are `" + bench.subcommand + "`, which has no " + option);
            for (Bench other : Bench.values()) {
                if (other != bench && childSpec(other).findOption(option) != null) why.append(" (it applies to --bench ").append(other.label).append(')');
            }
            Usage.refuse(cl, option, why.toString());
        }
        if (memPerVcpuBytes != null && memPerVcpuBytes <= 0) Usage.invalid(cl, "--mem-per-vcpu", "must be positive");
        if (fetchDelayUs != null && fetchDelayUs < 0) Usage.invalid(cl, "--fetch-delay-us", "must not be negative");
        if (uffdReaders != null && uffdReaders < 1) Usage.invalid(cl, "--uffd-readers", "must be at least 1");
        if (uffdScope != null && !UFFD_SCOPES.contains(uffdScope)) {
            Usage.invalid(cl, "--uffd-scope", "expected one of " + String.join(", ", UFFD_SCOPES) + ", got '" + uffdScope + "'");
        }
        if (access != null && !ACCESS_PATTERNS.contains(access)) {
            Usage.invalid(cl, "--access", "expected one of " + String.join(", ", ACCESS_PATTERNS) + ", got '" + access + "'");
        }
        if (guestBytes != null) {
            try {
                SourceConfig.builder().guestBytes(guestBytes).build();
            } catch (IllegalArgumentException e) {
                Usage.invalid(cl, "--guest-mem", e.getMessage());
            }
        }
        if (maxBandwidthBytesPerSec != null && maxBandwidthBytesPerSec < 0) Usage.invalid(cl, "--max-bandwidth", "must not be negative");
        if (workload != null) {
            try {
                Workload.parse(workload, DestConfig.DEFAULT_WRITE_FRACTION);
            } catch (IllegalArgumentException e) {
                Usage.invalid(cl, "--workload", e.getMessage());
            }
        }
    }

    private static CommandSpec childSpec(Bench bench) {
        return Main.commandLine().getSubcommands().get(bench.subcommand).getCommandSpec();
    }

    /** The options that were given, as child arguments, in a fixed order. */
    List<String> args() {
        List<String> a = new ArrayList<>();
        add(a, "--mem-per-vcpu", memPerVcpuBytes);
        add(a, "--fetch-delay-us", fetchDelayUs);
        add(a, "--uffd-readers", uffdReaders);
        add(a, "--uffd-scope", uffdScope);
        add(a, "--access", access);
        add(a, "--guest-mem", guestBytes);
        add(a, "--max-bandwidth", maxBandwidthBytesPerSec);
        add(a, "--workload", workload);
        return a;
    }

    private static void add(List<String> args, String option, Object value) {
        if (value == null) return;
        args.add(option);
        args.add(value.toString());
    }
}
