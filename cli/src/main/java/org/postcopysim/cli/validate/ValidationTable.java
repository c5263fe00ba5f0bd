package org.postcopysim.cli.validate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/** validate's table (kernel, model and simulation side by side, with the ratios) and its JSON. */
public final class ValidationTable {
    private ValidationTable() {
    }

    public static String format(List<ValidationRow> rows) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-13s %5s %12s %12s %12s %9s %11s %10s %10s %10s %8s%n", "config", "vCPUs",
                "kernel pg/s", "model pg/s", "sim pg/s", "sim/kern", "model/kern", "kern p50", "model p50", "sim p50",
                "spread"));
        for (ValidationRow r : rows) {
            b.append(String.format(Locale.ROOT, "%-13s %5d %12.0f %12.0f %12.0f %9.2f %11.2f %10s %10s %10s %8.2f%n",
                    r.config().label(), r.vcpus(), r.kernel().pagesPerSec(), r.model().pagesPerSec(), r.sim().pagesPerSec(),
                    r.simOverKernel(), r.modelOverKernel(), us(r.kernel().p50Ns()), us(r.model().p50Ns()),
                    us(r.sim().p50Ns()), r.kernel().spread()));
        }
        return b.toString();
    }

    private static String us(long ns) {
        return String.format(Locale.ROOT, "%.1f us", ns / 1000.0);
    }

    /** The whole run as JSON (docs/json.md, "validate"). */
    public static ObjectNode json(long seed, long memPerVcpu, int hostCpus, int passes, String costSource,
                                  List<ValidationRow> rows, Verdict v) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("seed", seed);
        j.put("memPerVcpuBytes", memPerVcpu);
        j.put("hostCpus", hostCpus);
        j.put("passes", passes);
        j.put("costs", costSource);
        j.put("tieTolerance", v.tieTolerance());
        j.put("verdict", v.holds());
        ArrayNode f = j.putArray("failures");
        v.failures().forEach(f::add);
        ArrayNode cells = j.putArray("cells");
        for (ValidationRow r : rows) {
            ObjectNode c = cells.addObject();
            c.put("config", r.config().label());
            c.put("uffdScope", r.config().scope().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            c.put("readers", r.config().readers(r.vcpus()));
            c.put("vcpus", r.vcpus());
            put(c.putObject("kernel"), r.kernel());
            put(c.putObject("model"), r.model());
            put(c.putObject("sim"), r.sim());
            c.put("simOverKernel", r.simOverKernel());
            c.put("modelOverKernel", r.modelOverKernel());
        }
        return j;
    }

    private static void put(ObjectNode o, CellResult r) {
        o.put("pagesPerSecOverall", r.pagesPerSec());
        o.put("p50Ns", r.p50Ns());
        o.put("runs", r.runs());
        o.put("spread", r.spread());
        ArrayNode rates = o.putArray("passRates");
        for (double d : r.passRates()) rates.add(d);
    }
}
