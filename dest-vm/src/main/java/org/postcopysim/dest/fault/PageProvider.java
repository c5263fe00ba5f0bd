package org.postcopysim.dest.fault;

import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.Memslot;

/**
 * Where the party resolving a fault gets the page: from the source over the network (the page is
 * installed later, by the connection that receives it) or from local memory (installed during the
 * call). Implementations allocate nothing per page.
 */
public interface PageProvider {
    /** Asked for; someone else will install it: wait until it is present. */
    int REQUESTED = 0;
    /** A fetch of the page was in flight already: wait for it (a redundant fault). */
    int JOINED = 1;
    /** Present already: nothing to fetch. */
    int PRESENT = 2;
    /** This call fetched and installed it. */
    int INSTALLED = 3;
    /** The page could not be had; the run must stop (the provider has said why). */
    int FAILED = 4;

    /** Gets page {@code gfn} (bit {@code bit} of {@code slot}, dense {@code pageIndex}); returns a code above. */
    int fetch(Memslot slot, long bit, long gfn, long pageIndex, PageInstaller.Context ctx);
}
