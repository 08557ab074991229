use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "incomplete-analysis",
        severity: Severity::High,
        category: Category::Validity,
        summary: "a principal names a policy or group the input does not hold: what it grants is not analysed",
        doc: include_str!("../../rules/incomplete-analysis.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let gaps = ctx.gaps;
    for gap in gaps {
        ctx.report(
            Draft::new(gap.span.clone(), gap.message.clone())
                .label(gap.label.clone())
                .help(gap.help.clone())
                .locator(gap.locator.clone()),
        );
    }
}
