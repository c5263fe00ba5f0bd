package org.postcopysim.cli.bench;

import org.HdrHistogram.Histogram;

/**
 * The raw round trips of one run: both halves together, and the parked half before and the
 * parked half after the migration on their own (nanoseconds).
 */
record RawSummary(String clientTransport, String serverTransport, Percentiles parked, Percentiles eventLoop,
                  Percentiles parkedBefore, Percentiles parkedAfter) {

    /** {@code after} may be null (one recorded round trip only). */
    static RawSummary of(String clientTransport, String serverTransport, RawRoundTrip.Sample before,
                         RawRoundTrip.Sample after) {
        Histogram parked = PingPongClient.newHistogram();
        Histogram eventLoop = PingPongClient.newHistogram();
        parked.add(before.parked());
        eventLoop.add(before.eventLoop());
        Percentiles parkedAfter = null;
        if (after != null) {
            parked.add(after.parked());
            eventLoop.add(after.eventLoop());
            parkedAfter = Percentiles.of(after.parked());
        }
        return new RawSummary(clientTransport, serverTransport, Percentiles.of(parked), Percentiles.of(eventLoop),
                Percentiles.of(before.parked()), parkedAfter);
    }
}
