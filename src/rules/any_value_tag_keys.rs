use super::{Check, Context, Rule};
use crate::catalogue::keys;
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::operator::{self, Family, Operator, SetQualifier};
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "any-value-tag-keys",
        severity: Severity::Low,
        category: Category::LeastPrivilege,
        summary: "`ForAnyValue:` on a tag-key list (`aws:TagKeys`) in an Allow: any other tag key passes beside one listed",
        doc: include_str!("../../rules/any-value-tag-keys.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            if !st.is_allow() {
                continue;
            }
            let Some(condition) = &st.condition else { continue };
            for (op, entry) in condition.entries() {
                let Some(parsed) = operator::parse(&op.name.value) else { continue };
                let key = &entry.key.value;
                if parsed.qualifier != Some(SetQualifier::ForAnyValue)
                    || parsed.base.negated
                    || parsed.base.family != Family::String
                    || !keys::lists_tag_keys(key)
                    // The session tags made transitive, not the tags a request sets: AWS
                    // writes `ForAnyValue:` there to require one of them.
                    || key.eq_ignore_ascii_case("sts:TransitiveTagKeys")
                {
                    continue;
                }
                // `ForAllValues:` on the same key already limits which keys pass: then
                // `ForAnyValue:` only requires one of them, AWS's "at least this tag" idiom.
                let limited = condition.entries().any(|(o, e)| {
                    e.key.value.eq_ignore_ascii_case(key)
                        && operator::parse(&o.name.value)
                            .is_some_and(|p| p.qualifier == Some(SetQualifier::ForAllValues))
                });
                if limited {
                    continue;
                }
                let all = Operator { qualifier: Some(SetQualifier::ForAllValues), ..parsed }.to_string();
                let mut draft = Draft::new(
                    op.name.span.clone(),
                    format!("`{}` on `{key}` allows any other tag key beside one listed", op.name.value),
                )
                .label("true when one of the request's tag keys matches")
                .also(entry.key.span.clone(), "the tag keys of the request")
                .help(format!(
                    "write `{all}` to allow only the tag keys listed (add `\"Null\": {{\"{key}\": \"false\"}}` to \
                     require at least one)"
                ))
                .note(format!(
                    "a request that sets a listed key and any other keys passes `ForAnyValue:`; `ForAllValues:` \
                     requires every key of the request to be listed, as AWS's examples for `{key}` write it"
                ))
                .in_statement(st);
                if !rs.actions.is_everything(catalogue) && !rs.actions.is_empty() {
                    draft = draft.actions(wording::names(&rs.actions, catalogue, wording::ACTIONS_CAP));
                }
                ctx.report(draft);
            }
        }
    }
}
