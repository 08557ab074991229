use super::{Check, Context, Rule};
use crate::catalogue::arn;
use crate::catalogue::{ActionId, Catalogue, ServiceId, has_wildcard, wildcard_match};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::packs::pack;
use crate::resolve::{Grant, Reach, Subject};
use crate::source::Span;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "privilege-escalation",
        severity: Severity::High,
        category: Category::LeastPrivilege,
        summary: "the document grants every action of a known privilege-escalation path (rules/packs/privilege-escalation.json)",
        doc: include_str!("../../rules/privilege-escalation.md"),
    },
    check: Check::Subject(check),
};

/// `rules/packs/privilege-escalation.json`. Strings are borrowed from the bundled text
/// (parsing the pack is part of every run that grants something).
#[derive(Deserialize)]
struct Pack<'a> {
    /// Service principals (their first label) a role can be passed to for a path's
    /// service besides its own (`batch` passes job roles to `ecs-tasks`).
    #[serde(borrow)]
    passed_to_aliases: HashMap<Cow<'a, str>, Vec<Cow<'a, str>>>,
    /// Managed policies that make a principal administrator: attaching them is escalation
    /// even under an `iam:PolicyARN` condition.
    #[serde(borrow)]
    admin_policies: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    paths: Vec<EscalationPath<'a>>,
}

#[derive(Deserialize)]
struct EscalationPath<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    title: Cow<'a, str>,
    #[serde(borrow)]
    category: Cow<'a, str>,
    /// Every one of them is needed.
    #[serde(borrow)]
    actions: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    references: Vec<Cow<'a, str>>,
}

fn pack() -> &'static Pack<'static> {
    static PACK_DATA: OnceLock<Pack<'static>> = OnceLock::new();
    // The pack is checked by the test suite; a broken one is a build defect.
    PACK_DATA.get_or_init(|| pack!("privilege-escalation.json"))
}

const PASS_ROLE: &str = "iam:PassRole";
const ASSUME_ROLE: &str = "sts:AssumeRole";
/// Path ids named in a message; the note lists them all.
const SHOWN_IDS: usize = 8;
/// Actions that decide what a role can do: with one of them on the roles a principal can
/// pass, a scoped `iam:PassRole` does not limit what the passed role does.
const ROLE_EDITS: [&str; 3] = ["iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion"];

fn check(ctx: &mut Context<'_>, subject: &Subject<'_>) {
    let catalogue = ctx.catalogue;
    let mut found = Found::new(subject, catalogue);
    if found.services.is_empty() {
        return;
    }
    let mut tiers: Vec<(Severity, Vec<Match>)> = Vec::new();
    for path in &pack().paths {
        let Some(m) = found.path(path) else { continue };
        let severity = m.severity(&mut found);
        match tiers.iter_mut().find(|(s, _)| *s == severity) {
            Some((_, list)) => list.push(m),
            None => tiers.push((severity, vec![m])),
        }
    }
    tiers.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
    for (severity, matches) in tiers {
        ctx.report(finding(severity, &matches, &mut found, catalogue));
    }
}

/// What one document grants, asked action by action and remembered.
struct Found<'d> {
    doc: &'d Subject<'d>,
    catalogue: &'d Catalogue,
    /// Services some granting statement grants (not counting statements that grant every
    /// action: full-admin reports those).
    services: BTreeSet<ServiceId>,
    grants: HashMap<ActionId, Vec<Grant<'d>>>,
}

