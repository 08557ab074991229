use super::{Check, Context, Rule};
use crate::catalogue::model::AccessLevel;
use crate::catalogue::{ActionId, ActionSet, Catalogue, Expansion, ServiceId, has_wildcard};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::{Statement, ValueList};
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "service-wildcard",
        severity: Severity::High,
        category: Category::LeastPrivilege,
        summary: "Allow of every action of a service (`ec2:*`), including its Write and Permissions management actions",
        doc: include_str!("../../rules/service-wildcard.md"),
    },
    check: Check::Document(check),
};

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
                // An unknown service is unknown-service's finding.
                let Expansion::Actions(written_set) = &value.expansion else { continue };
                // What the value grants after the document's unconditional Denies.
                let effective = resolved.undenied(st, written_set, catalogue);
                let set = &effective;
                // Decided on what the value grants, not on how it is written: `ec2:**` and
                // `iam:*?` grant all of the service as `ec2:*` does.
                // A literal action is not a wildcard, even the only action of its service.
                if !has_wildcard(written) {
                    continue;
                }
                let Some(service) = whole_service(set, catalogue) else { continue };
                let service = catalogue.prefix(service);
                let total = set.len(catalogue);
                let mut draft = Draft::new(
                    value.value.span.clone(),
                    format!("`{written}` allowed {}, {}", scope(st.resource.as_ref()), sensitive(set, catalogue)),
                )
                .label(format!("all {total} {service} actions"))
                .help(help(written, set, catalogue))
                .note(wording::describe(set, catalogue))
                .actions(wording::names(set, catalogue, wording::ACTIONS_CAP))
                .in_statement(st);
                if let Some(resource) = &st.resource {
                    draft = draft.also(resource.span.clone(), resource_label(resource));
                }
                if st.is_conditional() {
                    draft = condition_label(draft, st).severity(Severity::Medium);
                }
                if read_only(set, catalogue) {
                    draft = draft.severity(Severity::Low);
                }
                ctx.report(draft);
            }
        }
    }
}

/// The service all of whose actions `set` (one Action value's expansion) grants; not for
/// `*` / `*:*`, which grant every service (full-admin's case).
fn whole_service(set: &ActionSet, catalogue: &Catalogue) -> Option<ServiceId> {
    if set.is_everything(catalogue) {
        return None;
    }
    let mut services = set.services();
    let service = services.next()?;
    (services.next().is_none() && set.has_whole_service(service, catalogue)).then_some(service)
}

/// Whether the set grants no Write, Permissions management or Tagging action (`pricing:*`):
/// it reads, but changes nothing.
fn read_only(set: &ActionSet, catalogue: &Catalogue) -> bool {
    set.count_by_level(catalogue).iter().all(|(level, n)| {
        *n == 0 || !matches!(level, AccessLevel::Write | AccessLevel::PermissionsManagement | AccessLevel::Tagging)
    })
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
        (0, 0) => match count(AccessLevel::Tagging) {
            0 => "with no Write or Permissions management action".to_string(),
            t => format!("with no Write or Permissions management action but {t} Tagging {}", noun(t)),
        },
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
    use super::*;

    fn whole(value: &str) -> Option<String> {
        let c = Catalogue::bundled();
        match c.expand(value) {
            Expansion::Actions(set) => whole_service(&set, c).map(|s| c.prefix(s).to_string()),
            _ => None,
        }
    }

    #[test]
    fn whole_services_by_what_they_grant() {
        for value in ["ec2:*", "EC2:*", "ec2:**", "iam:*?", "iam:?*"] {
            assert_eq!(whole(value).as_deref(), Some(value[..3].to_ascii_lowercase().as_str()), "{value}");
        }
        for value in ["*", "*:*", "ec2:Describe*", "s3:Get*", "iam:PassRole"] {
            assert_eq!(whole(value), None, "{value}");
        }
    }

    #[test]
    fn read_only_services() {
        let c = Catalogue::bundled();
        let set = |v: &str| match c.expand(v) {
            Expansion::Actions(set) => set,
            other => panic!("{v}: {other:?}"),
        };
        assert!(read_only(&set("pricing:*"), c));
        assert!(!read_only(&set("s3:*"), c));
    }
}
