package org.postcopysim.dest.metrics;

/**
 * Hines and Gopalan's measure of a background order ("Post-copy based live virtual machine
 * migration using adaptive pre-paging and dynamic self-ballooning"): the faults that had to wait
 * for a page fetched on demand, as a fraction of the pages the guest touched. A fault is
 * network-bound when the source had not sent its page in the background when the request
 * arrived (not present, nor in flight): the demand answer was the page's first copy. Counted
 * per page, so that faults joining a request in flight are not counted again.
 *
 * @param faults       network-bound faults: pages whose first copy was a demand answer (count)
 * @param pagesTouched distinct pages the guest's accesses touched during postcopy (count)
 */
public record NetworkBoundFaults(long faults, long pagesTouched) {
    /** {@link #faults} over {@link #pagesTouched}; 0 when the guest touched no page. */
    public double fraction() {
        return pagesTouched == 0 ? 0 : (double) faults / pagesTouched;
    }
}
