package org.postcopysim.cli;

import java.util.List;
import java.util.Locale;
import org.postcopysim.dest.HostBackend;
import org.postcopysim.dest.MmuSetup;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.kernel.KernelBackend;
import org.postcopysim.kernel.KernelSupport;
import org.postcopysim.kernel.Uffd;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code --backend} of {@code dest} and {@code demo}: the simulated host, or Linux's own userfaultfd. */
public final class BackendOption {
    @Option(names = "--backend", paramLabel = "BACKEND", defaultValue = "model",
            description = "What backs guest memory and takes the userfaultfd faults: model (the simulated host) or "
                    + "kernel (anonymous memory registered with a real userfaultfd: vCPU threads sleep in the kernel's "
                    + "wait queue, readers resolve each fault with UFFDIO_COPY; --fault-mode uffd only, no host "
                    + "events or private memory). Default: ${DEFAULT-VALUE}.")
    String backend;

    /** Whether the kernel backend was asked for; anything but model or kernel is a usage error. */
    boolean kernel(CommandLine cl) {
        switch (backend.trim().toLowerCase(Locale.ROOT)) {
            case "model":
                return false;
            case "kernel":
                return true;
            default:
                throw new ParameterException(cl, "Invalid value for option '--backend': expected model or kernel, got '"
                        + backend + "'");
        }
    }

    /**
     * The backend for a migration with {@code faults} and {@code mmu}: a combination the kernel
     * backend cannot run is a usage error; a kernel that refuses userfaultfd fails the command in
     * one line, before anything starts.
     */
    HostBackend resolve(CommandLine cl, FaultOptions faults, MmuSetup mmu) {
        if (!kernel(cl)) return HostBackend.MODEL;
        String refused = KernelBackend.refusal(faults, mmu);
        if (refused != null) throw new ParameterException(cl, refused);
        String why = KernelSupport.unavailableReason(Uffd.Registration.MISSING);
        if (why != null) throw new CommandFailure(cl.getCommandName() + " --backend kernel: " + why, null);
        return KernelBackend.INSTANCE;
    }

    /** The option for a child {@code dest}. */
    List<String> asArgs(HostBackend b) {
        return List.of("--backend=" + b.name());
    }
}
