use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::operator::{self, Unknown};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "unknown-condition-operator",
        severity: Severity::High,
        category: Category::Validity,
        summary: "a Condition operator IAM does not know (`StringEqual`, `stringEquals`, `NullIfExists`)",
        doc: include_str!("../../rules/unknown-condition-operator.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    for resolved in documents {
        for st in &resolved.doc.statements {
            let Some(condition) = &st.condition else { continue };
            for op in &condition.operators {
                let name = &op.name.value;
                // A template interpolation (`${var.operator}`) is decided at deploy time.
                if name.contains("${") {
                    continue;
                }
                let Some(unknown) = operator::diagnose(name) else { continue };
                // `{"aws:SourceArn": {"ArnEquals": ...}}`: the operator, when key and operator are swapped.
                let swapped = op.entries.iter().find_map(|e| operator::parse(&e.key.value)).map(|o| o.to_string());
                let (message, help) = wording(name, &unknown, swapped.as_deref());
                let mut draft = Draft::new(op.name.span.clone(), message)
                    .label("not an IAM operator")
                    .help(help)
                    .note("AWS rejects a policy with an unknown operator (IAM: MalformedPolicyDocument: Invalid Condition type)")
                    .in_statement(st);
                for entry in &op.entries {
                    let label = match (&unknown, operator::parse(&entry.key.value)) {
                        (Unknown::ConditionKey, Some(_)) => "the operator, in the key's place",
                        (Unknown::ConditionKey, None) => continue,
                        _ => "the key it was meant to test",
                    };
                    draft = draft.also(entry.key.span.clone(), label);
                }
                ctx.report(draft);
            }
        }
    }
}

/// The message and the help for an operator name IAM rejects.
fn wording(name: &str, unknown: &Unknown, swapped: Option<&str>) -> (String, String) {
    let not_an_operator = format!("`{name}` is not an IAM condition operator");
    match unknown {
        Unknown::Spelling { meant } if name.trim() != name && name.trim() == meant => {
            (format!("{not_an_operator}: spaces around the name"), format!("write `{meant}`"))
        }
        Unknown::Spelling { meant } => {
            (format!("{not_an_operator}: operator names are case-sensitive"), format!("write `{meant}`"))
        }
        Unknown::NullIfExists { meant } => (
            format!("{not_an_operator}: `Null` takes no `IfExists`"),
            format!(
                "write `{meant}`: it already tests whether the key is present (`\"false\"`: present, `\"true\"`: \
                 absent)"
            ),
        ),
        Unknown::Typo { meant } => (not_an_operator, format!("did you mean `{meant}`?")),
        Unknown::Qualifier { qualifier } => (
            format!("{not_an_operator}: `{qualifier}:` is not a set qualifier"),
            "the set qualifiers are `ForAllValues:` (every value of a multi-valued key must match) and \
             `ForAnyValue:` (at least one must)"
                .to_string(),
        ),
        Unknown::ConditionKey => (
            format!("{not_an_operator}: it reads as a condition key"),
            format!(
                "a condition names the operator first, then the key: \"Condition\": {{\"{}\": {{\"{name}\": \
                 \"...\"}}}}",
                swapped.unwrap_or("StringEquals")
            ),
        ),
        Unknown::Unrecognised => (
            not_an_operator,
            "write one of the IAM operators, such as `StringEquals`, `StringLike`, `ArnLike`, `NumericLessThan`, \
             `DateGreaterThan`, `Bool`, `IpAddress` or `Null`, optionally with `ForAllValues:`/`ForAnyValue:` \
             before it and `IfExists` after it"
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::wording;
    use crate::policy::operator::diagnose;

    fn message(name: &str) -> String {
        wording(name, &diagnose(name).unwrap(), None).0
    }

    #[test]
    fn says_why() {
        assert_eq!(
            message("stringEquals"),
            "`stringEquals` is not an IAM condition operator: operator names are case-sensitive"
        );
        assert_eq!(message("StringLike "), "`StringLike ` is not an IAM condition operator: spaces around the name");
        assert_eq!(
            message("NullIfExists"),
            "`NullIfExists` is not an IAM condition operator: `Null` takes no `IfExists`"
        );
        assert_eq!(message("StringEqual"), "`StringEqual` is not an IAM condition operator");
    }
}
