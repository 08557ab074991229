//! One line per finding: `path:line:col: severity rule-id: message`.

use super::Finding;

pub fn line(f: &Finding) -> String {
    let ((line, col), _) = f.range();
    format!("{}:{line}:{col}: {} {}: {}", f.source.display_path(), f.severity, f.rule, f.message)
}
