//! Wording for what an action set grants, shared by every finding that involves a
//! wildcard: small sets are listed, large ones summarised by access level.

use crate::catalogue::model::AccessLevel;
use crate::catalogue::{ActionSet, Catalogue, Expansion, ServiceId, has_wildcard};
use crate::diagnostic::Draft;
use crate::policy::operator::{self, Family};
use crate::policy::{ConditionEntry, PolicyKind, Statement};
use crate::resolve::{Grantor, Reach, ResolvedStatement, StatementGrants, narrows};
use crate::source::Span;

/// At most this many action names go in a finding's machine-readable `actions`.
pub const ACTIONS_CAP: usize = 100;

/// Sets up to this size are listed in full.
const LIST_LIMIT: usize = 8;
/// Examples shown for larger sets.
const EXAMPLES: usize = 5;

/// `5 actions: s3:DeleteObject, s3:GetObject, ...` or
/// `194 actions (190 Read, 4 List), e.g. ec2:DescribeInstances, ...`; the examples are
/// the most sensitive actions (Permissions management first, then Write).
pub fn describe(set: &ActionSet, catalogue: &Catalogue) -> String {
    if set.is_everything(catalogue) {
        // Said from the header: counting levels would parse all 456 services.
        let totals = catalogue.header().totals;
        return format!("every action of every service ({} actions of {} services)", totals.actions, totals.services);
    }
    let total = set.len(catalogue);
    let noun = if total == 1 { "action" } else { "actions" };
    if total <= LIST_LIMIT {
        let names: Vec<String> = set.iter(catalogue).map(|id| catalogue.action_name(id)).collect();
        return format!("{total} {noun}: {}", names.join(", "));
    }
    let levels: Vec<String> =
        set.count_by_level(catalogue).iter().map(|(level, n)| format!("{n} {}", level.as_str())).collect();
    format!("{total} {noun} ({}), e.g. {}", levels.join(", "), examples(set, catalogue, EXAMPLES).join(", "))
}

/// What the wildcards (and NotAction) among `grantors` really grant, for a note.
pub fn grantors_note(grantors: &[Grantor], catalogue: &Catalogue) -> Option<String> {
    let mut set = ActionSet::new();
    for wildcard in grantors.iter().filter_map(|g| g.wildcard.as_ref()) {
        set.union_with(wildcard);
    }
    (!set.is_empty()).then(|| describe(&set, catalogue))
}

/// The most sensitive actions of a set, by access level then name.
pub fn examples(set: &ActionSet, catalogue: &Catalogue, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for level in AccessLevel::ALL {
        for id in set.iter(catalogue) {
            if out.len() == n {
                return out;
            }
            if catalogue.action_access(id) == level {
                out.push(catalogue.action_name(id));
            }
        }
    }
    out
}

/// All actions of a set as `service:Action` strings, capped for machine output.
pub fn names(set: &ActionSet, catalogue: &Catalogue, cap: usize) -> Vec<String> {
    set.iter(catalogue).take(cap).map(|id| catalogue.action_name(id)).collect()
}

/// `ec2: 42 (CreateTags, DeleteVolume, RunInstances, ...); s3: 2 (DeleteBucket, PutObject)`:
/// a set grouped by service with counts, for a note.
pub fn by_service(set: &ActionSet, catalogue: &Catalogue) -> String {
    const SHOWN: usize = 4;
    const SERVICES: usize = 8;
    let mut groups: Vec<String> = Vec::new();
    let services: Vec<ServiceId> = set.services().collect();
    for &service in services.iter().take(SERVICES) {
        let names: Vec<&str> =
            set.iter(catalogue).filter(|id| id.service == service).map(|id| catalogue.action_short_name(id)).collect();
        let mut shown = names.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ");
        if names.len() > SHOWN {
            shown.push_str(", ...");
        }
        groups.push(format!("{}: {} ({shown})", catalogue.prefix(service), names.len()));
    }
    if services.len() > SERVICES {
        groups.push(format!("and {} more services", services.len() - SERVICES));
    }
    groups.join("; ")
}

