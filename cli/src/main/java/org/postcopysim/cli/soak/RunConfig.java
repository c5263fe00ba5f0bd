package org.postcopysim.cli.soak;

import java.time.Duration;
import java.util.Locale;
import org.postcopysim.dest.DestConfig;
import org.postcopysim.dest.MmuSetup;
import org.postcopysim.dest.kvm.MmuOptions;
import org.postcopysim.dest.workload.HostEventSpec;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.guest.Workload;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.policy.BackgroundOrder;

/**
 * One soak migration, all drawn from its run seed by {@link RunConfigs#forSeed}: the fault mode
 * and its uffd settings, the guest, the workload, the background cap and the fault injection.
 *
 * @param runSeed                  the seed it was drawn from (also the guest contents' and access streams' seed)
 * @param mode                     fault mode, as {@code --fault-mode} names it
 * @param uffdReaders              reader threads per userfaultfd (uffd modes; 1 otherwise)
 * @param uffdScope                one uffd for all memory or one per vCPU (uffd modes)
 * @param partitioned              each vCPU accesses its own range
 * @param internalAccessFraction   accesses KVM makes itself (uffd+kvm-userfault only)
 * @param vcpus                    vCPUs (count)
 * @param guestBytes               guest memory (bytes)
 * @param memslots                 memslots (count)
 * @param workload                 access pattern, as {@code --workload} names it
 * @param writeFraction            fraction of accesses that write
 * @param maxBackgroundBytesPerSec cap of the background stream (bytes/s), 0 = uncapped
 * @param chaos                    fault-injection spec applied by the source, or null for none
 * @param linkTimeoutMs            link timeout of both sides (ms): the default, or a short one that
 *                                 makes the keepalives carry every quiet connection
 * @param memslotGapBytes          unbacked space before each memslot (bytes): 0, or a gap that makes
 *                                 gfn, memslot offset and page index differ ({@code --memslot-gap})
 * @param hostEvents               host events during postcopy ({@code --host-events}), or null for none
 * @param privateFraction          fraction of private gfns in guest_memfd memslots ({@code --private-fraction}),
 *                                 or null for memory without guest_memfd
 * @param backgroundOrder          the source's background order ({@code --background-order})
 */
