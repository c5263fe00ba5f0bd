package org.postcopysim.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * What a terminal would show after receiving {@code text}: characters overwrite the cell under
 * the cursor, '\r' goes to the start of the line, '\n' to the next line, ESC[nA and ESC[nB move
 * the cursor up and down (as the progressbar library's multi-bar consumer does). Enough to tell
 * whether a progress bar was left on the screen or drew over other lines.
 */
public final class VirtualScreen {
    private final List<StringBuilder> rows = new ArrayList<>();
    private int row;
    private int col;

    public static List<String> render(String text) {
        VirtualScreen s = new VirtualScreen();
        s.rows.add(new StringBuilder());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\u001b' && i + 1 < text.length() && text.charAt(i + 1) == '[') {
                int j = i + 2;
                while (j < text.length() && Character.isDigit(text.charAt(j))) j++;
                int n = j > i + 2 ? Integer.parseInt(text.substring(i + 2, j)) : 1;
                char op = j < text.length() ? text.charAt(j) : ' ';
                if (op == 'A') s.row = Math.max(0, s.row - n);
                if (op == 'B') s.moveDown(n);
                i = j;
            } else if (c == '\r') {
                s.col = 0;
            } else if (c == '\n') {
                s.moveDown(1);
                s.col = 0;
            } else {
                s.put(c);
            }
        }
        List<String> lines = new ArrayList<>();
        for (StringBuilder r : s.rows) lines.add(r.toString().stripTrailing());
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
        return lines;
    }

    private void moveDown(int n) {
        row += n;
        while (rows.size() <= row) rows.add(new StringBuilder());
    }

    private void put(char c) {
        StringBuilder r = rows.get(row);
        while (r.length() < col) r.append(' ');
        if (col < r.length()) r.setCharAt(col, c);
        else r.append(c);
        col++;
    }
}
