package org.postcopysim.cli.bench;

import java.io.IOException;

/**
 * The limit {@code bench throughput} holds the background stream against: one TCP stream's
 * bulk rate on loopback, measured on this machine in the same run.
 */
interface WireLimit {
    /** The tool's name as the report and the JSON give it ({@code iperf3} or {@code netty}). */
    String tool();

    /** One measurement of {@code seconds} seconds; returns the bytes per second received. */
    double measureBytesPerSec(int seconds) throws IOException, InterruptedException;
}
