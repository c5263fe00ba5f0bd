/**
 * Reusable pieces for the destination's QEMU-style postcopy metrics (kernel-background.md §7):
 * {@link org.postcopysim.dest.metrics.BlocktimeTracker} (time all vCPUs were blocked at once,
 * and per vCPU; lock-free and allocation-free on the vCPU's path) and
 * {@link org.postcopysim.dest.metrics.Log2Buckets} (the fault latency distribution in log2
 * microsecond buckets, read from a Micrometer timer's service level objectives).
 * {@link org.postcopysim.dest.DestMetrics} registers them; the migration summary reports them.
 */
package org.postcopysim.dest.metrics;