impl<'d> Found<'d> {
    fn new(doc: &'d Subject<'d>, catalogue: &'d Catalogue) -> Found<'d> {
        let services = doc.judged_services(catalogue);
        Found { doc, catalogue, services, grants: HashMap::new() }
    }

    /// The action's id, when the document grants anything of its service (looking an
    /// action up parses its service: only for those).
    fn id(&self, name: &str) -> Option<ActionId> {
        let service = self.catalogue.find_service(name.split_once(':')?.0)?;
        if !self.services.contains(&service) {
            return None;
        }
        self.catalogue.lookup(name)
    }

    /// The grants of an action that count toward escalation: not from a statement that
    /// grants every action, and not an attach limited by `iam:PolicyARN` to named
    /// policies that are not administrator policies.
    fn grants(&mut self, id: ActionId) -> &[Grant<'d>] {
        let (doc, catalogue) = (self.doc, self.catalogue);
        self.grants.entry(id).or_insert_with(|| {
            let mut grants = doc.grants(id, catalogue);
            grants.retain(|g| {
                !g.document.is_full_admin(g.statement, g.resolved, catalogue) && !limited_to_named_policies(g)
            });
            grants
        })
    }

    /// Whether the document grants every action of the path, and through which grants.
    fn path(&mut self, path: &'static EscalationPath<'static>) -> Option<Match> {
        let mut steps = Vec::new();
        for name in &path.actions {
            let id = self.id(name)?;
            let pass_role = name.as_ref() == PASS_ROLE;
            // Gaining the use of another principal: the caller's own user is not one; a
            // role passed only to other services serves no step of this path.
            let counts = |g: &Grant<'_>| {
                (path.category != "principal-access" || !on_own_user(g)) && (!pass_role || passes_to(g, path))
            };
            let i = widest(self.grants(id), counts)?;
            steps.push((id, i));
        }
        Some(Match { path, steps })
    }
}

/// Whether a PassRole grant can pass a role to a service of the path: no
/// `iam:PassedToService` condition, a wildcard in it, or a service principal whose name
/// holds one of the path's service prefixes or their aliases.
fn passes_to(g: &Grant<'_>, path: &EscalationPath<'_>) -> bool {
    let services: Vec<&str> = path
        .actions
        .iter()
        .filter_map(|a| a.split_once(':').map(|(prefix, _)| prefix))
        .filter(|p| !matches!(*p, "iam" | "sts"))
        .collect();
    let aliases = services.iter().flat_map(|s| pack().passed_to_aliases.get(*s).into_iter().flatten());
    let names: Vec<String> =
        services.iter().copied().chain(aliases.map(|a| a.as_ref())).map(|n| n.to_ascii_lowercase()).collect();
    g.narrowing_on("iam:PassedToService").all(|entry| {
        entry.values.iter().any(|v| {
            let principal = v.value.to_ascii_lowercase();
            let name = principal.split(".amazonaws.com").next().unwrap_or(&principal);
            has_wildcard(&principal) || names.iter().any(|n| name.contains(n.as_str()))
        })
    })
}

/// An attach limited by `iam:PolicyARN` to named policies none of which is an
/// administrator policy does not escalate.
fn limited_to_named_policies(g: &Grant<'_>) -> bool {
    let mut values = g.narrowing_on("iam:PolicyARN").flat_map(|e| &e.values).peekable();
    values.peek().is_some()
        && values.all(|v| !has_wildcard(&v.value) && !v.value.contains("${") && !is_admin_policy(&v.value))
}

/// One of the pack's administrator policies, in any partition
/// (`arn:aws-us-gov:iam::aws:policy/AdministratorAccess`).
fn is_admin_policy(arn: &str) -> bool {
    let without_partition = |a: &str| arn::split(a).map(|[_, rest @ ..]| rest.join(":").to_ascii_lowercase());
    let arn = without_partition(arn);
    arn.is_some() && pack().admin_policies.iter().any(|a| without_partition(a) == arn)
}

/// Orders grants: unrestricted first, then by reach.
fn rank(g: &Grant<'_>) -> (bool, Reach) {
    (g.is_unrestricted(), g.reach)
}

fn widest(grants: &[Grant<'_>], counts: impl Fn(&Grant<'_>) -> bool) -> Option<usize> {
    (0..grants.len()).filter(|&i| counts(&grants[i])).max_by_key(|&i| (rank(&grants[i]), std::cmp::Reverse(i)))
}

/// A grant only on the caller's own user (`user/${aws:username}`), as AWS's "manage your
/// own credentials" policies write it.
fn on_own_user(g: &Grant<'_>) -> bool {
    !g.resources.is_empty()
        && g.resources.iter().all(|v| {
            // `user/${aws:username}*` also matches `alice-admin`: not only one's own.
            let lower = v.value.to_ascii_lowercase();
            let resource = arn::split(&lower).map_or(lower.as_str(), |[.., resource]| resource);
            !has_wildcard(resource) && (resource.ends_with("${aws:username}") || resource.ends_with("${aws:userid}"))
        })
}

