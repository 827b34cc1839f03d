//! Plain-text writer.

use ratatui::buffer::Buffer;

use super::Grid;

/// Render `buf` as plain text: one line per row (each ending in `\n`), wide characters once,
/// trailing spaces trimmed. Colours and modifiers are dropped; `HIDDEN` text becomes spaces.
pub fn to_txt(buf: &Buffer) -> String {
    let grid = Grid::new(buf, (0, 0, 0), (0, 0, 0));
    let mut out = String::new();
    for row in &grid.rows {
        let mut line = String::new();
        for cell in row {
            if cell.width == 0 {
                continue; // covered by a wide character
            }
            if cell.hidden {
                line.push_str(&" ".repeat(cell.width));
            } else {
                line.push_str(&cell.symbol);
            }
        }
        out.push_str(line.trim_end_matches(' '));
        out.push('\n');
    }
    out
}
