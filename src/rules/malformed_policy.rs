use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "malformed-policy",
        severity: Severity::High,
        category: Category::Validity,
        summary: "policy structure IAM would reject: unknown or missing elements, wrong types, bare statements",
        doc: include_str!("../../rules/malformed-policy.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    for resolved in documents {
        let doc = &resolved.doc;
        for p in &doc.problems {
            let mut draft =
                Draft::new(p.span.clone(), p.message.clone()).label(p.label.clone()).locator(doc.locator.clone());
            if let Some(st) = p.statement.and_then(|i| doc.statements.iter().find(|s| s.index == i)) {
                draft = draft.in_statement(st);
            }
            if let Some(help) = &p.help {
                draft = draft.help(help.clone());
            }
            ctx.report(draft);
        }
    }
}
