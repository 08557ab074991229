use super::{Context, Rule};
use crate::catalogue::model::AccessLevel;
use crate::catalogue::{ActionId, ActionSet, Catalogue, Expansion, has_wildcard};
use crate::policy::{Statement, ValueList};
use crate::report::{Draft, Severity, grants};

pub static RULE: Rule = Rule {
    id: "service-wildcard",
    severity: Severity::High,
    summary: "Allow of every action of a service (`ec2:*`), including its Write and Permissions management actions",
    doc: include_str!("../../rules/service-wildcard.md"),
    check,
};

/// At most this many action names go in a finding's machine-readable `actions`.
const ACTIONS_CAP: usize = 100;

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            if !st.is_allow() || st.action.as_ref().is_none_or(|a| a.negated) || !resolved.doc.grants_access(st) {
                continue;
            }
            for value in &rs.values {
                let written = &value.value.value;
                if !is_whole_service(written) {
                    continue;
                }
                // An unknown service is unknown-service's finding.
                let Expansion::Actions(set) = &value.expansion else { continue };
                let service = set.services().next().map_or("", |s| catalogue.prefix(s));
                let total = set.len(catalogue);
                let mut draft = Draft::new(
                    value.value.span.clone(),
                    format!("`{written}` allowed {}, {}", scope(st.resource.as_ref()), sensitive(set, catalogue)),
                )
                .label(format!("all {total} {service} actions"))
                .help(help(written, set, catalogue))
                .note(grants::describe(set, catalogue))
                .actions(grants::names(set, catalogue, ACTIONS_CAP))
                .in_statement(st);
                if let Some(resource) = &st.resource {
                    draft = draft.also(resource.span.clone(), resource_label(resource));
                }
                if st.is_conditional() {
                    draft = condition_label(draft, st).severity(Severity::Medium);
                }
                ctx.report(draft);
            }
        }
    }
}

/// `service:*`; not `*`, partial wildcards (`ec2:Describe*`) or wildcard services
/// (`*:*`, `s3*:*`).
fn is_whole_service(value: &str) -> bool {
    value
        .split_once(':')
        .is_some_and(|(service, action)| action == "*" && !service.is_empty() && !has_wildcard(service))
}

fn scope(resource: Option<&ValueList>) -> String {
    let Some(resource) = resource else {
        // A trust policy names no Resource: the role is the resource.
        return "on this resource".to_string();
    };
    let values = &resource.values;
    match (resource.negated, values.as_slice()) {
        (false, _) if values.iter().any(|v| v.value == "*") => "on any resource".to_string(),
        (false, [one]) => format!("on `{}`", one.value),
        (false, _) => format!("on {} resources", values.len()),
        (true, [one]) => format!("on every resource except `{}`", one.value),
        (true, _) => format!("on every resource except {} resources", values.len()),
    }
}

fn resource_label(resource: &ValueList) -> String {
    if resource.negated {
        "every resource except these".to_string()
    } else if resource.values.iter().any(|v| v.value == "*") {
        "any resource".to_string()
    } else if resource.values.len() == 1 {
        "this resource".to_string()
    } else {
        "these resources".to_string()
    }
}

/// `with 412 Write and 23 Permissions management actions`.
fn sensitive(set: &ActionSet, catalogue: &Catalogue) -> String {
    let counts = set.count_by_level(catalogue);
    let count = |level| counts.iter().find(|(l, _)| *l == level).map_or(0, |(_, n)| *n);
    let write = count(AccessLevel::Write);
    let permissions = count(AccessLevel::PermissionsManagement);
    let noun = |n: usize| if n == 1 { "action" } else { "actions" };
    match (write, permissions) {
        (0, 0) => "with no Write or Permissions management action".to_string(),
        (w, 0) => format!("with {w} Write {}", noun(w)),
        (0, p) => format!("with {p} Permissions management {}", noun(p)),
        (w, p) => format!("with {w} Write and {p} Permissions management actions"),
    }
}

/// Names a read and a write action of the service as examples of what to list instead.
fn help(written: &str, set: &ActionSet, catalogue: &Catalogue) -> String {
    let read = example(set, catalogue, &[AccessLevel::Read, AccessLevel::List], &[&["Get", "Describe"]]);
    let write =
        example(set, catalogue, &[AccessLevel::Write], &[&["Put", "Send", "Start", "Invoke"], &["Create", "Update"]]);
    let examples: Vec<String> = [read, write].into_iter().flatten().map(|name| format!("\"{name}\"")).collect();
    let shows = format!("`iamlint expand '{written}'` shows all it grants");
    if examples.is_empty() {
        return format!("list only the actions the workload calls; {shows}");
    }
    format!("list only the actions the workload calls, e.g. {}; {shows}", examples.join(", "))
}

/// A recognisable action of the set at one of `levels`: the shortest name starting with
/// a verb of the first group that has one (the shortest is usually the service's core
/// operation: `s3:GetObject`, `dynamodb:PutItem`), else the shortest at those levels.
fn example(set: &ActionSet, catalogue: &Catalogue, levels: &[AccessLevel], verbs: &[&[&str]]) -> Option<String> {
    let candidates: Vec<(usize, &str, ActionId)> = set
        .iter(catalogue)
        .filter(|id| levels.contains(&catalogue.action_access(*id)))
        .map(|id| {
            let name: &str = &catalogue.action(id).name;
            let group = verbs.iter().position(|g| g.iter().any(|v| name.starts_with(v))).unwrap_or(verbs.len());
            (group, name, id)
        })
        .collect();
    candidates
        .into_iter()
        .min_by_key(|(group, name, _)| (*group, name.len(), *name))
        .map(|(_, _, id)| catalogue.action_name(id))
}

fn condition_label(draft: Draft, st: &Statement) -> Draft {
    let Some((op, entry)) = st.condition.as_ref().and_then(|c| c.entries().next()) else { return draft };
    draft.also(entry.key.span.clone(), format!("only when this {} condition holds", op.name.value))
}

#[cfg(test)]
mod tests {
    use super::is_whole_service;

    #[test]
    fn only_whole_services() {
        assert!(is_whole_service("ec2:*"));
        assert!(is_whole_service("EC2:*"));
        for value in ["*", "*:*", "s3*:*", "ec2:Describe*", "ec2:**", ":*", "ec2"] {
            assert!(!is_whole_service(value), "{value}");
        }
    }
}
