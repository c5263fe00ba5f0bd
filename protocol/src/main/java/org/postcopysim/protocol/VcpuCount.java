package org.postcopysim.protocol;

/**
 * The one limit on a guest's vCPU count: what a source serves (it bounds the Switchover frame),
 * a destination runs, and the fault benchmark starts. Every command that takes {@code --vcpus}
 * checks it here.
 */
public final class VcpuCount {
    /** Most vCPUs a guest may have (count). */
    public static final int MAX = 4096;

    private VcpuCount() {}

    /** {@code vcpus} when it is within 1..{@link #MAX}; otherwise an IllegalArgumentException saying so. */
    public static int check(int vcpus) {
        if (vcpus < 1 || vcpus > MAX) {
            throw new IllegalArgumentException("the vCPU count must be within 1.." + MAX + ", got " + vcpus);
        }
        return vcpus;
    }
}
