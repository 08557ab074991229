use super::{Check, Context, Rule};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::Statement;
use std::collections::{HashMap, HashSet};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "duplicate-sid",
        severity: Severity::Medium,
        category: Category::Validity,
        summary: "two statements of one policy share a Sid, which IAM rejects",
        doc: include_str!("../../rules/duplicate-sid.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    for resolved in documents {
        let statements = &resolved.doc.statements;
        // Every Sid in use, plus the renames already suggested, so that two duplicates are
        // not offered the same one; the first statement of each Sid. Both are hashed: a
        // policy with thousands of statements must stay linear.
        let mut taken: HashSet<String> =
            statements.iter().filter_map(|s| s.sid.as_ref().map(|v| v.value.clone())).collect();
        let mut first_of: HashMap<&str, &Statement> = HashMap::new();
        // Where the search for a free numbered rename of each Sid resumes.
        let mut next_number: HashMap<&str, usize> = HashMap::new();
        for st in statements {
            let Some(sid) = &st.sid else { continue };
            // An empty Sid names nothing (invalid-sid reports it where IAM rejects it).
            if sid.value.is_empty() {
                continue;
            }
            // AWS does not document Sids as case-insensitive: compare exactly.
            let Some(first) = first_of.get(sid.value.as_str()).copied() else {
                first_of.insert(&sid.value, st);
                continue;
            };
            let first_sid = first.sid.as_ref().map(|f| f.span.clone()).unwrap_or_default();
            let from = next_number.entry(&sid.value).or_insert(2);
            let (rename, n) = unused_sid(&sid.value, *from, &taken);
            *from = n + 1;
            let draft = Draft::new(sid.span.clone(), format!("duplicate Sid `{}`", sid.value))
                .label(format!("`{}` again", sid.value))
                .also(first_sid, format!("first used by Statement[{}]", first.index))
                .help(format!("give each statement its own Sid, e.g. \"Sid\": \"{rename}\", or remove this one"))
                .note("IAM rejects the policy: \"Statement IDs (SID) in a single policy must be unique\"")
                .in_statement(st);
            ctx.report(draft);
            taken.insert(rename);
        }
    }
}

/// `sid` with the smallest number from `from` on appended that is not taken (by a
/// statement of the policy or an earlier suggestion), and that number.
fn unused_sid(sid: &str, from: usize, taken: &HashSet<String>) -> (String, usize) {
    (from..)
        .map(|n| (if sid.contains(' ') { format!("{sid} {n}") } else { format!("{sid}{n}") }, n))
        .find(|(candidate, _)| !taken.contains(candidate))
        .unwrap_or_default()
}
