package org.postcopysim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.postcopysim.text.Plural;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code postcopy-sim demo}: a source and a destination as two JVM processes on a free loopback
 * port, then a short summary. Exits 0 only when both report a verified migration.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Migrate a guest between two local processes: starts `source` on a free loopback port and "
                + "`dest` against it, echoes what each prints, and sums up. Exits 0 only for a verified migration.")
public final class DemoCommand implements Callable<Integer> {
    /** How long the source may take to generate memory and listen (ms). */
    static final long SOURCE_START_TIMEOUT_MS = 120_000;
    /** How long the source may take to finish once the destination has (ms). */
    static final long SOURCE_FINISH_TIMEOUT_MS = 30_000;

    @Spec
    CommandSpec spec;

    @Mixin
    GuestOptions guest;

    @Mixin
    VcpuOptions vcpus;

    @Mixin
    FaultModeOptions faults;

    @Mixin
    BackendOption backend;

    @Mixin
    SeedOption seed;

    @Mixin
    JsonOption json;

    @Mixin
    TlsOptions tls;

    @Mixin
    ChaosOption chaos;

    @Mixin
    RecoveryOptions recovery;

    @Mixin
    HostOptions host;

    @Mixin
    PrecopyOptions precopy;

    @Mixin
    ParallelStreamsOption streams;

    @Mixin
    StreamNiceOption streamNice;

    @Option(names = "--mem-per-vcpu", paramLabel = "SIZE", converter = ByteSize.class,
            description = "Guest memory per vCPU, instead of --guest-mem: the guest gets this times --vcpus.")
    Long memPerVcpu;

    @Option(names = "--verbose", description = "Show the child processes' INFO logs (default: warnings and errors only).")
    boolean verbose;

    @Option(names = "--progress", paramLabel = "WHEN", defaultValue = "auto",
            description = "Progress bar of pages present on stderr: auto (only on a terminal), always or never. "
                    + "Default: ${DEFAULT-VALUE}.")
    MigrationProgress.When progressWhen;

    @Option(names = "--max-bandwidth", paramLabel = "BYTES_PER_SEC", converter = ByteSize.class, defaultValue = "64M",
            description = "Cap of the background stream in bytes per second, so that the vCPUs fault on pages that "
                    + "have not arrived yet; 0 = uncapped. Default: ${DEFAULT-VALUE}.")
    long maxBandwidth;

    @Option(names = "--background-order", paramLabel = "ORDER", defaultValue = "follow-faults",
            converter = BackgroundOrderConverter.class,
            description = BackgroundOrderConverter.DESCRIPTION + " Passed to the source. Default: ${DEFAULT-VALUE}.")
    org.postcopysim.source.policy.BackgroundOrder backgroundOrder;

