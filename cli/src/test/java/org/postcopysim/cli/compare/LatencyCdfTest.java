package org.postcopysim.cli.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class LatencyCdfTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    @Test
    void bucketsBecomeCumulativeFractionsAtEachUpperBoundFromTheFirstNonEmptyBucket() {
        ArrayNode b = F.arrayNode();
        b.addObject().put("lowUs", 1).put("highUs", 2).put("count", 0);
        b.addObject().put("lowUs", 2).put("highUs", 4).put("count", 1);
        b.addObject().put("lowUs", 4).put("highUs", 8).put("count", 2);
        b.addObject().put("lowUs", 8).put("highUs", 16).put("count", 0);
        b.addObject().put("lowUs", 16).put("highUs", 32).put("count", 1);
        b.addObject().put("lowUs", 32).put("highUs", 64).put("count", 0);

        LatencyCdf cdf = LatencyCdf.fromBuckets(b);

        assertEquals(LatencyCdf.Source.BUCKETS, cdf.source());
        assertArrayEquals(new double[] {2, 4, 8, 16, 32}, cdf.latencyUs());
        assertArrayEquals(new double[] {0, 0.25, 0.75, 0.75, 1.0}, cdf.fraction(), 1e-12);
    }

    @Test
    void bucketsInAnyOrderWithAZeroLowerBoundStayOnALogAxis() {
        ArrayNode b = F.arrayNode();
        b.addObject().put("lowUs", 1).put("highUs", 2).put("count", 3);
        b.addObject().put("lowUs", 0).put("highUs", 1).put("count", 1);

        LatencyCdf cdf = LatencyCdf.fromBuckets(b);

        assertArrayEquals(new double[] {1, 2}, cdf.latencyUs());
        assertArrayEquals(new double[] {0.25, 1.0}, cdf.fraction(), 1e-12);
    }

    @Test
    void insideTheFirstBucketThePercentilesPlaceTheCurveFromTheLowestLatencyRecorded() {
        // kvm-userfault-like: 81% of the faults below 1 us, the fastest at 180 ns
        ArrayNode b = F.arrayNode();
        b.addObject().put("lowUs", 0).put("highUs", 1).put("count", 81);
        b.addObject().put("lowUs", 1).put("highUs", 2).put("count", 15);
        b.addObject().put("lowUs", 2).put("highUs", 4).put("count", 4);
        ObjectNode lat = F.objectNode().put("count", 100).put("min", 180).put("p50", 400).put("p90", 1500)
                .put("p99", 3000).put("p999", 3500).put("max", 3900);

        LatencyCdf cdf = LatencyCdf.fromBuckets(b, lat);

        assertEquals(LatencyCdf.Source.BUCKETS, cdf.source());
        assertArrayEquals(new double[] {0.18, 0.4, 1, 2, 4}, cdf.latencyUs(), 1e-12);
        assertArrayEquals(new double[] {0, 0.5, 0.81, 0.96, 1.0}, cdf.fraction(), 1e-12);
    }

    @Test
    void theLowestLatencyStartsACurveFromPercentilesToo() {
        ObjectNode lat = F.objectNode().put("count", 10).put("min", 250).put("p50", 1500).put("p90", 3000)
                .put("p99", 9000).put("p999", 20000).put("max", 50000);

        LatencyCdf cdf = LatencyCdf.fromPercentiles(lat);

        assertArrayEquals(new double[] {0.25, 1.5, 3, 9, 20, 50}, cdf.latencyUs(), 1e-12);
        assertArrayEquals(new double[] {0, 0.5, 0.9, 0.99, 0.999, 1.0}, cdf.fraction(), 1e-12);
    }

    @Test
    void percentilesBecomeFivePointsInMicroseconds() {
        ObjectNode lat = F.objectNode().put("count", 10).put("p50", 1500).put("p90", 3000).put("p99", 9000)
                .put("p999", 20000).put("max", 50000);

        LatencyCdf cdf = LatencyCdf.fromPercentiles(lat);

        assertEquals(LatencyCdf.Source.PERCENTILES, cdf.source());
        assertArrayEquals(new double[] {1.5, 3, 9, 20, 50}, cdf.latencyUs(), 1e-12);
        assertArrayEquals(new double[] {0.5, 0.9, 0.99, 0.999, 1.0}, cdf.fraction(), 1e-12);
    }

    @Test
    void zeroPercentilesAreClampedPositiveAndNonDecreasing() {
        ObjectNode lat = F.objectNode().put("p50", 0).put("p90", 0).put("p99", 2000).put("p999", 1000).put("max", 4000);

        LatencyCdf cdf = LatencyCdf.fromPercentiles(lat);

        assertArrayEquals(new double[] {LatencyCdf.MIN_LATENCY_US, LatencyCdf.MIN_LATENCY_US, 2, 2, 4}, cdf.latencyUs(), 1e-12);
    }

    @Test
    void prefersBucketsAndFallsBackToPercentilesWhenBucketsAreEmptyOrAbsent() {
        ObjectNode withBuckets = SyntheticRecords.faultSummary("uffd", 2, 1000, 2000, true);
        assertEquals(LatencyCdf.Source.BUCKETS, LatencyCdf.of(withBuckets).source());

        ObjectNode emptyBuckets = SyntheticRecords.faultSummary("uffd", 2, 1000, 2000, false);
        emptyBuckets.putArray("faultLatencyLog2Us").addObject().put("lowUs", 1).put("highUs", 2).put("count", 0);
        assertEquals(LatencyCdf.Source.PERCENTILES, LatencyCdf.of(emptyBuckets).source());

        ObjectNode none = F.objectNode();
        none.putObject("faultLatencyNs").put("count", 0).put("p50", 0).put("max", 0);
        assertNull(LatencyCdf.of(none), "no faults, no curve");
        assertNull(LatencyCdf.of(F.objectNode()));
    }

    @Test
    void syntheticBucketsEndAtOne() {
        LatencyCdf cdf = LatencyCdf.of(SyntheticRecords.faultSummary("uffd", 2, 1000, 2000, true));
        double[] y = cdf.fraction();
        assertEquals(1.0, y[y.length - 1], 1e-12);
        for (int i = 1; i < y.length; i++) assertTrue(y[i] >= y[i - 1]);
    }
}
