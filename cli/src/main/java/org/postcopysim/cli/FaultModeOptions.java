package org.postcopysim.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** How faults are delivered and how the vCPUs share memory: {@code dest}, {@code demo}, {@code fault-bench}. */
public final class FaultModeOptions {
    @Option(names = "--fault-mode", paramLabel = "MODE", defaultValue = "kvm-userfault",
            description = "kvm-userfault (bitmap + exit), exit-on-missing (exit when the host page is missing), "
                    + "uffd (sleep on a userfaultfd wait queue), or uffd+kvm-userfault (vCPU accesses exit, "
                    + "KVM-internal accesses use the uffd). Default: ${DEFAULT-VALUE}.")
    String mode;

    @Option(names = "--uffd-readers", paramLabel = "N", defaultValue = "1",
            description = "Reader threads per userfaultfd (uffd modes). Default: ${DEFAULT-VALUE}.")
    int uffdReaders;

    @Option(names = "--uffd-scope", paramLabel = "SCOPE", defaultValue = "shared",
            description = "shared (one uffd for all memory) or per-vcpu (one per vCPU range; needs --access "
                    + "partitioned). Default: ${DEFAULT-VALUE}.")
    String uffdScope;

    /** The default of --access, but for fault-bench's (see {@link FaultBenchCommand.Defaults}). */
    static final String DEFAULT_ACCESS = "overlapped";

    @Option(names = "--access", paramLabel = "HOW", defaultValue = DEFAULT_ACCESS,
            description = "partitioned (each vCPU its own range) or overlapped (every vCPU over all memory). "
                    + "Default: ${DEFAULT-VALUE}.")
    String access;

    @Option(names = "--internal-access-fraction", paramLabel = "F", defaultValue = "0",
            description = "Fraction of accesses made by KVM itself, which cannot exit and fault through the uffd "
                    + "(uffd+kvm-userfault only). Default: ${DEFAULT-VALUE}.")
    double internalFraction;

    /** The options as the core modules take them; bad values become usage errors naming the option. */
    FaultOptions resolve(CommandLine cl) {
        FaultMode[] m = new FaultMode[1];
        OptionCheck.check(cl, "--fault-mode", () -> m[0] = FaultMode.parse(mode));
        UffdSet.Scope[] scope = new UffdSet.Scope[1];
        OptionCheck.check(cl, "--uffd-scope", () -> scope[0] = parseScope(uffdScope));
        boolean[] partitioned = new boolean[1];
        OptionCheck.check(cl, "--access", () -> partitioned[0] = parseAccess(access));
        FaultOptions[] f = new FaultOptions[1];
        String culprit = internalFraction != 0 ? "--internal-access-fraction"
                : scope[0] == UffdSet.Scope.PER_VCPU ? "--uffd-scope" : "--uffd-readers";
        OptionCheck.check(cl, culprit, () -> f[0] = new FaultOptions(m[0], uffdReaders, scope[0], internalFraction,
                partitioned[0]));
        return f[0];
    }

    /** {@link #resolve} for a migration, which needs a mode that can fetch pages (not {@code none}). */
    FaultOptions resolveForMigration(CommandLine cl) {
        FaultOptions f = resolve(cl);
        if (!f.mode().migrates()) {
            throw new CommandLine.ParameterException(cl, "--fault-mode " + f.mode().cliName()
                    + " resolves faults in the host kernel and fetches nothing: a migration needs kvm-userfault, "
                    + "exit-on-missing, uffd or uffd+kvm-userfault (none is for fault-bench and simulate)");
        }
        return f;
    }

    static UffdSet.Scope parseScope(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "shared":
                return UffdSet.Scope.SHARED;
            case "per-vcpu":
                return UffdSet.Scope.PER_VCPU;
            default:
                throw new IllegalArgumentException("expected shared or per-vcpu, got '" + s + "'");
        }
    }

    static boolean parseAccess(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "partitioned":
                return true;
            case "overlapped":
                return false;
            default:
                throw new IllegalArgumentException("expected partitioned or overlapped, got '" + s + "'");
        }
    }

    /** The same options as arguments for a child {@code dest}. */
    List<String> asArgs(FaultOptions f) {
        List<String> a = new ArrayList<>();
        a.add("--fault-mode=" + f.mode().cliName());
        a.add("--uffd-readers=" + f.uffdReaders());
        a.add("--uffd-scope=" + (f.uffdScope() == UffdSet.Scope.PER_VCPU ? "per-vcpu" : "shared"));
        a.add("--access=" + (f.partitioned() ? "partitioned" : "overlapped"));
        a.add("--internal-access-fraction=" + f.internalAccessFraction());
        return a;
    }
}
