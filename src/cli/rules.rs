//! `iamlint rules` and `iamlint explain`.

use super::usage_error;
use crate::rules::{RULES, find};
use std::io::Write;

pub fn list(out: &mut impl Write) -> std::io::Result<u8> {
    let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for r in RULES {
        writeln!(out, "{:width$}  {:8}  {}", r.id, r.severity.as_str(), r.summary)?;
    }
    Ok(0)
}

pub fn explain(id: &str, out: &mut impl Write) -> std::io::Result<u8> {
    match find(id) {
        Some(rule) => {
            writeln!(out, "{} (default severity: {})\n", rule.id, rule.severity)?;
            write!(out, "{}", rule.doc)?;
            Ok(0)
        }
        None => usage_error(&format!("unknown rule `{id}`; `iamlint rules` lists them")),
    }
}
