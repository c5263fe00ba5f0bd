package org.postcopysim.cli.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The project's docs/ files, found from a module's directory (where Surefire runs the tests). */
public final class DocFiles {
    private DocFiles() {}

    /** docs/{@code name} of the checkout that holds the working directory. */
    public static Path path(String name) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("docs").resolve(name);
            if (Files.isRegularFile(candidate) && Files.isRegularFile(dir.resolve("README.md"))) return candidate;
        }
        throw new IllegalStateException("no docs/" + name + " above " + Path.of("").toAbsolutePath());
    }

    /** The lines of docs/{@code name}. */
    public static List<String> lines(String name) {
        try {
            return Files.readAllLines(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The rows of the first Markdown table after the heading {@code heading} (a whole heading line,
     * e.g. "## Source"), before the next heading: each row's cells, trimmed, header and separator
     * rows left out.
     */
    public static List<List<String>> table(List<String> lines, String heading) {
        int at = lines.indexOf(heading);
        if (at < 0) throw new IllegalStateException("no heading '" + heading + "'");
        List<String> tableLines = new ArrayList<>();
        for (int i = at + 1; i < lines.size(); i++) {
            String l = lines.get(i).trim();
            if (l.startsWith("#")) break;
            if (l.startsWith("|")) tableLines.add(l);
            else if (!tableLines.isEmpty()) break; // the table ended
        }
        if (tableLines.size() < 3) throw new IllegalStateException("no table rows under '" + heading + "'");
        List<List<String>> rows = new ArrayList<>();
        for (String l : tableLines.subList(2, tableLines.size())) rows.add(cells(l)); // after the header and |---|
        return rows;
    }

    /** "| a | b \| c |" -> [a, b | c]. */
    static List<String> cells(String row) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        for (int i = 1; i < row.length(); i++) {
            char c = row.charAt(i);
            if (c == '\\' && i + 1 < row.length() && row.charAt(i + 1) == '|') {
                cell.append('|');
                i++;
            } else if (c == '|') {
                cells.add(cell.toString().trim());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        return cells;
    }

    /** "`a`" -> "a"; a cell without backticks as it is. */
    public static String code(String cell) {
        return cell.startsWith("`") && cell.endsWith("`") && cell.length() >= 2 ? cell.substring(1, cell.length() - 1) : cell;
    }
}
