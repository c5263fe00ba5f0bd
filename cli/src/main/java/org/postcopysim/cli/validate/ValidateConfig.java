package org.postcopysim.cli.validate;

import org.postcopysim.dest.uffd.UffdSet;

/** The three uffd configurations validate compares, each over partitioned access. */
public enum ValidateConfig {
    /** One uffd for all memory, one reader thread. */
    SHARED_ONE_READER("shared:1", UffdSet.Scope.SHARED, false),
    /** One uffd for all memory, as many reader threads as vCPUs. */
    SHARED_READERS_VCPUS("shared:vcpus", UffdSet.Scope.SHARED, true),
    /** One uffd per vCPU range, one reader thread each. */
    PER_VCPU("per-vcpu:1", UffdSet.Scope.PER_VCPU, false);

    private final String label;
    private final UffdSet.Scope scope;
    private final boolean readersPerVcpu;

    ValidateConfig(String label, UffdSet.Scope scope, boolean readersPerVcpu) {
        this.label = label;
        this.scope = scope;
        this.readersPerVcpu = readersPerVcpu;
    }

    /** scope:readers, as the table prints it. */
    public String label() {
        return label;
    }

    public UffdSet.Scope scope() {
        return scope;
    }

    /** Readers per uffd at {@code vcpus} vCPUs. */
    public int readers(int vcpus) {
        return readersPerVcpu ? vcpus : 1;
    }
}
