package org.postcopysim.cli;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.SourceVm;
import org.postcopysim.text.Plural;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code postcopy-sim source}: own the guest's memory and migrate it to one destination. */
@Command(name = "source", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run the source VM: generate guest memory from the seed, wait for a destination, answer its "
                + "demand requests first and stream every other page in the background. Exits 0 once the "
                + "destination's memory digest is verified.")
public final class SourceCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            defaultValue = "127.0.0.1:7070",
            description = "Address to listen on (port 0 = any free port). Default: ${DEFAULT-VALUE}.")
    HostPort listen;

    @Mixin
    GuestOptions guest;

    @Mixin
    StreamOptions stream;

    @Mixin
    PrecopyOptions precopy;

    @Mixin
    SeedOption seed;

    @Mixin
    MetricsOption metrics;

    @Mixin
    TlsOptions tls;

    @Mixin
    ChaosOption chaos;

    @Mixin
    LinkOptions link;

    @Mixin
    StreamNiceOption streamNice;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Read the migration token a destination must present from the first line of FILE. "
                    + "Without it a random token is generated and printed as 'token: VALUE'.")
    Path tokenFile;

    @Override
    public Integer call() {
        guest.validate(spec.commandLine());
        link.validate(spec.commandLine());
        metrics.validate(spec.commandLine());
        OptionCheck.check(spec.commandLine(), "--pages-per-batch",
                () -> SourceConfig.builder().pagesPerBatch(stream.pagesPerBatch).build().validate());
        org.postcopysim.source.policy.PrecopyPolicy precopyPolicy = precopy.resolve(spec.commandLine());
        org.postcopysim.protocol.sched.StreamPriority streamPriority = streamNice.resolve(spec.commandLine());
        Reliability.TlsFiles tlsFiles = tls.resolve(spec.commandLine());
        org.postcopysim.protocol.chaos.ChaosSpec chaosSpec = chaos.resolve(spec.commandLine());
        String token = null;
        if (tokenFile != null) {
            Path file = tokenFile;
            String[] read = new String[1];
            OptionCheck.check(spec.commandLine(), "--token-file", () -> read[0] = MigrationToken.read(file));
            token = read[0];
        }
        boolean generated = token == null;
        if (generated) token = MigrationToken.generate(); // a destination always needs a token
        PrintWriter out = spec.commandLine().getOut();
        long s = seed.value();
        Reliability reliability = tlsFiles == null ? Reliability.DEFAULT : Reliability.DEFAULT.withTls(tlsFiles);
        reliability = link.apply(ChaosOption.apply(reliability, chaosSpec, s));
        SourceConfig config = SourceConfig.builder().host(listen.host()).port(listen.port()).guestBytes(guest.guestBytes)
                .memslots(guest.memslots).seed(s).maxBackgroundBytesPerSec(stream.maxBandwidth)
                .pagesPerBatch(stream.pagesPerBatch).backgroundOrder(stream.backgroundOrder).token(token).reliability(reliability)
                .memslotGapBytes(guest.memslotGapBytes).precopy(precopyPolicy).streamPriority(streamPriority).build()
                .validate();
        // Both sockets are bound before the guest is generated: an address in use fails at once.
        MeterRegistry registry = metrics.open();
        try {
            int code = migrate(out, config, registry, s, generated, token);
            metrics.linger(out); // the migration's port is closed by now; only the metrics stay up
            return code;
        } finally {
            metrics.close();
        }
    }

    private int migrate(PrintWriter out, SourceConfig config, MeterRegistry registry, long s, boolean generated,
                        String token) {
        try (SourceVm.Bound bound = bind(config); SourceVm vm = start(out, bound, config, s, registry)) {
            if (generated) out.printf("%s%s%n", MigrationToken.LINE_PREFIX, token);
            // As given (a wildcard stays 0.0.0.0 or [::]), with the port bound.
            out.printf("listening on %s%n", new HostPort(listen.host(), vm.boundAddress().getPort()));
            out.flush();
            SourceResult r = vm.completion().join();
            if (r.verified()) {
                out.printf(Locale.ROOT, "source: migration verified, %d/%d pages match; sent %d demand + %d background pages "
                                + "(%d twice; %d first sent on demand), %s, %s%n", r.pagesVerified(), r.pagesTotal(),
                        r.demandPagesSent(), r.backgroundPagesSent(), r.duplicatePagesSent(),
                        r.demandPagesSent() - r.duplicatePagesSent(),
                        ByteSize.format(r.bytesSent()), Plural.of(r.pageRequests(), "page request"));
                SourceResult.Precopy p = r.precopy();
                if (p.rounds() > 0) {
                    out.printf(Locale.ROOT, "source: precopy %s sent %d pages (%s) with the guest running here (%s); "
                                    + "%s discarded at the switchover%n", Plural.of(p.rounds(), "round"), p.pagesSent(),
                            ByteSize.format(p.bytesSent()), Plural.of(p.guestWrites(), "guest write"),
                            Plural.of(p.discardedPages(), "page"));
                }
                if (r.recoveries() > 0) {
                    out.printf(Locale.ROOT, "source: resumed after %d dropped link%s, %d ms paused in all%n", r.recoveries(),
                            r.recoveries() == 1 ? "" : "s", r.pausedMs());
                }
            } else {
                out.printf(Locale.ROOT, "source: migration FAILED: %s%n", r.error());
            }
            if (vm.chaos() != null) out.printf("source: chaos %s%n", vm.chaos().describe());
            out.flush();
            return r.verified() ? 0 : 1;
        }
    }

    private SourceVm.Bound bind(SourceConfig config) {
        try {
            return SourceVm.bind(config);
        } catch (UncheckedIOException e) {
            throw new CommandFailure(e.getMessage(), e);
        }
    }

    /** Says what it is about to do, then generates the guest (seconds for a large one) and starts serving. */
    private SourceVm start(PrintWriter out, SourceVm.Bound bound, SourceConfig config, long seed, MeterRegistry registry) {
        out.printf(Locale.ROOT, "seed: %d%n", seed);
        ChaosOption.print(out, config.reliability());
        out.printf(Locale.ROOT, "guest: %s in %s%n", ByteSize.format(config.guestBytes()), Plural.of(config.memslots(), "memslot"));
        out.printf(Locale.ROOT, "background: %s order, %s%n", config.backgroundOrder(), config.maxBackgroundBytesPerSec() == 0
                ? "uncapped" : "capped at " + ByteSize.format(config.maxBackgroundBytesPerSec()) + "/s");
        if (config.precopy().enabled()) out.printf(Locale.ROOT, "precopy: %s, then postcopy%n", config.precopy());
        metrics.print(out);
        out.printf(Locale.ROOT, "generating %s of guest memory...%n", ByteSize.format(config.guestBytes()));
        out.flush();
        return bound.start(registry);
    }
}
