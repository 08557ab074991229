use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "malformed-json",
        severity: Severity::Critical,
        category: Category::Validity,
        summary: "JSON syntax errors: comments, trailing or missing commas, unclosed brackets, invalid UTF-8",
        doc: include_str!("../../rules/malformed-json.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let syntax = ctx.syntax;
    for p in syntax {
        let mut draft = Draft::new(p.span.clone(), p.message.clone()).label(p.label.clone());
        if let Some(help) = &p.help {
            draft = draft.help(help.clone());
        }
        ctx.report(draft);
    }
}
