/// Elastic-tabstop column alignment, equivalent to Go's `text/tabwriter` as forked by
/// docker/cli (`formatter/tabwriter`) with space padding, left alignment and no flags.
///
/// Cells are terminated by `\t` (or `\v`); a line's trailing text after its last tab is
/// not part of any column and is never padded. A column's width is the widest cell in a
/// run of consecutive lines that have that column, plus `padding`, but at least `minWidth`.
struct TabWriter {
    private struct Cell {
        var text: String
        var width: Int
        var htab: Bool
    }

    var minWidth: Int
    var padding: Int

    private var lines: [[Cell]] = [[]]
    private var cell = ""
    private var widths: [Int] = []
    private var output = ""

    /// docker/cli's table writer: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
    static func docker() -> TabWriter {
        TabWriter(minWidth: 10, padding: 3)
    }

    init(minWidth: Int, padding: Int) {
        self.minWidth = minWidth
        self.padding = padding
    }

    /// Aligns `text` in one go (write + flush).
    static func align(_ text: String, minWidth: Int = 10, padding: Int = 3) -> String {
        var writer = TabWriter(minWidth: minWidth, padding: padding)
        writer.write(text)
        return writer.flush()
    }

    mutating func write(_ text: String) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\t", "\u{0B}", "\n", "\u{0C}":
                let cells = terminateCell(htab: scalar == "\t")
                if scalar == "\n" || scalar == "\u{0C}" {
                    lines.append([])
                    if scalar == "\u{0C}" || cells == 1 {
                        // A single-cell line cannot affect later columns; Go flushes here.
                        flushBuffered()
                    }
                }
            default:
                cell.unicodeScalars.append(scalar)
            }
        }
    }

    /// Formats everything written so far and returns the complete output.
    mutating func flush() -> String {
        flushBuffered()
        defer { output = "" }
        return output
    }

    private mutating func terminateCell(htab: Bool) -> Int {
        let width = GoText.displayWidth(cell)
        lines[lines.count - 1].append(Cell(text: cell, width: width, htab: htab))
        cell = ""
        return lines[lines.count - 1].count
    }

    private mutating func flushBuffered() {
        if !cell.isEmpty { _ = terminateCell(htab: false) }
        format(0, lines.count)
        lines = [[]]
        cell = ""
        widths = []
    }

    private mutating func format(_ start: Int, _ end: Int) {
        var line0 = start
        let column = widths.count
        var this = start
        while this < end {
            if column >= lines[this].count - 1 {
                this += 1
                continue
            }
            writeLines(line0, this)
            line0 = this
            var width = minWidth
            while this < end && column < lines[this].count - 1 {
                width = max(width, lines[this][column].width + padding)
                this += 1
            }
            widths.append(width)
            format(line0, this)
            widths.removeLast()
            line0 = this
        }
        writeLines(line0, end)
    }

    private mutating func writeLines(_ start: Int, _ end: Int) {
        guard start < end else { return }
        for index in start..<end {
            for (column, entry) in lines[index].enumerated() {
                output += entry.text
                if column < widths.count {
                    output += String(repeating: " ", count: max(0, widths[column] - entry.width))
                }
            }
            if index + 1 == lines.count {
                output += cell
            } else {
                output += "\n"
            }
        }
    }
}