    @Override
    public Integer call() throws IOException, InterruptedException {
        vcpus.validate(spec.commandLine());
        json.checkWritable(spec.commandLine());
        if (memPerVcpu != null) {
            // The guest this makes is checked below like any --guest-mem, under the option that made it.
            OptionCheck.check(spec.commandLine(), "--mem-per-vcpu", () -> {
                if (memPerVcpu <= 0 || memPerVcpu % 4096 != 0) {
                    throw new IllegalArgumentException("must be a positive multiple of 4 KiB, got " + memPerVcpu);
                }
                if (memPerVcpu > Long.MAX_VALUE / vcpus.vcpus) {
                    throw new IllegalArgumentException(ByteSize.format(memPerVcpu) + " times " + Plural.of(vcpus.vcpus, "vCPU") + " is too large");
                }
                guest.guestBytes = memPerVcpu * vcpus.vcpus;
                guest.validateGuestBytes();
            });
        }
        guest.validate(spec.commandLine());
        recovery.validate(spec.commandLine());
        org.postcopysim.dest.fault.FaultOptions faultOptions = faults.resolveForMigration(spec.commandLine());
        org.postcopysim.dest.MmuSetup mmu = host.resolve(spec.commandLine(), faultOptions, seed.value());
        org.postcopysim.dest.HostBackend hostBackend = backend.resolve(spec.commandLine(), faultOptions, mmu);
        tls.resolve(spec.commandLine());
        chaos.resolve(spec.commandLine());
        streams.resolve(spec.commandLine());
        streamNice.resolve(spec.commandLine());
        org.postcopysim.source.policy.PrecopyPolicy precopyPolicy = precopy.resolve(spec.commandLine());
        if (progressWhen == MigrationProgress.When.LINES) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--progress': lines is for dest; "
                    + "demo takes auto, always or never");
        }
        PrintWriter out = spec.commandLine().getOut();
        long s = seed.value();
        boolean bar = progressWhen == MigrationProgress.When.ALWAYS
                || (progressWhen == MigrationProgress.When.AUTO && Terminal.stderrIsTerminal());
        DemoRelay relay = new DemoRelay(out, spec.commandLine().getErr(), bar);
        relay.say(String.format(Locale.ROOT, "demo: seed %d; migrating a %s guest with %s (%s, %s%s) between two processes, "
                        + "background order %s%s", s, ByteSize.format(guest.guestBytes), Plural.of(vcpus.vcpus, "vCPU"),
                vcpus.workload, faultOptions.mode(),
                hostBackend == org.postcopysim.dest.HostBackend.MODEL ? "" : ", " + hostBackend.name() + " backend",
                backgroundOrder, precopyPolicy.enabled() ? "; precopy " + precopyPolicy + " first" : ""));
        Path summaryFile = Files.createTempFile("postcopy-sim-demo-", ".json");
        Path tokenFile = null;
        ChildJvm source = null;
        ChildJvm dest = null;
        try {
            List<String> jvmArgs = new ArrayList<>(MigrationJvm.OPTIONS);
            if (!verbose) jvmArgs.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
            List<String> sourceArgs = new ArrayList<>(List.of("source", "--listen", "127.0.0.1:0",
                    "--guest-mem", Long.toString(guest.guestBytes), "--memslots", Integer.toString(guest.memslots),
                    "--memslot-gap", Long.toString(guest.memslotGapBytes),
                    "--max-bandwidth", Long.toString(maxBandwidth), "--background-order", backgroundOrder.toString(),
                    "--seed", Long.toString(s)));
            sourceArgs.addAll(tls.asArgs());
            sourceArgs.addAll(chaos.asArgs()); // faults are injected where the pages are sent
            sourceArgs.addAll(recovery.sourceArgs());
            sourceArgs.addAll(precopy.asArgs()); // the source runs the guest first; the destination's Hello says what it runs
            sourceArgs.addAll(streamNice.asArgs());
            relay.say("demo: starting the source...");
            source = ChildJvm.start("source", jvmArgs, sourceArgs, relay.sourceOut(), relay.childErr());
            // The source prints its generated token before it listens; the destination reads it from
            // an owner-only file, so that it never shows in the process list.
            String tokenLine = source.awaitLine(MigrationToken.LINE_PREFIX, SOURCE_START_TIMEOUT_MS);
            if (tokenLine == null) {
                relay.say("demo: the source printed no migration token");
                return 1;
            }
            tokenFile = ownerOnlyTempFile();
            Files.writeString(tokenFile, tokenLine.substring(MigrationToken.LINE_PREFIX.length()).trim() + "\n");
            String listening = source.awaitLine("listening on ", SOURCE_START_TIMEOUT_MS);
            if (listening == null) {
                relay.say("demo: the source did not start listening");
                return 1;
            }
            String address = listening.substring("listening on ".length()).trim();
            List<String> destArgs = new ArrayList<>(List.of("dest", "--connect", address,
                    "--vcpus", Integer.toString(vcpus.vcpus), "--workload", vcpus.workload,
                    "--write-fraction", Double.toString(vcpus.writeFraction),
                    "--access-rate", Long.toString(vcpus.accessRate),
                    "--vcpu-spin-us", Long.toString(vcpus.spinUs),
                    "--page-retries", Integer.toString(vcpus.pageRetries),
                    "--seed", Long.toString(s), "--json", summaryFile.toString(), "--token-file", tokenFile.toString()));
            destArgs.addAll(tls.asArgs());
            destArgs.addAll(recovery.asArgs());
            if (vcpus.noHugeRecovery) destArgs.add("--no-huge-recovery");
            destArgs.addAll(faults.asArgs(faultOptions));
            destArgs.addAll(backend.asArgs(hostBackend));
            destArgs.addAll(host.asArgs());
            destArgs.addAll(streams.asArgs());
            destArgs.addAll(streamNice.asArgs());
            // The destination reports progress as lines; the bar is ours, so every line steps around it.
            destArgs.add("--progress=" + (bar ? "lines" : "never"));
            relay.say("demo: starting the destination...");
            dest = ChildJvm.start("dest", jvmArgs, destArgs, relay.destOut(), relay.childErr());
            int destCode = dest.awaitForever();
            int sourceCode = source.await(SOURCE_FINISH_TIMEOUT_MS);
            relay.close();
            return summarize(out, summaryFile, destCode, sourceCode);
        } finally {
            relay.close();
            if (dest != null && dest.isAlive()) dest.destroy();
            if (source != null && source.isAlive()) source.destroy();
            Files.deleteIfExists(summaryFile);
            if (tokenFile != null) Files.deleteIfExists(tokenFile);
        }
    }

    /** An empty temporary file that only this user may read and write (where the file system has POSIX permissions). */
    private static Path ownerOnlyTempFile() throws IOException {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return Files.createTempFile("postcopy-sim-token-", "",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Path f = Files.createTempFile("postcopy-sim-token-", "");
        File file = f.toFile();
        boolean restricted = file.setReadable(false, false) && file.setReadable(true, true)
                && file.setWritable(false, false) && file.setWritable(true, true);
        if (!restricted) {
            Files.deleteIfExists(f);
            throw new IOException("cannot restrict the token file " + f + " to its owner");
        }
        return f;
    }

    private int summarize(PrintWriter out, Path summaryFile, int destCode, int sourceCode) throws IOException {
        JsonNode summary = Files.size(summaryFile) > 0 ? SummaryPrinter.JSON.readTree(summaryFile.toFile()) : null;
        boolean ok = destCode == 0 && sourceCode == 0 && summary != null && summary.path("verified").asBoolean();
        out.println();
        if (summary != null) {
            JsonNode lat = summary.path("faultLatencyNs");
            out.printf(Locale.ROOT, "demo: %s. %d/%d pages verified in %d ms; %d demand faults (%d redundant), "
                            + "fault latency p50 %s, p99 %s.%n",
                    ok ? "VERIFIED" : "FAILED", summary.path("pagesVerified").asLong(), summary.path("pagesTotal").asLong(),
                    summary.path("migrationTimeMs").asLong(), summary.path("demandFaults").asLong(),
                    summary.path("redundantFaults").asLong(), SummaryPrinter.duration(lat.path("p50").asLong()),
                    SummaryPrinter.duration(lat.path("p99").asLong()));
            if (summary.path("networkBoundFaults").isNumber()) {
                out.printf(Locale.ROOT, "demo: background %s: %d network-bound faults, %.1f%% of the %d pages the guest "
                                + "touched; blocktime %s.%n", summary.path("backgroundOrder").asText(),
                        summary.path("networkBoundFaults").asLong(), 100 * summary.path("networkBoundFraction").asDouble(),
                        summary.path("pagesTouched").asLong(),
                        SummaryPrinter.duration(summary.path("blocktime").path("allVcpusNs").asLong()));
            }
            if (summary.path("precopyRounds").asInt() > 0) {
                JsonNode phases = summary.path("bytesPerPhase");
                out.printf(Locale.ROOT, "demo: precopy %s sent %d pages (%s) with the guest running on the source; "
                                + "%d pages discarded at the switchover; downtime %d ms; postcopy %d pages (%s).%n",
                        Plural.of(summary.path("precopyRounds").asLong(), "round"), phases.path("precopyPages").asLong(),
                        ByteSize.format(phases.path("precopyBytes").asLong()), summary.path("discardedPages").asLong(),
                        summary.path("downtimeMs").asLong(), phases.path("postcopyPages").asLong(),
                        ByteSize.format(phases.path("postcopyBytes").asLong()));
            }
        }
        if (!ok) out.printf("demo: FAILED (destination exit %d, source exit %d)%n", destCode, sourceCode);
        out.flush();
        if (json.file != null && summary != null) {
            ((ObjectNode) summary).put("sourceExitCode", sourceCode).put("destExitCode", destCode);
            SummaryPrinter.writeJson(json.file, summary);
        }
        return ok ? 0 : 1;
    }
}
