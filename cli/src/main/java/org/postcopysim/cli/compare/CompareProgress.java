package org.postcopysim.cli.compare;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** One step per finished run, drawn on stderr only on a terminal; does nothing otherwise. */
final class CompareProgress implements AutoCloseable {
    private final ProgressBar bar;

    private CompareProgress(ProgressBar bar) {
        this.bar = bar;
    }

    /** A bar of {@code runs} steps when attached to a terminal, else one that draws nothing. */
    static CompareProgress start(int runs) {
        if (!org.postcopysim.cli.Terminal.stderrIsTerminal()) return new CompareProgress(null);
        return new CompareProgress(new ProgressBarBuilder().setTaskName("compare").setInitialMax(runs)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" runs", 1).build());
    }

    /** Whether a bar is drawn (then the per-run lines on stdout are left out). */
    boolean shown() {
        return bar != null;
    }

    /** Names the run now starting. */
    void starting(String label) {
        if (bar != null) bar.setExtraMessage(label);
    }

    void step() {
        if (bar != null) bar.step();
    }

    @Override
    public void close() {
        if (bar == null) return;
        bar.setExtraMessage("done");
        bar.close();
    }
}
