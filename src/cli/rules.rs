//! `iamlint rules` and `iamlint explain`.

use super::usage_error;
use crate::filter::did_you_mean;
use crate::rules::{RULES, find};
use std::io::Write;

pub fn list(out: &mut impl Write) -> std::io::Result<u8> {
    let width = RULES.iter().map(|r| r.id().len()).max().unwrap_or(0);
    for r in RULES {
        let m = &r.meta;
        writeln!(out, "{:width$}  {:8}  {:15}  {}", m.id, m.severity.as_str(), m.category.as_str(), m.summary)?;
    }
    Ok(0)
}

pub fn explain(id: &str, out: &mut impl Write) -> std::io::Result<u8> {
    match find(id) {
        Some(rule) => {
            let m = &rule.meta;
            writeln!(out, "{} (default severity: {}, category: {})\n", m.id, m.severity, m.category.as_str())?;
            write!(out, "{}", m.doc)?;
            Ok(0)
        }
        None => {
            let suggestion = did_you_mean(id).map(|r| format!(" (did you mean `{r}`?)")).unwrap_or_default();
            usage_error(&format!("unknown rule `{id}`{suggestion}; `iamlint rules` lists them"))
        }
    }
}
