//! One line per finding: `path:line:col: severity rule-id: message`.

use super::escape;
use crate::diagnostic::{Finding, Outcome, Suppressed};
use crate::filter::Verdict;
use std::io::{self, Write};

pub fn line(f: &Finding) -> String {
    let ((line, col), _) = f.range();
    format!(
        "{}:{line}:{col}: {} {}: {}",
        escape::path(&f.source.display_path()),
        f.severity,
        f.rule.id,
        escape::message(&f.message)
    )
}

/// A suppressed finding: its line, then the suppression.
pub fn suppressed_line(s: &Suppressed) -> String {
    format!("{} (suppressed by {}: {})", line(&s.finding), escape::text(&s.by), escape::message(&s.reason))
}

/// Every finding, the suppressed ones when asked, then the summary line.
pub fn write(outcome: &Outcome, verdict: &Verdict, show_suppressed: bool, out: &mut impl Write) -> io::Result<()> {
    for f in &outcome.findings {
        writeln!(out, "{}", line(f))?;
    }
    if show_suppressed {
        for s in &outcome.suppressed {
            writeln!(out, "{}", suppressed_line(s))?;
        }
    }
    writeln!(out, "{}", super::human::summary_line(outcome, verdict))
}
