package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TerminalTest {
    @Test
    void terminalsAreTerminalsAndFilesPipesAndSocketsAreNot() {
        assertTrue(Terminal.isTerminalDevice("/dev/pts/3"));
        assertTrue(Terminal.isTerminalDevice("/dev/tty1"));
        assertFalse(Terminal.isTerminalDevice("/tmp/dest.log"));
        assertFalse(Terminal.isTerminalDevice("pipe:[123456]"));
        assertFalse(Terminal.isTerminalDevice("socket:[99]"));
        assertFalse(Terminal.isTerminalDevice("/dev/null"));
    }

    @Test
    void testsRunWithoutATerminalSoNothingDrawsABar() {
        assertFalse(Terminal.stderrIsTerminal(), "surefire's stderr is a pipe or a file");
    }
}
