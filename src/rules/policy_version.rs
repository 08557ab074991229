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
            // `${Bucket}` of a CloudFormation `Fn::Sub` or `${var.x}` of Terraform is filled
            // in at deployment, not by IAM: only the other `${...}` are policy variables.
            let deployed = doc.unresolved_at(&value.span).map(|u| u.parts.as_slice()).unwrap_or_default();
            if let Some(name) =
                variables_in(&value.value).find(|v| !deployed.iter().any(|p| v[2..v.len() - 1] == p.name))
            {
                return Some((name.to_string(), value));
            }
        }
    }
    None
}

/// The `${...}` of a text, in order.
fn variables_in(mut text: &str) -> impl Iterator<Item = &str> {
    std::iter::from_fn(move || {
        let start = text.find("${")?;
        let len = text[start..].find('}')?;
        let found = &text[start..=start + len];
        text = &text[start + len + 1..];
        Some(found)
    })
}

#[cfg(test)]
mod tests {
    use super::variables_in;

    fn variable_in(text: &str) -> Option<&str> {
        variables_in(text).next()
    }

    /// `${Bucket}` in a CloudFormation `Fn::Sub` is filled in at deployment: without a
    /// Version, only a real policy variable is "taken literally".
    #[test]
    fn deployment_substitutions_are_not_policy_variables() {
        let template = |resource: &str| {
            format!(
                "Resources:\n  B:\n    Type: AWS::S3::Bucket\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: !Sub \"{resource}\"\n"
            )
        };
        let messages = |resource: &str| -> Vec<String> {
            crate::testing::run(&super::RULE, "t.yaml", &template(resource)).into_iter().map(|f| f.message).collect()
        };
        assert_eq!(
            messages("arn:aws:s3:::${B}/*"),
            ["policy has no Version, so IAM reads it with the 2008-10-17 policy language"]
        );
        assert_eq!(
            messages("arn:aws:s3:::${B}/${!aws:username}/*"),
            ["policy has no Version, so `${aws:username}` is taken literally"]
        );
    }

    #[test]
    fn finds_the_variables() {
        assert_eq!(variables_in("${Bucket}/${aws:username}/x").collect::<Vec<_>>(), ["${Bucket}", "${aws:username}"]);
        assert_eq!(variable_in("arn:aws:s3:::b/home/${aws:username}/*"), Some("${aws:username}"));
        assert_eq!(variable_in("${aws:PrincipalTag/team}-${aws:username}"), Some("${aws:PrincipalTag/team}"));
        assert_eq!(variable_in("${*}"), Some("${*}"));
        assert_eq!(variable_in("arn:aws:s3:::b/$ {x}"), None);
        assert_eq!(variable_in("arn:aws:s3:::b/${unclosed"), None);
        assert_eq!(variable_in("arn:aws:s3:::b/*"), None);
    }
}