record RunConfig(long runSeed, String mode, int uffdReaders, UffdSet.Scope uffdScope, boolean partitioned,
                 double internalAccessFraction, int vcpus, long guestBytes, int memslots, String workload,
                 double writeFraction, long maxBackgroundBytesPerSec, String chaos, long linkTimeoutMs,
                 long memslotGapBytes, String hostEvents, Double privateFraction, BackgroundOrder backgroundOrder) {

    /** A run with the default background order. */
    RunConfig(long runSeed, String mode, int uffdReaders, UffdSet.Scope uffdScope, boolean partitioned,
              double internalAccessFraction, int vcpus, long guestBytes, int memslots, String workload,
              double writeFraction, long maxBackgroundBytesPerSec, String chaos, long linkTimeoutMs,
              long memslotGapBytes, String hostEvents, Double privateFraction) {
        this(runSeed, mode, uffdReaders, uffdScope, partitioned, internalAccessFraction, vcpus, guestBytes, memslots,
                workload, writeFraction, maxBackgroundBytesPerSec, chaos, linkTimeoutMs, memslotGapBytes, hostEvents,
                privateFraction, BackgroundOrder.DEFAULT);
    }

    /** A run without host events or private memory. */
    RunConfig(long runSeed, String mode, int uffdReaders, UffdSet.Scope uffdScope, boolean partitioned,
              double internalAccessFraction, int vcpus, long guestBytes, int memslots, String workload,
              double writeFraction, long maxBackgroundBytesPerSec, String chaos, long linkTimeoutMs,
              long memslotGapBytes) {
        this(runSeed, mode, uffdReaders, uffdScope, partitioned, internalAccessFraction, vcpus, guestBytes, memslots,
                workload, writeFraction, maxBackgroundBytesPerSec, chaos, linkTimeoutMs, memslotGapBytes, null, null);
    }

    /** A run with its memslots back to back from gfn 0. */
    RunConfig(long runSeed, String mode, int uffdReaders, UffdSet.Scope uffdScope, boolean partitioned,
              double internalAccessFraction, int vcpus, long guestBytes, int memslots, String workload,
              double writeFraction, long maxBackgroundBytesPerSec, String chaos, long linkTimeoutMs) {
        this(runSeed, mode, uffdReaders, uffdScope, partitioned, internalAccessFraction, vcpus, guestBytes, memslots,
                workload, writeFraction, maxBackgroundBytesPerSec, chaos, linkTimeoutMs, 0);
    }

    /** One line: "uffd (2 readers, per-vcpu, partitioned), 3 vCPUs, 16 MiB in 2 memslots, zipf, 20% writes, 32 MiB/s, chaos corrupt:0.01". */
    String describe() {
        StringBuilder b = new StringBuilder(mode);
        if (mode.startsWith("uffd")) {
            b.append(" (").append(uffdReaders).append(uffdReaders == 1 ? " reader, " : " readers, ")
                    .append(uffdScope.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            if (internalAccessFraction > 0) b.append(String.format(Locale.ROOT, ", %.0f%% internal", internalAccessFraction * 100));
            b.append(')');
        }
        b.append(", ").append(vcpus).append(vcpus == 1 ? " vCPU" : " vCPUs");
        if (partitioned) b.append(" partitioned");
        b.append(", ").append(guestBytes >> 20).append(" MiB in ").append(memslots).append(memslots == 1 ? " memslot" : " memslots");
        if (memslotGapBytes > 0) b.append(" after gaps of ").append(memslotGapBytes >> 10).append(" KiB");
        b.append(", ").append(workload).append(String.format(Locale.ROOT, ", %.0f%% writes", writeFraction * 100));
        b.append(", ").append(maxBackgroundBytesPerSec == 0 ? "uncapped" : (maxBackgroundBytesPerSec >> 20) + " MiB/s");
        if (!backgroundOrder.equals(BackgroundOrder.DEFAULT)) b.append(" in ").append(backgroundOrder).append(" order");
        b.append(", chaos ").append(chaos == null ? "none" : chaos);
        if (linkTimeoutMs != Reliability.DEFAULT_LINK_TIMEOUT.toMillis()) b.append(", link timeout ").append(linkTimeoutMs).append(" ms");
        if (privateFraction != null) b.append(String.format(Locale.ROOT, ", guest_memfd %.0f%% private", privateFraction * 100));
        if (hostEvents != null) b.append(", host events ").append(hostEvents);
        return b.toString();
    }

    /** A short name for a JUnit test case: "uffd-3vcpu-16MiB-zipf-corrupt:0.01". */
    String shortName() {
        return mode + "-" + vcpus + "vcpu-" + (guestBytes >> 20) + "MiB-" + workload + (chaos == null ? "" : "-" + chaos);
    }

    FaultOptions faultOptions() {
        return new FaultOptions(FaultMode.parse(mode), uffdReaders, uffdScope, internalAccessFraction, partitioned);
    }

    SourceConfig sourceConfig(Duration recoveryDeadline) {
        Reliability r = reliability(recoveryDeadline);
        if (chaos != null) r = r.withChaos(chaos, runSeed ^ 0x5DEECE66DL);
        return SourceConfig.builder().port(0).guestBytes(guestBytes).memslots(memslots).seed(runSeed)
                .maxBackgroundBytesPerSec(maxBackgroundBytesPerSec).backgroundOrder(backgroundOrder).reliability(r)
                .memslotGapBytes(memslotGapBytes).build();
    }

    DestConfig destConfig(int port, Duration recoveryDeadline) {
        return DestConfig.builder("127.0.0.1", port).vcpus(vcpus).seed(runSeed)
                .workload(Workload.parse(workload, writeFraction)).faults(faultOptions())
                .reliability(reliability(recoveryDeadline)).mmu(mmu()).build();
    }

    /** Private memory and host events as {@code dest --private-fraction --host-events} would set them up. */
    MmuSetup mmu() {
        MmuOptions options = privateFraction == null ? MmuOptions.DEFAULT : MmuOptions.DEFAULT.withPrivateMemory(privateFraction, runSeed);
        return new MmuSetup(options, hostEvents == null ? null : HostEventSpec.parse(hostEvents));
    }

    private Reliability reliability(Duration recoveryDeadline) {
        return Reliability.DEFAULT.withRecoveryDeadline(recoveryDeadline).withLinkTimeout(Duration.ofMillis(linkTimeoutMs));
    }
}