/// A path the document opens: for each needed action, the action and its widest grant.
struct Match {
    path: &'static EscalationPath<'static>,
    steps: Vec<(ActionId, usize)>,
}

impl Match {
    fn step_grants<'f, 'd>(&self, found: &'f Found<'d>) -> impl Iterator<Item = (ActionId, &'f Grant<'d>)> {
        self.steps.iter().map(move |(id, i)| (*id, &found.grants[id][*i]))
    }

    /// Critical when every action is granted on anything it applies to; low when only
    /// `iam:PassRole` or `sts:AssumeRole` is limited, to roles named without a wildcard, and
    /// nothing in the document can change what those roles do; high otherwise.
    fn severity(&self, found: &mut Found<'_>) -> Severity {
        let limited: Vec<ActionId> =
            self.step_grants(found).filter(|(_, g)| !g.is_unrestricted()).map(|(id, _)| id).collect();
        if limited.is_empty() {
            return Severity::Critical;
        }
        let uses = [found.id(PASS_ROLE), found.id(ASSUME_ROLE)];
        // Named roles: a pattern such as `role/app-*` reaches roles nobody has created yet;
        // `arn:aws:iam::*:role/deployer` names one role, in whichever account trusts it.
        let named = self.roles(found).iter().all(|r| {
            let name = r.split_once(":role/").map_or(r.as_str(), |(_, name)| name);
            r != "NotResource" && !has_wildcard(name) && (r.contains(":role/") || !has_wildcard(r))
        });
        if limited.iter().all(|id| uses.contains(&Some(*id))) && named && !self.roles_editable(found) {
            return Severity::Low;
        }
        Severity::High
    }

