use super::{Context, Rule};
use crate::policy::Statement;
use crate::report::{Draft, Severity};

pub static RULE: Rule = Rule {
    id: "duplicate-sid",
    severity: Severity::Medium,
    summary: "two statements of one policy share a Sid, which IAM rejects",
    doc: include_str!("../../rules/duplicate-sid.md"),
    check,
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    for resolved in documents {
        let statements = &resolved.doc.statements;
        // Renames already suggested, so that two duplicates are not offered the same one.
        let mut suggested: Vec<String> = Vec::new();
        for (i, st) in statements.iter().enumerate() {
            let Some(sid) = &st.sid else { continue };
            // An empty Sid names nothing (invalid-sid reports it where IAM rejects it).
            if sid.value.is_empty() {
                continue;
            }
            // AWS does not document Sids as case-insensitive: compare exactly.
            let Some((first_index, first)) = statements[..i]
                .iter()
                .find_map(|s| s.sid.as_ref().filter(|f| f.value == sid.value).map(|f| (s.index, f)))
            else {
                continue;
            };
            let rename = unused_sid(&sid.value, statements, &suggested);
            let draft = Draft::new(sid.span.clone(), format!("duplicate Sid `{}`", sid.value))
                .label(format!("`{}` again", sid.value))
                .also(first.span.clone(), format!("first used by Statement[{first_index}]"))
                .help(format!("give each statement its own Sid, e.g. \"Sid\": \"{rename}\", or remove this one"))
                .note("IAM rejects the policy: \"Statement IDs (SID) in a single policy must be unique\"")
                .in_statement(st);
            ctx.report(draft);
            suggested.push(rename);
        }
    }
}

/// `sid` with the smallest number appended that no statement of the policy uses and
/// that was not suggested yet.
fn unused_sid(sid: &str, statements: &[Statement], suggested: &[String]) -> String {
    (2..)
        .map(|n| if sid.contains(' ') { format!("{sid} {n}") } else { format!("{sid}{n}") })
        .find(|candidate| {
            !suggested.contains(candidate)
                && !statements.iter().any(|s| s.sid.as_ref().is_some_and(|v| &v.value == candidate))
        })
        .unwrap_or_default()
}
