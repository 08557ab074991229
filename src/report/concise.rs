//! One line per finding: `path:line:col: severity rule-id: message`.

use crate::diagnostic::{Finding, Outcome};
use std::io::{self, Write};

pub fn line(f: &Finding) -> String {
    let ((line, col), _) = f.range();
    format!("{}:{line}:{col}: {} {}: {}", f.source.display_path(), f.severity, f.rule.id, f.message)
}

pub fn write(outcome: &Outcome, out: &mut impl Write) -> io::Result<()> {
    for f in &outcome.findings {
        writeln!(out, "{}", line(f))?;
    }
    Ok(())
}
