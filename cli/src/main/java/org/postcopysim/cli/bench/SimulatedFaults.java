package org.postcopysim.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;

/**
 * Step 2 of {@code bench latency}: a two-process migration ({@code postcopy-sim demo}: source
 * and destination each in a child JVM) on an idle link, shaped so that nearly every page the
 * single vCPU touches is a demand fault: a sequential walk at full speed, and a background
 * stream capped at {@link #BACKGROUND_BYTES_PER_SEC}.
 */
final class SimulatedFaults {
    /** vCPUs of the destination: one, so that faults never queue behind one another. */
    static final int VCPUS = 1;
    /** Page after page: each access is to a page not yet touched. */
    static final String WORKLOAD = "sequential";
    /** Guest accesses per second per vCPU; 0 = as fast as the thread can (it waits on faults anyway). */
    static final long ACCESSES_PER_SEC = 0;
    /** Cap of the background stream (bytes/s): 256 pages a second, a trickle beside the faults. */
    static final long BACKGROUND_BYTES_PER_SEC = 1L << 20;

    /**
     * @param faultLatency the destination's fault latency, exit to page present (ns)
     * @param summary      the destination's whole JSON summary, as demo wrote it
     */
    record Result(Percentiles faultLatency, JsonNode summary) {}

    /**
     * The saturated case: the stream uncapped while {@link #SATURATED_VCPUS} vCPUs fault all over
     * the guest ({@code demo --vcpus 2 --max-bandwidth 0} with its default workload, uniform, at a
     * million accesses a second each): each demand fault's round trip shares the link and both
     * cores with the background stream at full speed. Demand pages travel on their own connection.
     */
    static final int SATURATED_VCPUS = 2;
    /** The saturated case's workload: demo's default. */
    static final String SATURATED_WORKLOAD = "uniform";
    /** The saturated case's accesses per second per vCPU: demo's default. */
    static final long SATURATED_ACCESSES_PER_SEC = 1_000_000;

    private SimulatedFaults() {}

    /** The saturated case (see {@link #SATURATED_VCPUS}); throws when it did not verify or had no demand fault. */
    static Result measureSaturated(long guestBytes, int streamNice, long seed, PrintWriter echo, ObjectMapper json)
            throws IOException {
        return result(DemoRun.run(saturatedOptions(guestBytes, streamNice), seed, echo, json));
    }

    /** The saturated case's demo options: the stream's threads at niceness {@code streamNice} on both sides. */
    static List<String> saturatedOptions(long guestBytes, int streamNice) {
        return List.of("--guest-mem", Long.toString(guestBytes), "--vcpus", Integer.toString(SATURATED_VCPUS),
                "--workload", SATURATED_WORKLOAD, "--access-rate", Long.toString(SATURATED_ACCESSES_PER_SEC),
                "--max-bandwidth", "0", "--stream-nice", Integer.toString(streamNice));
    }

    /** Runs demo, its output echoed to {@code echo}; throws when the migration did not verify. */
    static Result measure(long guestBytes, long seed, PrintWriter echo, ObjectMapper json) throws IOException {
        return result(DemoRun.run(demoOptions(guestBytes), seed, echo, json));
    }

    private static Result result(JsonNode summary) throws IOException {
        Percentiles lat = Percentiles.of(summary.path("faultLatencyNs"));
        if (lat.count() == 0) throw new IOException("the simulated migration had no demand faults");
        return new Result(lat, summary);
    }

    /** The options demo runs with (besides seed and JSON file). */
    static List<String> demoOptions(long guestBytes) {
        return List.of("--guest-mem", Long.toString(guestBytes), "--vcpus", Integer.toString(VCPUS),
                "--workload", WORKLOAD, "--access-rate", Long.toString(ACCESSES_PER_SEC),
                "--max-bandwidth", Long.toString(BACKGROUND_BYTES_PER_SEC));
    }
}
