//! Text rendering shared by the commands: money, durations, token counts, aligned tables, CSV.

/// USD with 4 significant digits below $100 (`$0.0001251`), cents above.
pub(crate) fn money(value: f64) -> String {
    if value == 0.0 {
        return "$0".to_owned();
    }
    if value.abs() >= 100.0 {
        return format!("${value:.2}");
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(2, 12) as usize;
    format!("${value:.decimals$}")
}

/// A duration in nanoseconds as `812µs`, `12.3ms` or `4.21s`.
pub(crate) fn duration(nanos: f64) -> String {
    if nanos < 1e6 {
        format!("{:.0}µs", nanos / 1e3)
    } else if nanos < 1e9 {
        format!("{:.1}ms", nanos / 1e6)
    } else {
        format!("{:.2}s", nanos / 1e9)
    }
}

/// An integer with thousands separators: `1,234,567`.
pub(crate) fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A ratio as a percentage with one decimal.
pub(crate) fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// A plain-text table with a header row and aligned columns.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns; names starting with `>` are right-aligned (the `>` is
    /// dropped).
    pub(crate) fn new(columns: &[&str]) -> Self {
        Self {
            header: columns
                .iter()
                .map(|c| c.trim_start_matches('>').to_owned())
                .collect(),
            align: columns
                .iter()
                .map(|c| {
                    if c.starts_with('>') {
                        Align::Right
                    } else {
                        Align::Left
                    }
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (as many cells as columns).
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Renders with two spaces between columns and no trailing spaces.
    pub(crate) fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (index, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(index) {
                    *width = (*width).max(cell.chars().count());
                }
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (index, cell) in row.iter().enumerate() {
                let width = widths.get(index).copied().unwrap_or(0);
                let pad = width.saturating_sub(cell.chars().count());
                if index > 0 {
                    line.push_str("  ");
                }
                match self.align.get(index).copied().unwrap_or(Align::Left) {
                    Align::Left => {
                        line.push_str(cell);
                        line.push_str(&" ".repeat(pad));
                    }
                    Align::Right => {
                        line.push_str(&" ".repeat(pad));
                        line.push_str(cell);
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Renders as a Markdown table.
    pub(crate) fn markdown(&self) -> String {
        let escape = |cell: &str| cell.replace('|', "\\|");
        let mut out = format!(
            "| {} |\n|{}|\n",
            self.header
                .iter()
                .map(|h| escape(h))
                .collect::<Vec<_>>()
                .join(" | "),
            self.align
                .iter()
                .map(|a| if *a == Align::Right { "---:" } else { "---" })
                .collect::<Vec<_>>()
                .join("|")
        );
        for row in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                row.iter()
                    .map(|c| escape(c))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        out
    }
}

/// One CSV field, quoted when needed (RFC 4180).
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_four_significant_digits() {
        assert_eq!(money(0.000_125_1), "$0.0001251");
        assert_eq!(money(0.5), "$0.5000");
        assert_eq!(money(12.345), "$12.35");
        assert_eq!(money(1234.5), "$1234.50");
    }

    #[test]
    fn counts_get_separators() {
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(999), "999");
    }
}
