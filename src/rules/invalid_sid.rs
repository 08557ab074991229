use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::PolicyKind;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "invalid-sid",
        severity: Severity::Low,
        category: Category::Validity,
        summary: "Sid with characters other than A-Z, a-z and 0-9 in a policy kind that IAM restricts",
        doc: include_str!("../../rules/invalid-sid.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    for resolved in documents {
        let doc = &resolved.doc;
        // IAM and Organizations accept only [A-Za-z0-9] here; resource and trust policies
        // are checked by the service that owns them (S3 accepts spaces and hyphens).
        let kind = match doc.kind {
            PolicyKind::Identity => "identity policies",
            PolicyKind::Boundary => "permissions boundaries",
            PolicyKind::ServiceControl => "service control policies",
            PolicyKind::Resource | PolicyKind::Trust | PolicyKind::ResourceControl => continue,
        };
        for st in &doc.statements {
            let Some(sid) = &st.sid else { continue };
            let fallback = format!("Statement{}", st.index + 1);
            // An empty Sid is valid IAM: it has no character outside [A-Za-z0-9].
            let bad = invalid_chars(&sid.value);
            if bad.is_empty() {
                continue;
            }
            let mut suggestion = camel_case(&sid.value);
            if suggestion.is_empty() {
                suggestion = fallback;
            }
            let draft = Draft::new(
                sid.span.clone(),
                format!("Sid `{}` has characters IAM rejects: {}", sid.value.escape_debug(), bad.join(", ")),
            )
            .label(format!("only A-Z, a-z and 0-9 are allowed in {kind}"))
            .help(format!("write \"Sid\": \"{suggestion}\""));
            ctx.report(draft.in_statement(st));
        }
    }
}

/// The distinct characters outside `[A-Za-z0-9]`, in order of appearance, as shown to a
/// person (`space`, `` `-` ``, `` `\t` ``).
fn invalid_chars(sid: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for c in sid.chars().filter(|c| !c.is_ascii_alphanumeric()) {
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    seen.into_iter()
        .map(|c| match c {
            ' ' => "space".to_string(),
            '`' => "backtick".to_string(),
            c => format!("`{}`", c.escape_debug()),
        })
        .collect()
}

/// The Sid with the rejected characters removed, words joined in CamelCase:
/// `allow-s3 read` -> `AllowS3Read`. Non-ASCII letters are dropped without splitting the
/// word they stand in (`Accès` -> `Accs`).
fn camel_case(sid: &str) -> String {
    let mut out = String::new();
    let mut word_start = true;
    for c in sid.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if word_start { c.to_ascii_uppercase() } else { c });
            word_start = false;
        } else if !c.is_alphanumeric() {
            word_start = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{camel_case, invalid_chars};

    #[test]
    fn camel_cases_the_words() {
        assert_eq!(camel_case("allow-s3 read"), "AllowS3Read");
        assert_eq!(camel_case("Allow_S3_Read"), "AllowS3Read");
        assert_eq!(camel_case("s3.read-only"), "S3ReadOnly");
        assert_eq!(camel_case("AllowReadOnly "), "AllowReadOnly");
        assert_eq!(camel_case("Accès"), "Accs");
        assert_eq!(camel_case("--- !"), "");
    }

    #[test]
    fn names_each_invalid_character_once() {
        assert_eq!(invalid_chars("allow-s3 read-only"), ["`-`", "space"]);
        assert_eq!(invalid_chars("a\tb"), ["`\\t`"]);
        assert_eq!(invalid_chars("AllowS3Read"), Vec::<String>::new());
    }
}
