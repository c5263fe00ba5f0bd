package org.postcopysim.dest.fault;

import java.util.function.Function;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.fetch.PagePresence;
import org.postcopysim.dest.kvm.HostPageTable;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.MemslotFlags;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.text.Plural;

/**
 * The destination's KVM and host state for one fault mode, with every page missing: the host
 * page tables (empty, or fully mapped under KVM Userfault), the memslot flags and userfault
 * bitmaps, the userfaultfd(s) and their paths, and what "present" means. Shared by the
 * migration, the fault benchmark and the simulator, so all run exactly the same fault paths.
 * Plain data: the runner supplies how a UFFDIO_COPY is serialized with the uffd's other calls.
 */
public final class FaultModeRig {
    public final FaultOptions options;
    public final Vm vm;
    public final HostPageTable host;
    /** Null unless the mode uses a userfaultfd. */
    public final UffdPaths uffd;
    /** The runner's UFFDIO_COPY; null unless the mode uses a userfaultfd. */
    public final UffdCopier uffdCopier;
    public final PagePresence presence;
    private final long[] rangeStarts;

    private FaultModeRig(FaultOptions options, Vm vm, HostPageTable host, UffdPaths uffd, UffdCopier copier,
                         long[] rangeStarts) {
        this.options = options;
        this.vm = vm;
        this.host = host;
        this.uffd = uffd;
        this.uffdCopier = copier;
        this.presence = Presences.forMode(options.mode(), host, copier);
        this.rangeStarts = rangeStarts;
    }

    /**
     * @param uffdDriver the runner's serialization of UFFDIO_COPY for the given paths (called once,
     *                   in uffd modes only)
     */
    public static FaultModeRig build(GuestLayout layout, boolean hugePageRecovery, FaultOptions options, int vcpus,
                                     Function<UffdPaths, ? extends UffdCopier> uffdDriver) {
        long pages = layout.totalPages();
        FaultMode mode = options.mode();
        if (options.partitioned() && pages < vcpus) {
            throw new IllegalArgumentException(Plural.of(vcpus, "vCPU") + " cannot partition " + Plural.of(pages, "page"));
        }
        HostPageTable host = mode.usesHostMapping() ? new HostPageTable(pages) : HostPageTable.fullyMapped(pages);
        Vm vm = new Vm(layout, hugePageRecovery, host);
        for (int i = 0; i < vm.memslotCount(); i++) {
            Memslot slot = vm.memslot(i);
            int flags = slot.flags();
            if (mode.usesUserfaultBitmap()) {
                slot.userfaultBitmap().setAll();
                flags |= MemslotFlags.USERFAULT;
            }
            if (mode == FaultMode.EXIT_ON_MISSING) flags |= MemslotFlags.EXIT_ON_MISSING;
            vm.setMemslotFlags(i, flags);
        }
        long[] starts = new long[vcpus + 1];
        for (int v = 0; v <= vcpus; v++) starts[v] = options.partitioned() ? pages * v / vcpus : (v == vcpus ? pages : 0);
        UffdPaths uffd = null;
        UffdCopier copier = null;
        if (mode.usesUffd()) {
            UffdSet set = options.uffdScope() == UffdSet.Scope.PER_VCPU
                    ? UffdSet.perVcpu(starts.clone(), vcpus, layout)
                    : UffdSet.shared(layout, vcpus);
            uffd = new UffdPaths(set, host, vm, options.uffdReaders());
            copier = uffdDriver.apply(uffd);
        }
        return new FaultModeRig(options, vm, host, uffd, copier, starts);
    }

    /** First dense page of vCPU {@code v}'s access range. */
    public long rangeStart(int v) {
        return options.partitioned() ? rangeStarts[v] : 0;
    }

    /** Pages in vCPU {@code v}'s access range. */
    public long rangePages(int v) {
        return options.partitioned() ? rangeStarts[v + 1] - rangeStarts[v] : vm.layout().totalPages();
    }

    /**
     * Every page is present: clear the fault flags (KVM_MEM_USERFAULT 1 -> 0 rebuilds huge
     * mappings unless recovery is off). Returns huge mappings rebuilt.
     */
    public long clearFaultFlags() {
        long before = vm.hugeMappingsRecovered();
        for (int i = 0; i < vm.memslotCount(); i++) {
            vm.setMemslotFlags(i, vm.memslot(i).flags() & ~(MemslotFlags.USERFAULT | MemslotFlags.EXIT_ON_MISSING));
        }
        return vm.hugeMappingsRecovered() - before;
    }
}
