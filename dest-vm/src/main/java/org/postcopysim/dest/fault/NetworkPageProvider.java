package org.postcopysim.dest.fault;

import org.postcopysim.dest.fetch.DemandFetcher;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.Memslot;

/** Pages from the source: a demand request, at most one in flight per page (see {@link DemandFetcher}). */
public final class NetworkPageProvider implements PageProvider {
    private final DemandFetcher fetcher;

    public NetworkPageProvider(DemandFetcher fetcher) {
        this.fetcher = fetcher;
    }

    @Override
    public int fetch(Memslot slot, long bit, long gfn, long pageIndex, PageInstaller.Context ctx) {
        switch (fetcher.fault(slot, bit, gfn, pageIndex)) {
            case DemandFetcher.REQUESTED:
                return REQUESTED;
            case DemandFetcher.JOINED:
                return JOINED;
            default:
                return PRESENT;
        }
    }
}