/// One finding for a statement that grants a class of actions on every resource they
/// apply to (`unscoped-write`, `resource-exposure`, `credentials-exposure`,
/// `data-exfiltration`): the widest Resource value underlined, each Action value that
/// grants some of them labelled, conditions that do not narrow them labelled, the
/// actions grouped by service in the note. `what` names the class (`write actions`).
pub fn unscoped(found: &StatementGrants<'_>, what: &str, catalogue: &Catalogue) -> Draft {
    let st = found.statement;
    let count = found.grants.len();
    let message = match found.grants.as_slice() {
        [(id, g)] if g.reach == Reach::StarOnly => {
            format!("`{}` allowed with no condition that narrows it", catalogue.action_name(*id))
        }
        [(id, _)] => {
            format!("`{}` allowed on every resource, with no condition that narrows it", catalogue.action_name(*id))
        }
        _ => format!("{count} {what} allowed on every resource they apply to, with no condition that narrows them"),
    };
    let widest = found.grants.iter().map(|(_, g)| g).max_by_key(|g| g.reach);
    let resource = st.resource.as_ref();
    let mut draft = match (widest.and_then(|g| g.resources.first()), resource) {
        (Some(value), _) => {
            let only_star = found.grants.iter().all(|(_, g)| g.reach == Reach::StarOnly);
            let label = if only_star {
                "`*`: the only resource these actions take".to_string()
            } else if value.value == "*" {
                "`*`: every resource".to_string()
            } else {
                "matches every resource of their type".to_string()
            };
            Draft::new(value.span.clone(), message).label(label)
        }
        (None, Some(list)) => {
            Draft::new(list.key_span.clone(), message).label("`NotResource` grants every resource except those listed")
        }
        (None, None) => Draft::new(st.span.clone(), message).label("this statement"),
    };
    for (span, text) in grantor_labels(st, found.resolved, &found.actions, catalogue) {
        draft = draft.also(span, text);
    }
    if let Some(condition) = &st.condition {
        // Every grant here is of this statement: they share its narrowing entries.
        let narrowing: std::collections::HashSet<*const ConditionEntry> = found
            .grants
            .first()
            .map(|(_, g)| g.narrowing().into_iter().map(|(_, e)| e as *const ConditionEntry).collect())
            .unwrap_or_default();
        for (op, entry) in condition.entries() {
            if narrowing.contains(&(entry as *const ConditionEntry)) {
                continue;
            }
            let why = if !op.requires_key() {
                format!("`{}` holds without a matching value: it narrows nothing", op.name.value)
            } else if entry.matches_any_value(&op.name.value) {
                "`*` matches every value: it narrows nothing".to_string()
            } else if narrows(&entry.key.value, PolicyKind::Resource) {
                format!("`{}` describes who holds this policy, not which resources it reaches", entry.key.value)
            } else {
                format!("`{}` says how the request is made, not which resources it reaches", entry.key.value)
            };
            draft = draft.also(entry.key.span.clone(), why);
        }
    }
    if let Some(deny) = found.grants.iter().find_map(|(_, g)| g.confined_by) {
        draft = draft.also(deny.span.clone(), "this Deny leaves them granted on every resource it does not list");
    }
    if count > 1 {
        draft = draft.note(format!("{count} {what}: {}", by_service(&found.actions, catalogue)));
    }
    draft.in_statement(st).actions(names(&found.actions, catalogue, ACTIONS_CAP))
}

/// A label for each Action value (or the `NotAction` key) of the statement that grants
/// some of `actions`: `grants `s3:PutObject``, ``ec2:*` includes 42 of them`.
pub fn grantor_labels(
    st: &Statement,
    rs: &ResolvedStatement,
    actions: &ActionSet,
    catalogue: &Catalogue,
) -> Vec<(Span, String)> {
    let one = || actions.iter(catalogue).next().map(|id| catalogue.action_name(id)).unwrap_or_default();
    if let Some(list) = st.action.as_ref().filter(|a| a.negated) {
        let text = if actions.len(catalogue) == 1 {
            format!("`NotAction` grants every action not listed, including `{}`", one())
        } else {
            "`NotAction` grants every action not listed, these included".to_string()
        };
        return vec![(list.key_span.clone(), text)];
    }
    let mut out = Vec::new();
    for value in &rs.values {
        let Expansion::Actions(set) = &value.expansion else { continue };
        let mut mine = actions.clone();
        mine.intersect_with(set, catalogue);
        let n = mine.len(catalogue);
        if n == 0 {
            continue;
        }
        let text = if !has_wildcard(&value.value.value) {
            format!("grants `{}`", value.value.value)
        } else if n == 1 {
            let id = mine.iter(catalogue).next().map(|id| catalogue.action_name(id)).unwrap_or_default();
            format!("`{}` includes `{id}`", value.value.value)
        } else {
            format!("`{}` includes {n} of them", value.value.value)
        };
        out.push((value.value.span.clone(), text));
    }
    out
}

/// Why a condition entry whose operator does not require its key lets any `what`
/// (request, token) through.
pub fn why_ignored(name: &str, what: &str) -> String {
    match operator::parse(name) {
        Some(op) if op.base.negated => format!("`{name}` holds for every {what} that does not match"),
        Some(op) if op.base.family == Family::Null => format!("`{name}` only tests whether the key is present"),
        Some(_) => format!("`{name}` holds for a {what} without this key"),
        None => format!("`{name}` is not a condition operator"),
    }
}

/// Labels the statement's first condition entry: the finding holds only when it does.
pub fn condition_label(draft: Draft, st: &Statement) -> Draft {
    let Some((op, entry)) = st.condition.as_ref().and_then(|c| c.entries().next()) else { return draft };
    draft.also(entry.key.span.clone(), format!("only when this `{}` condition holds", op.name.value))
}
