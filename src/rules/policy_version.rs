use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::PolicyDocument;
use crate::source::Spanned;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "policy-version",
        severity: Severity::Low,
        category: Category::Validity,
        summary: "missing Version or the 2008-10-17 policy language, which takes policy variables literally",
        doc: include_str!("../../rules/policy-version.md"),
    },
    check: Check::Document(check),
};

/// The policy language a policy without `Version` is read with; it predates policy
/// variables (reference_policies_elements_version.html).
const OLD_VERSION: &str = "2008-10-17";
const HELP: &str = r#"write "Version": "2012-10-17" (the date of the current policy language, not of your policy)"#;

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    for resolved in documents {
        let doc = &resolved.doc;
        // A bare statement has no Version by nature; malformed-policy reports the shape.
        // A Version of the wrong type is malformed-policy's finding, not a missing one.
        if doc.bare_statement || (doc.version.is_none() && doc.version_key.is_some()) {
            continue;
        }
        let variable = first_variable(doc);
        let mut draft = match &doc.version {
            None => {
                let message = match &variable {
                    Some((name, _)) => format!("policy has no Version, so `{name}` is taken literally"),
                    None => format!("policy has no Version, so IAM reads it with the {OLD_VERSION} policy language"),
                };
                Draft::new(doc.span.start..doc.span.start + 1, message).label("this policy has no Version")
            }
            Some(version) if version.value == OLD_VERSION => {
                let message = match &variable {
                    Some((name, _)) => format!("Version `{OLD_VERSION}` takes `{name}` literally"),
                    None => format!("Version `{OLD_VERSION}` is the old policy language"),
                };
                Draft::new(version.span.clone(), message).label("the 2008 policy language")
            }
            // The current version, or an invalid one (malformed-policy reports those).
            Some(_) => continue,
        };
        draft = draft.locator(doc.locator.clone()).help(HELP);
        if let Some((name, value)) = variable {
            draft = draft
                .also(value.span.clone(), format!("matches the literal text `{name}`, not its value"))
                .note(format!(
                    "policy variables exist only in Version 2012-10-17; with {OLD_VERSION} (also the default when \
                     Version is missing) `{name}` is plain text, so this statement does not work as written"
                ))
                .severity(Severity::Medium);
        }
        ctx.report(draft);
    }
}

/// The first value that uses a policy variable (`${aws:username}`), with that variable.
/// Variables are only substituted in Resource/NotResource and Condition values.
fn first_variable(doc: &PolicyDocument) -> Option<(String, &Spanned<String>)> {
    for st in &doc.statements {
        let resources = st.resource.iter().flat_map(|r| &r.values);
        let conditions = st.condition.iter().flat_map(|c| c.entries()).flat_map(|(_, e)| &e.values);
        for value in resources.chain(conditions) {
            if let Some(name) = variable_in(&value.value) {
                return Some((name.to_string(), value));
            }
        }
    }
    None
}

/// The first `${...}` in a text.
fn variable_in(text: &str) -> Option<&str> {
    let start = text.find("${")?;
    let len = text[start..].find('}')?;
    Some(&text[start..=start + len])
}

#[cfg(test)]
mod tests {
    use super::variable_in;

    #[test]
    fn finds_the_first_variable() {
        assert_eq!(variable_in("arn:aws:s3:::b/home/${aws:username}/*"), Some("${aws:username}"));
        assert_eq!(variable_in("${aws:PrincipalTag/team}-${aws:username}"), Some("${aws:PrincipalTag/team}"));
        assert_eq!(variable_in("${*}"), Some("${*}"));
        assert_eq!(variable_in("arn:aws:s3:::b/$ {x}"), None);
        assert_eq!(variable_in("arn:aws:s3:::b/${unclosed"), None);
        assert_eq!(variable_in("arn:aws:s3:::b/*"), None);
    }
}
