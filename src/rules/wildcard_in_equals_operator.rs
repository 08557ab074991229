use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::operator::{self, Family, Operator};
use crate::policy::{ConditionEntry, ConditionOperator, Statement};
use crate::rules::shared::wording;
use crate::source::Spanned;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "wildcard-in-equals-operator",
        severity: Severity::Medium,
        category: Category::Suspicious,
        summary: "`*` or `?` in a `StringEquals`-style condition value, where it is matched literally",
        doc: include_str!("../../rules/wildcard-in-equals-operator.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            let Some(condition) = &st.condition else { continue };
            for op in &condition.operators {
                // Unknown operators are unknown-condition-operator's finding.
                let Some(parsed) = operator::parse(&op.name.value) else { continue };
                let Some(like) = parsed.base.like.as_deref() else { continue };
                for entry in &op.entries {
                    let Some(mut draft) = finding(st, op, &parsed, like, entry) else { continue };
                    // The actions the condition was meant to restrict (not every action of
                    // AWS for a `*`).
                    if !rs.actions.is_everything(catalogue) {
                        draft = draft.actions(wording::names(&rs.actions, catalogue, wording::ACTIONS_CAP));
                    }
                    ctx.report(draft);
                }
            }
        }
    }
}

/// What a value's wildcards are, once policy variables (`${aws:username}`, and the
/// escapes `${*}`, `${?}`, `${$}`) are set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Wildcards {
    None,
    /// Only `?`: a wildcard, or a literal question mark (a URL's query string).
    Question,
    Star,
}

fn wildcards(value: &str) -> Wildcards {
    let mut rest = value;
    let mut found = Wildcards::None;
    loop {
        let (text, variable_follows) = match rest.find("${") {
            Some(i) => (&rest[..i], true),
            None => (rest, false),
        };
        if text.contains('*') {
            return Wildcards::Star;
        }
        if text.contains('?') {
            found = Wildcards::Question;
        }
        if !variable_follows {
            return found;
        }
        let after = &rest[text.len() + 2..];
        match after.find('}') {
            Some(end) => rest = &after[end + 1..],
            // No closing brace: not a variable, so the rest is plain text.
            None => {
                return if after.contains('*') {
                    Wildcards::Star
                } else if after.contains('?') {
                    Wildcards::Question
                } else {
                    found
                };
            }
        }
    }
}

fn finding(
    st: &Statement,
    op: &ConditionOperator,
    parsed: &Operator,
    like: &str,
    entry: &ConditionEntry,
) -> Option<Draft> {
    let marked: Vec<(&Spanned<String>, Wildcards)> =
        entry.values.iter().map(|v| (v, wildcards(&v.value))).filter(|(_, w)| *w != Wildcards::None).collect();
    let worst = marked.iter().map(|(_, w)| *w).max()?;
    let (first, _) = marked.iter().find(|(_, w)| *w == worst)?;
    let name = &op.name.value;
    let value = &first.value;
    let replacement = parsed.with_base(like);
    let mut draft = if parsed.base.family == Family::Arn {
        // ArnEquals and ArnLike behave identically (IAM condition operators page):
        // the pattern works, only the name misleads.
        Draft::new(
            first.span.clone(),
            format!("`{name}` value `{value}` is a pattern: `{name}` reads `*` and `?` as wildcards, like `{like}`"),
        )
        .label("a pattern, not one ARN")
        .also(op.name.span.clone(), format!("`{name}` behaves exactly as `{replacement}`"))
        .help(format!("write `{replacement}` so that the condition reads as the pattern it is"))
        .severity(Severity::Info)
    } else {
        let case = if parsed.base.name.contains("IgnoreCase") {
            format!(" (`{like}` is case-sensitive: there is no case-insensitive Like operator)")
        } else {
            String::new()
        };
        let draft = match worst {
            Wildcards::Star if value == "*" => Draft::new(
                first.span.clone(),
                format!("`{name}` matches `*` literally: only the one-character value `*`, not any value"),
            )
            .label("the literal text `*`")
            .help(if parsed.qualifier.is_none() && !parsed.if_exists && !parsed.base.negated {
                format!(
                    "write `{replacement}`, with which `*` matches any value{case}, or `\"Null\": {{\"{}\": \
                     \"false\"}}`, which says the same: the key is present",
                    entry.key.value
                )
            } else {
                format!("write `{replacement}`, with which `*` matches any value{case}")
            }),
            Wildcards::Star => Draft::new(
                first.span.clone(),
                format!("`{name}` matches `{value}` literally: `*` is not a wildcard there"),
            )
            .label(format!("the literal text `{value}`"))
            .help(format!("write `{replacement}`, which reads `*` and `?` as wildcards{case}")),
            _ => Draft::new(
                first.span.clone(),
                format!("`{name}` matches `{value}` literally: if `?` is meant as a wildcard, it is not one there"),
            )
            .label(format!("the literal text `{value}`"))
            .help(format!(
                "if `?` stands for any one character, write `{replacement}`{case}; a literal `?` (as in a URL) can \
                 stay, or be written `${{?}}` under `{replacement}`"
            ))
            .severity(Severity::Low),
        };
        let draft = draft.also(op.name.span.clone(), format!("`{name}` compares exactly"));
        if !parsed.base.negated {
            draft
        } else if parsed.qualifier.is_none() {
            draft.note(format!(
                "`{name}` is true for every value except the literal text, and when the key is absent, so the \
                 statement applies far more widely than it reads"
            ))
        } else {
            draft.note(format!(
                "`{name}` is true for every value except the literal text, so the statement applies far more \
                 widely than it reads"
            ))
        }
    };
    let other_label = if parsed.base.family == Family::Arn { "also a pattern" } else { "also compared literally" };
    for (other, _) in marked.iter().filter(|(v, _)| v.span != first.span) {
        draft = draft.also(other.span.clone(), other_label);
    }
    Some(draft.in_statement(st))
}

#[cfg(test)]
mod tests {
    use super::{Wildcards, wildcards};

    #[test]
    fn policy_variables_are_not_wildcards() {
        assert_eq!(wildcards("prod"), Wildcards::None);
        assert_eq!(wildcards("prod-*"), Wildcards::Star);
        assert_eq!(wildcards("*"), Wildcards::Star);
        assert_eq!(wildcards("i-?????"), Wildcards::Question);
        assert_eq!(wildcards("a?b*"), Wildcards::Star);
        assert_eq!(wildcards("${aws:username}"), Wildcards::None);
        assert_eq!(wildcards("home/${aws:username}/${*}"), Wildcards::None);
        assert_eq!(wildcards("what${?}"), Wildcards::None);
        assert_eq!(wildcards("${aws:PrincipalTag/team, 'default'}"), Wildcards::None);
        assert_eq!(wildcards("${aws:username}-*"), Wildcards::Star);
        assert_eq!(wildcards("${aws:username}?"), Wildcards::Question);
        assert_eq!(wildcards("${unclosed*"), Wildcards::Star);
        assert_eq!(wildcards("$*{x}"), Wildcards::Star);
    }
}
