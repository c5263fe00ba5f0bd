package org.postcopysim.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;

/**
 * The stream half of {@code bench throughput}: a two-process migration (as {@code demo} runs it)
 * whose only traffic is the background stream: one vCPU walking the guest sequentially at
 * {@link #ACCESSES_PER_SEC} accesses a second (nearly idle), the stream uncapped.
 */
final class StreamRun {
    static final int VCPUS = 1;
    static final String WORKLOAD = "sequential";
    /** Guest accesses per second of the vCPU: few enough that nearly every page arrives by the stream. */
    static final long ACCESSES_PER_SEC = 1000;

    private StreamRun() {}

    static ThroughputReport.Stream measure(long guestBytes, long seed, PrintWriter echo, ObjectMapper json)
            throws IOException {
        return ThroughputReport.Stream.of(DemoRun.run(demoOptions(guestBytes), seed, echo, json));
    }

    /** The options demo runs with (besides seed and JSON file). */
    static List<String> demoOptions(long guestBytes) {
        return List.of("--guest-mem", Long.toString(guestBytes), "--vcpus", Integer.toString(VCPUS),
                "--workload", WORKLOAD, "--access-rate", Long.toString(ACCESSES_PER_SEC), "--max-bandwidth", "0");
    }
}
