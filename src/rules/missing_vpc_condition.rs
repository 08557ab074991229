//! PLACEHOLDER: being written. Replace this whole file.
use super::{Context, Rule};
use crate::report::Severity;

pub static RULE: Rule = Rule {
    id: "missing-vpc-condition",
    severity: Severity::Info,
    summary: "TODO",
    doc: "",
    check,
};

fn check(_ctx: &mut Context<'_>) {}