    /// The roles `iam:PassRole` or `sts:AssumeRole` is granted on, as written.
    fn roles(&self, found: &Found<'_>) -> Vec<String> {
        let uses = [found.id(PASS_ROLE), found.id(ASSUME_ROLE)];
        let mut roles: Vec<String> = Vec::new();
        for role in
            self.step_grants(found).filter(|(id, _)| uses.contains(&Some(*id))).flat_map(|(_, g)| resources_of(g))
        {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        roles
    }

    /// Whether the path reaches roles only through `sts:AssumeRole` (no code runs).
    fn assumes_only(&self, found: &Found<'_>) -> bool {
        let pass_role = found.id(PASS_ROLE);
        !self.steps.iter().any(|(id, _)| Some(*id) == pass_role)
    }

    /// Whether the document lets the principal change what a passable role can do.
    fn roles_editable(&self, found: &mut Found<'_>) -> bool {
        let roles = self.roles(found);
        for name in ROLE_EDITS {
            let Some(id) = found.id(name) else { continue };
            let editable = found.grants(id).iter().any(|g| {
                g.is_unrestricted()
                    || resources_of(g).iter().any(|r| {
                        roles.iter().any(|role| wildcard_match(r, role, false) || wildcard_match(role, r, false))
                    })
            });
            if editable {
                return true;
            }
        }
        false
    }
}

/// The Resource values a grant goes through, or `NotResource` for one that has none.
fn resources_of(g: &Grant<'_>) -> Vec<String> {
    if g.resources.is_empty() {
        return vec!["NotResource".to_string()];
    }
    g.resources.iter().map(|v| v.value.clone()).collect()
}

fn finding(severity: Severity, matches: &[Match], found: &mut Found<'_>, catalogue: &Catalogue) -> Draft {
    let first = &matches[0];
    let ids: Vec<&str> = matches.iter().map(|m| m.path.id.as_ref()).collect();
    let message = match (severity, matches) {
        (Severity::Low, _) => {
            let mut roles: Vec<String> = Vec::new();
            for role in matches.iter().flat_map(|m| m.roles(found)) {
                if !roles.contains(&role) {
                    roles.push(role);
                }
            }
            let verb = if matches.iter().all(|m| m.assumes_only(found)) { "assume" } else { "run code as" };
            format!(
                "can {verb} role {} ({}): make sure it is not more privileged than this principal",
                roles.join(", "),
                ids.join(", ")
            )
        }
        (_, [one]) => format!("privilege escalation: {} ({})", lower_first(&one.path.title), one.path.id),
        _ if ids.len() > SHOWN_IDS => format!(
            "{} privilege-escalation paths: {}, and {} more (listed below)",
            matches.len(),
            ids[..SHOWN_IDS].join(", "),
            ids.len() - SHOWN_IDS
        ),
        _ => format!("{} privilege-escalation paths: {}", matches.len(), ids.join(", ")),
    };
    // Underline the first grantor of the first path's first action.
    let (first_id, first_grant) = first.step_grants(found).next().expect("a path has at least one action");
    let grantors = first_grant.resolved.grantors(first_grant.statement, first_id);
    let primary = grantors.first().map_or(first_grant.statement.span.clone(), |g| g.span.clone());
    let mut draft = Draft::new(primary.clone(), message)
        .label(grantors.first().map_or("this statement".into(), |g| g.label(&catalogue.action_name(first_id))));
    let mut labelled: Vec<Span> = vec![primary];
    let mut actions: Vec<String> = Vec::new();
    for m in matches {
        for (id, g) in m.step_grants(found) {
            let name = catalogue.action_name(id);
            if !actions.contains(&name) {
                actions.push(name.clone());
            }
            for grantor in g.resolved.grantors(g.statement, id) {
                if !labelled.contains(&grantor.span) {
                    labelled.push(grantor.span.clone());
                    draft = draft.also(grantor.span.clone(), grantor.label(&name));
                }
            }
            for entry in g.narrowing_on("iam:PolicyARN") {
                let admin = entry.values.iter().find(|v| has_wildcard(&v.value) || is_admin_policy(&v.value));
                if let Some(admin) = admin
                    && !labelled.contains(&admin.span)
                {
                    labelled.push(admin.span.clone());
                    let text = if has_wildcard(&admin.value) {
                        "a wildcard policy ARN: administrator policies match it"
                    } else {
                        "an administrator policy: attaching it escalates"
                    };
                    draft = draft.also(admin.span.clone(), text);
                }
            }
            if let Some(value) = g.resources.first()
                && !labelled.contains(&value.span)
            {
                labelled.push(value.span.clone());
                let text = match (g.is_unrestricted(), g.reach) {
                    (true, Reach::StarOnly) => format!("`{name}` takes only `*`: granted on anything"),
                    (true, _) => format!("`{name}` on every resource it applies to"),
                    (false, Reach::Named) => format!("`{name}` on the resources named here"),
                    (false, _) => format!("`{name}` on every resource, under a condition"),
                };
                draft = draft.also(value.span.clone(), text);
            }
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for m in matches {
        let needs: Vec<String> = m.steps.iter().map(|(id, _)| catalogue.action_name(*id)).collect();
        let reference = m.path.references.first().map(|r| format!(" ({r})")).unwrap_or_default();
        lines.push(format!("{} [{}] {}: {}{reference}", m.path.id, m.path.category, m.path.title, needs.join(" + ")));
    }
    draft = draft.note(lines.join("\n"));
    let help = match severity {
        Severity::Low => "check what the named roles can do: whoever holds this policy can act with their \
                          permissions; pass or assume only roles with less access than the principal itself"
            .to_string(),
        _ => "remove an action of each path, or scope them: name the roles, users, policies and functions in \
              \"Resource\"; limit iam:PassRole to named roles with an iam:PassedToService condition; limit \
              attach actions with an iam:PolicyARN condition to named, non-admin policies"
            .to_string(),
    };
    let st = first_grant.statement;
    draft.severity(severity).help(help).in_statement(st).actions(actions)
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_policies_in_any_partition() {
        assert!(is_admin_policy("arn:aws-us-gov:iam::aws:policy/AdministratorAccess"));
        assert!(is_admin_policy("arn:aws:iam::aws:policy/administratoraccess"));
        assert!(!is_admin_policy("arn:aws:iam::aws:policy/ReadOnlyAccess"));
        assert!(!is_admin_policy("AdministratorAccess"));
    }
}
