package org.postcopysim.cli.validate;

/**
 * One backend's figures for one configuration and vCPU count.
 *
 * @param pagesPerSec pages touched per second by all threads (each backend's fastest pass;
 *                    the simulator's passes differ by their seeds, which draw its placement phases)
 * @param p50Ns       that run's median fault latency (ns)
 * @param runs        runs it is the fastest of
 * @param spread      the fastest pass's rate over the slowest's (1 for one run)
 * @param passRates   each pass's rate, in pass order
 */
public record CellResult(double pagesPerSec, long p50Ns, int runs, double spread, double[] passRates) {
}
