use super::{Check, Context, Rule};
use crate::catalogue::arn;
use crate::catalogue::{ActionId, Catalogue, ServiceId, has_wildcard, wildcard_match};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Chain, ChainStep};
use crate::diagnostic::{Draft, Severity};
use crate::packs::pack;
use crate::resolve::boundary;
use crate::resolve::{Grant, Principals, Reach, Subject};
use crate::source::Span;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
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
    /// Actions that act on another principal (target-aware escalation in a dump).
    #[serde(borrow)]
    targets: Vec<TargetAction<'a>>,
}

#[derive(Deserialize)]
struct TargetAction<'a> {
    #[serde(borrow)]
    action: Cow<'a, str>,
    /// `role`, `user` or `group`: what the Resource of a grant names.
    #[serde(borrow)]
    target: Cow<'a, str>,
    /// `target`: the caller gains the target's permissions; `any`: it writes them.
    #[serde(borrow)]
    gains: Cow<'a, str>,
    /// `pass` or `assume`, for roles.
    #[serde(borrow, default)]
    via: Option<Cow<'a, str>>,
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
    // A principal of a file that holds other principals: whom its paths reach.
    let me = subject.principal.and_then(|p| ctx.principals.index_of(p));
    let view = me.filter(|&me| !ctx.principals.is_admin(me, catalogue)).map(|me| (ctx.principals, me));
    let mut tiers: Vec<(Severity, Vec<Match>)> = Vec::new();
    for (index, path) in pack().paths.iter().enumerate() {
        let Some(mut m) = found.path(index, path) else { continue };
        let mut severity = m.severity(&mut found);
        // A path held under a protected permissions boundary gives at most the boundary,
        // whichever principals its Resource patterns match.
        if let Some((principals, me)) = view.filter(|_| m.boundaries(&mut found).is_empty()) {
            m.reached = reach(&m, &mut found, principals, me);
            if let Some(r) = &m.reached {
                severity = r.severity(severity);
            }
        }
        match tiers.iter_mut().find(|(s, _)| *s == severity) {
            Some((_, list)) => list.push(m),
            None => tiers.push((severity, vec![m])),
        }
    }
    tiers.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
    for (severity, matches) in tiers {
        ctx.report(finding(severity, &matches, &mut found, catalogue, view.map(|(p, _)| p)));
    }
}

/// Whether a subject opens a path on its own, judged without following it to other
/// principals (what "able to escalate further" means for a target).
fn escalates(subject: &Subject<'_>, catalogue: &Catalogue) -> bool {
    let mut found = Found::new(subject, catalogue);
    if found.services.is_empty() {
        return false;
    }
    pack()
        .paths
        .iter()
        .enumerate()
        .any(|(i, path)| found.path(i, path).is_some_and(|m| m.severity(&mut found) != Severity::Low))
}

/// The principals of the file a path reaches through its steps that act on another
/// principal, and how.
struct Reached {
    /// Member index -> the chain that reaches it.
    targets: Vec<(usize, Chain)>,
    /// Some target is more privileged than the caller (full admin, or escalates).
    more_privileged: bool,
    /// A step writes the target's permissions (attach, put): its present ones do not matter.
    gains_any: bool,
    /// Principals outside the file may be reached (not a whole-account dump, or a role
    /// of another account may be assumed).
    open: bool,
}

impl Reached {
    /// Critical when a more privileged principal is reached; low when only principals
    /// that are not (or none) are, and the file holds every principal a step can reach.
    fn severity(&self, severity: Severity) -> Severity {
        if self.more_privileged {
            Severity::Critical
        } else if !self.gains_any && !self.open {
            Severity::Low
        } else {
            severity
        }
    }
}

/// `role/ops-admin`, or the ARN's resource part.
fn who(p: &crate::diagnostic::PrincipalRef) -> String {
    format!("{}/{}", p.kind, p.name)
}

fn step(principals: &Principals<'_>, from: usize, action: &str, to: usize, catalogue: &Catalogue) -> ChainStep {
    ChainStep {
        from: principal_id(principals, from),
        action: action.to_string(),
        to: principal_id(principals, to),
        to_admin: more_privileged(principals, to, catalogue),
    }
}

fn principal_id(principals: &Principals<'_>, i: usize) -> String {
    let p = principals.get(i).principal;
    if p.arn.is_empty() { who(p) } else { p.arn.clone() }
}

fn more_privileged(principals: &Principals<'_>, i: usize, catalogue: &Catalogue) -> bool {
    principals.is_admin(i, catalogue) || principals.escalates(i, |s| escalates(s, catalogue))
}

/// Longest chain of roles followed through trust policies.
const MAX_HOPS: usize = 8;

/// The Resource patterns of a principal's grants of `action` (`*` for NotResource).
fn patterns(grants: &[Grant<'_>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for g in grants {
        if g.resources.is_empty() {
            out.push("*".into());
        }
        out.extend(g.resources.iter().map(|v| v.value.clone()));
    }
    out.sort();
    out.dedup();
    out
}

/// Whether a pattern may name a role outside the dump's account `account`.
fn beyond(pattern: &str, account: Option<&str>) -> bool {
    match arn::split(pattern) {
        Some([_, _, _, a, _]) => account.is_none_or(|acct| a != acct),
        None => true,
    }
}

fn reach(m: &Match, found: &mut Found<'_>, principals: &Principals<'_>, me: usize) -> Option<Reached> {
    let catalogue = found.catalogue;
    let mine = principals.get(me).principal;
    let account = crate::resolve::principals::account_of(&mine.arn);
    let mut result: Option<std::collections::BTreeMap<usize, Chain>> = None;
    let (mut gains_any, mut open) = (false, !principals.whole_account);
    for &(id, _, _) in &m.steps {
        let name = catalogue.action_name(id);
        let Some(t) = pack().targets.iter().find(|t| t.action.eq_ignore_ascii_case(&name)) else { continue };
        gains_any |= t.gains == "any";
        let patterns = patterns(found.grants(id));
        let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let mut reached = std::collections::BTreeMap::new();
        match t.via.as_deref() {
            Some("assume") => {
                open |= refs.iter().any(|p| beyond(p, account));
                assume_chains(principals, me, &refs, id, catalogue, &mut reached);
            }
            Some("pass") => {
                let services = path_services(m.path);
                for r in principals.matching("role", &refs) {
                    if r != me && principals.trusts_service(r, &services) {
                        reached.insert(r, Chain { steps: vec![step(principals, me, &name, r, catalogue)] });
                    }
                }
            }
            _ => {
                for r in principals.matching(&t.target, &refs) {
                    if r != me {
                        reached.insert(r, Chain { steps: vec![step(principals, me, &name, r, catalogue)] });
                    }
                }
            }
        }
        result = Some(match result {
            None => reached,
            // Every targeting step must reach the same principal (update a role's trust
            // policy, then assume it).
            Some(before) => before.into_iter().filter(|(k, _)| reached.contains_key(k)).collect(),
        });
    }
    let targets: Vec<(usize, Chain)> = result?.into_iter().collect();
    let more_privileged = targets.iter().any(|(_, c)| c.steps.iter().any(|s| s.to_admin));
    Some(Reached { targets, more_privileged, gains_any, open })
}

/// Roles `me` can assume, directly or through roles it assumes, with the chain: a role
/// is reached when the assumer's grants of `sts:AssumeRole` name it and its trust policy
/// admits the assumer (or its account).
fn assume_chains(
    principals: &Principals<'_>,
    me: usize,
    first: &[&str],
    assume: ActionId,
    catalogue: &Catalogue,
    reached: &mut std::collections::BTreeMap<usize, Chain>,
) {
    let action = catalogue.action_name(assume);
    let mut frontier: Vec<(usize, Vec<ChainStep>)> = Vec::new();
    for r in principals.matching("role", first) {
        if r != me && principals.trusts(r, principals.get(me).principal) {
            let chain = vec![step(principals, me, &action, r, catalogue)];
            reached.insert(r, Chain { steps: chain.clone() });
            frontier.push((r, chain));
        }
    }
    for _ in 1..MAX_HOPS {
        let mut next = Vec::new();
        for (from, chain) in frontier {
            // Whom a role assumes does not depend on who reached it: worked out once per role.
            let onward = principals.assumable(from, |member| {
                let grants = member.subject.grants(assume, catalogue);
                let patterns = patterns(&grants);
                let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
                let roles = principals.matching("role", &refs).into_iter();
                roles.filter(|&r| r != from && principals.trusts(r, member.principal)).collect()
            });
            for &r in onward {
                if r == me || reached.contains_key(&r) {
                    continue;
                }
                let mut longer = chain.clone();
                longer.push(step(principals, from, &action, r, catalogue));
                reached.insert(r, Chain { steps: longer.clone() });
                next.push((r, longer));
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
}

/// The service prefixes a path passes a role to, with their aliases (`ec2`, `ecs-tasks`).
fn path_services(path: &'static EscalationPath<'static>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for action in &path.actions {
        let Some((prefix, _)) = action.split_once(':') else { continue };
        if matches!(prefix, "iam" | "sts") {
            continue;
        }
        out.push(prefix);
        out.extend(pack().passed_to_aliases.get(prefix).into_iter().flatten().map(|a| a.as_ref()));
    }
    out
}

/// An action of a path of the pack in the bundled catalogue: its service and its id, each
/// looked up the first time a subject asks (every subject asks for every path; looking
/// an action up loads its service: only once a subject grants that service).
#[derive(Default)]
struct Known {
    service: OnceLock<Option<ServiceId>>,
    id: OnceLock<Option<ActionId>>,
}

/// `Known` for each action of each path of the pack, for the bundled catalogue: one list,
/// each path's actions after the previous path's, and where each path starts.
struct Paths {
    actions: Vec<Known>,
    starts: Vec<usize>,
}

fn known(catalogue: &Catalogue) -> Option<&'static Paths> {
    static KNOWN: OnceLock<Paths> = OnceLock::new();
    std::ptr::eq(catalogue, Catalogue::bundled()).then(|| {
        KNOWN.get_or_init(|| {
            let starts =
                pack().paths.iter().scan(0, |at, p| Some(std::mem::replace(at, *at + p.actions.len()))).collect();
            let count = pack().paths.iter().map(|p| p.actions.len()).sum();
            Paths { actions: (0..count).map(|_| Known::default()).collect(), starts }
        })
    })
}

/// What one document grants, asked action by action and remembered.
struct Found<'d> {
    doc: &'d Subject<'d>,
    catalogue: &'d Catalogue,
    known: Option<&'static Paths>,
    /// Services some granting statement grants (not counting statements that grant every
    /// action: full-admin reports those).
    services: BTreeSet<ServiceId>,
    grants: HashMap<ActionId, Vec<Grant<'d>>>,
}

impl<'d> Found<'d> {
    fn new(doc: &'d Subject<'d>, catalogue: &'d Catalogue) -> Found<'d> {
        let services = doc.judged_services(catalogue);
        Found { doc, catalogue, known: known(catalogue), services, grants: HashMap::new() }
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

    /// `id` of the action at `step` of the pack's path `path` (`name`), looked up once per
    /// run for the bundled catalogue.
    fn step_id(&self, path: usize, step: usize, name: &str) -> Option<ActionId> {
        let Some(known) = self.known.and_then(|k| k.actions.get(k.starts.get(path)? + step)) else {
            return self.id(name);
        };
        let service = known.service.get_or_init(|| self.catalogue.find_service(name.split_once(':')?.0));
        if !service.is_some_and(|s| self.services.contains(&s)) {
            return None;
        }
        *known.id.get_or_init(|| self.catalogue.lookup(name))
    }

    /// Whether the document grants every action of the path, and through which grants.
    /// `index` is the path's place in the pack.
    fn path(&mut self, index: usize, path: &'static EscalationPath<'static>) -> Option<Match> {
        let mut steps = Vec::new();
        for (step, name) in path.actions.iter().enumerate() {
            let id = self.step_id(index, step, name)?;
            let pass_role = name.as_ref() == PASS_ROLE;
            // Gaining the use of another principal: the caller's own user is not one; a
            // role passed only to other services serves no step of this path.
            let counts = |g: &Grant<'_>| {
                (path.category != "principal-access" || !on_own_user(g)) && (!pass_role || passes_to(g, path))
            };
            let grants = self.grants(id);
            let i = widest(grants, &counts)?;
            let all = (0..grants.len()).filter(|&j| counts(&grants[j])).collect();
            steps.push((id, i, all));
        }
        Some(Match { path, steps, reached: None })
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

fn widest(grants: &[Grant<'_>], counts: &impl Fn(&Grant<'_>) -> bool) -> Option<usize> {
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

/// A path the document opens: for each needed action, the action, its widest grant and
/// every grant that serves the path.
struct Match {
    path: &'static EscalationPath<'static>,
    steps: Vec<(ActionId, usize, Vec<usize>)>,
    /// Whom the path reaches among the file's principals (a principal of a dump).
    reached: Option<Reached>,
}

impl Match {
    fn step_grants<'f, 'd>(&self, found: &'f Found<'d>) -> impl Iterator<Item = (ActionId, &'f Grant<'d>)> {
        self.steps.iter().map(move |(id, i, _)| (*id, &found.grants[id][*i]))
    }

    /// Every grant that serves a step, not only the widest: the roles a principal can pass
    /// are all those its grants name.
    fn all_step_grants<'f, 'd>(&self, found: &'f Found<'d>) -> impl Iterator<Item = (ActionId, &'f Grant<'d>)> {
        self.steps.iter().flat_map(move |(id, _, all)| all.iter().map(move |i| (*id, &found.grants[id][*i])))
    }

    /// Critical when every action is granted on anything it applies to; low when the path
    /// runs code as or assumes a role (`iam:PassRole`, `sts:AssumeRole`) limited to roles
    /// named without a wildcard, and nothing in the document can change what those roles
    /// do; high otherwise.
    ///
    /// Monotone: narrowing any grant never raises the severity. How far the path's other
    /// actions reach (RunInstances on `*` or on one subnet) does not matter once the role
    /// is named: the code runs with that role's permissions either way.
    fn severity(&self, found: &mut Found<'_>) -> Severity {
        if self.step_grants(found).all(|(_, g)| g.is_unrestricted()) {
            return Severity::Critical;
        }
        let uses = [found.id(PASS_ROLE), found.id(ASSUME_ROLE)];
        let uses_a_role = self.steps.iter().any(|(id, _, _)| uses.contains(&Some(*id)));
        // Named roles: a pattern such as `role/app-*` reaches roles nobody has created yet;
        // `arn:aws:iam::*:role/deployer` names one role, in whichever account trusts it.
        let named = self.roles(found).iter().all(|r| {
            let name = r.split_once(":role/").map_or(r.as_str(), |(_, name)| name);
            r != "NotResource" && !has_wildcard(name) && (r.contains(":role/") || !has_wildcard(r))
        });
        if uses_a_role && named && !self.roles_editable(found) {
            return Severity::Low;
        }
        if !self.boundaries(found).is_empty() {
            return Severity::Low;
        }
        Severity::High
    }

    /// The permissions boundaries the path's role and user changes are held under: when
    /// every grant serving each of its steps that creates or changes a role or user
    /// requires one boundary the document cannot remove or rewrite
    /// (`Subject::delegation_boundary`), whatever the path gives is at most what those
    /// boundaries allow. Empty when the path has no such step, or one goes unbounded.
    fn boundaries(&self, found: &mut Found<'_>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (id, _, all) in &self.steps {
            if !boundary::is_bounded_action(&found.catalogue.action_name(*id)) {
                continue;
            }
            found.grants(*id);
            let (doc, catalogue, grants) = (found.doc, found.catalogue, &found.grants[id]);
            for &i in all {
                match doc.delegation_boundary(&grants[i], *id, catalogue) {
                    Some(b) if !out.contains(&b) => out.push(b),
                    Some(_) => {}
                    None => return Vec::new(),
                }
            }
        }
        out
    }

    /// The roles `iam:PassRole` or `sts:AssumeRole` is granted on, as written.
    fn roles(&self, found: &Found<'_>) -> Vec<String> {
        let uses = [found.id(PASS_ROLE), found.id(ASSUME_ROLE)];
        let mut roles: Vec<String> = Vec::new();
        for role in
            self.all_step_grants(found).filter(|(id, _)| uses.contains(&Some(*id))).flat_map(|(_, g)| resources_of(g))
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
        !self.steps.iter().any(|(id, _, _)| Some(*id) == pass_role)
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

/// Shown targets in a message; the chains list them all.
const SHOWN_TARGETS: usize = 5;

/// `; reaches role/ops-admin (full admin) and user/dev`: the principals a tier's paths
/// reach, more privileged first.
fn reached_text(matches: &[Match], principals: &Principals<'_>, catalogue: &Catalogue) -> Option<String> {
    // Sorted by their description below: a set keeps each once without a scan.
    let targets: BTreeSet<usize> =
        matches.iter().flat_map(|m| m.reached.iter().flat_map(|r| &r.targets)).map(|(i, _)| *i).collect();
    if matches.iter().all(|m| m.reached.is_none()) {
        return None;
    }
    if targets.is_empty() {
        return Some("; it reaches no principal of this file".into());
    }
    let describe = |i: usize| {
        let p = principals.get(i).principal;
        if principals.is_admin(i, catalogue) {
            (0, format!("{} (full admin)", who(p)))
        } else if more_privileged(principals, i, catalogue) {
            (1, format!("{} (can escalate further)", who(p)))
        } else {
            (2, who(p))
        }
    };
    let mut described: Vec<(u8, String)> = targets.iter().map(|&i| describe(i)).collect();
    described.sort();
    let more = matches.iter().any(|m| m.reached.as_ref().is_some_and(|r| r.more_privileged));
    let mut names: Vec<String> = described.iter().take(SHOWN_TARGETS).map(|(_, n)| n.clone()).collect();
    if described.len() > SHOWN_TARGETS {
        names.push(format!("{} more", described.len() - SHOWN_TARGETS));
    }
    let list = crate::diagnostic::and_list(&names);
    Some(if more { format!("; reaches {list}") } else { format!("; reaches {list}, none more privileged") })
}

fn finding(
    severity: Severity,
    matches: &[Match],
    found: &mut Found<'_>,
    catalogue: &Catalogue,
    principals: Option<&Principals<'_>>,
) -> Draft {
    let first = &matches[0];
    let ids: Vec<&str> = matches.iter().map(|m| m.path.id.as_ref()).collect();
    let reached = principals.and_then(|p| reached_text(matches, p, catalogue));
    let bounded = matches.iter().any(|m| !m.boundaries(found).is_empty());
    let message = match (severity, matches) {
        (Severity::Low, _) if reached.is_none() => low_message(matches, found, &ids),
        (_, [one]) => format!("privilege escalation: {} ({})", lower_first(&one.path.title), one.path.id),
        _ if ids.len() > SHOWN_IDS => format!(
            "{} privilege-escalation paths: {}, and {} more (listed below)",
            matches.len(),
            ids[..SHOWN_IDS].join(", "),
            ids.len() - SHOWN_IDS
        ),
        _ => format!("{} privilege-escalation paths: {}", matches.len(), ids.join(", ")),
    };
    // A principal's reach is its own: the message names it (one managed policy held by
    // many principals gives each its finding).
    let message = match (&reached, found.doc.principal) {
        (Some(text), Some(p)) => format!("{}: {message}{text}", who(p)),
        _ => message,
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
        let needs: Vec<String> = m.steps.iter().map(|(id, _, _)| catalogue.action_name(*id)).collect();
        let reference = m.path.references.first().map(|r| format!(" ({r})")).unwrap_or_default();
        lines.push(format!("{} [{}] {}: {}{reference}", m.path.id, m.path.category, m.path.title, needs.join(" + ")));
    }
    draft = draft.note(lines.join("\n"));
    let help = match severity {
        Severity::Low if reached.is_some() => "none of the principals this path reaches can do more than this \
                          principal today; scope the actions to them by name so that a role or user created \
                          later is not reached too"
            .to_string(),
        Severity::Low if bounded => {
            "check what the boundary policy allows: whoever holds this policy can give roles and users up to \
             its permissions; keep it out of their reach (no CreatePolicyVersion, SetDefaultPolicyVersion or \
             DeletePolicyVersion on it, no Delete*PermissionsBoundary)"
                .to_string()
        }
        Severity::Low => "check what the named roles can do: whoever holds this policy can act with their \
                          permissions; pass or assume only roles with less access than the principal itself"
            .to_string(),
        _ => "remove an action of each path, or scope them: name the roles, users, policies and functions in \
              \"Resource\"; limit iam:PassRole to named roles with an iam:PassedToService condition; limit \
              attach actions with an iam:PolicyARN condition to named, non-admin policies"
            .to_string(),
    };
    let st = first_grant.statement;
    // Paths of one tier often reach the same principals the same way: each chain once, in
    // the order first reached (a set, not a scan: a dump's role may reach thousands).
    let mut seen: HashSet<&Chain> = HashSet::new();
    let mut chains: Vec<Chain> = Vec::new();
    for (_, chain) in matches.iter().flat_map(|m| m.reached.iter().flat_map(|r| &r.targets)) {
        if seen.insert(chain) {
            chains.push(chain.clone());
        }
    }
    draft.severity(severity).help(help).in_statement(st).actions(actions).chains(chains)
}

/// A low tier's message: the named roles its paths run code as or assume, and the
/// permissions boundaries its role and user changes are held under.
fn low_message(matches: &[Match], found: &mut Found<'_>, ids: &[&str]) -> String {
    let (mut roles, mut boundaries): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let mut assumes_only = true;
    for m in matches {
        let held = m.boundaries(found);
        if held.is_empty() {
            assumes_only &= m.assumes_only(found);
            for role in m.roles(found) {
                if !roles.contains(&role) {
                    roles.push(role);
                }
            }
        }
        for b in held {
            if !boundaries.contains(&b) {
                boundaries.push(b);
            }
        }
    }
    let mut parts: Vec<String> = Vec::new();
    if !roles.is_empty() {
        let verb = if assumes_only { "assume" } else { "run code as" };
        parts.push(format!("can {verb} role {}", roles.join(", ")));
    }
    if !boundaries.is_empty() {
        let noun = if boundaries.len() == 1 { "boundary" } else { "boundaries" };
        parts.push(format!(
            "can create or change roles and users only under permissions {noun} {}",
            boundaries.join(", ")
        ));
    }
    let it = if boundaries.is_empty() || (roles.is_empty() && boundaries.len() == 1) { "it is" } else { "they are" };
    format!("{} ({}): make sure {it} not more privileged than this principal", parts.join("; "), ids.join(", "))
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
    use crate::testing;
    use proptest::prelude::*;

    const ACTIONS: [&str; 8] = [
        "iam:PassRole",
        "sts:AssumeRole",
        "ec2:RunInstances",
        "lambda:CreateFunction",
        "lambda:InvokeFunction",
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:CreateAccessKey",
    ];
    /// Each ladder goes from wider to narrower: every value matches a subset of the one
    /// before it.
    const LADDERS: [&[&str]; 3] = [
        &[
            "*",
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:iam::111122223333:role/app*",
            "arn:aws:iam::111122223333:role/app",
        ],
        &["*", "arn:aws:ec2:*:*:*", "arn:aws:ec2:eu-west-1:*:*"],
        &["*", "arn:aws:lambda:*:111122223333:function:*", "arn:aws:lambda:eu-west-1:111122223333:function:app"],
    ];
    const CONDITIONS: [&str; 3] = [
        r#"{"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}"#,
        r#"{"StringEquals": {"aws:ResourceTag/team": "a"}}"#,
        r#"{"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::111122223333:policy/read"}}"#,
    ];

    /// A statement: its actions (indices into ACTIONS), its Resource values (ladder, rung)
    /// and its conditions (indices into CONDITIONS).
    #[derive(Debug, Clone)]
    struct St {
        actions: Vec<usize>,
        resources: Vec<(usize, usize)>,
        conditions: Vec<usize>,
    }

    fn text(statements: &[St], denies: &[usize]) -> String {
        let mut parts = Vec::new();
        for st in statements {
            let actions: Vec<String> = st.actions.iter().map(|a| format!("\"{}\"", ACTIONS[*a])).collect();
            let resources: Vec<String> = st.resources.iter().map(|(l, r)| format!("\"{}\"", LADDERS[*l][*r])).collect();
            let mut condition = String::new();
            for (i, c) in st.conditions.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                condition.push_str(&format!("{sep}{}", &CONDITIONS[*c][1..CONDITIONS[*c].len() - 1]));
            }
            let condition =
                if condition.is_empty() { String::new() } else { format!(r#", "Condition": {{{condition}}}"#) };
            parts.push(format!(
                r#"{{"Effect": "Allow", "Action": [{}], "Resource": [{}]{condition}}}"#,
                actions.join(", "),
                resources.join(", ")
            ));
        }
        for d in denies {
            parts.push(format!(r#"{{"Effect": "Deny", "Action": "{}", "Resource": "*"}}"#, ACTIONS[*d]));
        }
        testing::policy(&parts.join(",\n"))
    }

    /// Each path id reported, with its finding's severity.
    fn severities(statements: &[St], denies: &[usize]) -> HashMap<String, Severity> {
        let mut out = HashMap::new();
        for f in testing::run(&RULE, "policy.json", &text(statements, denies)) {
            for line in f.note.as_deref().unwrap_or_default().lines() {
                let id = line.split_whitespace().next().unwrap_or_default().to_string();
                out.insert(id, f.severity);
            }
        }
        out
    }

    /// One narrowing step: what it does to a document, as data.
    #[derive(Debug, Clone)]
    enum Narrow {
        /// Move a Resource value one rung down its ladder.
        Rung(usize, usize),
        /// Drop a Resource value (when another is left).
        DropResource(usize, usize),
        /// Drop an action (when another is left).
        DropAction(usize, usize),
        /// Add a condition.
        Condition(usize, usize),
        /// Drop a statement.
        DropStatement(usize),
        /// Deny an action unconditionally.
        Deny(usize),
    }

    fn apply(statements: &mut Vec<St>, denies: &mut Vec<usize>, step: &Narrow) {
        let n = statements.len();
        match *step {
            Narrow::Rung(s, v) => {
                let st = &mut statements[s % n];
                let k = v % st.resources.len();
                let (l, r) = st.resources[k];
                st.resources[k] = (l, (r + 1).min(LADDERS[l].len() - 1));
            }
            Narrow::DropResource(s, v) => {
                let st = &mut statements[s % n];
                if st.resources.len() > 1 {
                    st.resources.remove(v % st.resources.len());
                }
            }
            Narrow::DropAction(s, a) => {
                let st = &mut statements[s % n];
                if st.actions.len() > 1 {
                    st.actions.remove(a % st.actions.len());
                }
            }
            Narrow::Condition(s, c) => {
                let st = &mut statements[s % n];
                if !st.conditions.contains(&(c % CONDITIONS.len())) {
                    st.conditions.push(c % CONDITIONS.len());
                }
            }
            Narrow::DropStatement(s) => {
                if n > 1 {
                    statements.remove(s % n);
                }
            }
            Narrow::Deny(a) => denies.push(a % ACTIONS.len()),
        }
    }

    /// A statement of 1 or 2 actions on values of one ladder, under a condition one time in
    /// four.
    fn statement() -> impl Strategy<Value = St> {
        (
            proptest::collection::vec(0..ACTIONS.len(), 1..3),
            0..LADDERS.len(),
            proptest::collection::vec(0..5usize, 1..3),
            prop_oneof![3 => Just(Vec::new()), 1 => (0..CONDITIONS.len()).prop_map(|c| vec![c])],
        )
            .prop_map(|(mut actions, l, rungs, conditions)| {
                actions.dedup();
                let resources = rungs.into_iter().map(|r| (l, r.min(LADDERS[l].len() - 1))).collect();
                St { actions, resources, conditions }
            })
    }

    /// A statement that passes or assumes roles: every document has one, so that paths
    /// through named roles (the low tier) are common.
    fn role_statement() -> impl Strategy<Value = St> {
        (
            prop_oneof![Just(vec![0]), Just(vec![1]), Just(vec![0, 1])],
            proptest::collection::vec(prop_oneof![1 => 0..3usize, 2 => Just(3usize)], 1..3),
        )
            .prop_map(|(actions, rungs)| St {
                actions,
                resources: rungs.into_iter().map(|r| (0, r)).collect(),
                conditions: vec![],
            })
    }

    fn narrow() -> impl Strategy<Value = Narrow> {
        prop_oneof![
            (0..8usize, 0..8usize).prop_map(|(s, v)| Narrow::Rung(s, v)),
            (0..8usize, 0..8usize).prop_map(|(s, v)| Narrow::DropResource(s, v)),
            (0..8usize, 0..8usize).prop_map(|(s, a)| Narrow::DropAction(s, a)),
            (0..8usize, 0..8usize).prop_map(|(s, c)| Narrow::Condition(s, c)),
            (0..8usize).prop_map(Narrow::DropStatement),
            (0..ACTIONS.len()).prop_map(Narrow::Deny),
        ]
    }

    /// Every single narrowing step of a document.
    fn every_narrowing(statements: &[St]) -> Vec<Narrow> {
        let mut steps: Vec<Narrow> = (0..ACTIONS.len()).map(Narrow::Deny).collect();
        for (s, st) in statements.iter().enumerate() {
            steps.push(Narrow::DropStatement(s));
            steps.extend((0..st.resources.len()).flat_map(|v| [Narrow::Rung(s, v), Narrow::DropResource(s, v)]));
            steps.extend((0..st.actions.len()).map(|a| Narrow::DropAction(s, a)));
            steps.extend((0..CONDITIONS.len()).map(|c| Narrow::Condition(s, c)));
        }
        steps
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// Narrowing a grant (a narrower Resource, fewer values or actions, a condition, a
        /// statement less, a Deny) never raises the severity of a path, nor opens one:
        /// every single step from a random document, then a random chain of them.
        #[test]
        fn narrowing_never_raises_a_severity(
            statements in (role_statement(), proptest::collection::vec(statement(), 1..3))
                .prop_map(|(first, rest)| [vec![first], rest].concat()),
            chain in proptest::collection::vec(narrow(), 2..5),
        ) {
            let before = severities(&statements, &[]);
            let singles = every_narrowing(&statements).into_iter().map(|step| vec![step]);
            for steps in singles.chain([chain]) {
                let (mut narrowed, mut denies) = (statements.clone(), Vec::new());
                for step in &steps {
                    apply(&mut narrowed, &mut denies, step);
                }
                let after = severities(&narrowed, &denies);
                for (id, severity) in &after {
                    let was = before.get(id);
                    prop_assert!(
                        was.is_some_and(|w| w >= severity),
                        "{id}: {was:?} before, {severity:?} after {steps:?}\n{}\n->\n{}",
                        text(&statements, &[]),
                        text(&narrowed, &denies)
                    );
                }
            }
        }
    }

    /// The issue's case: naming the subnet of the launch, or adding the condition the help
    /// recommends, keeps a path through a named role low.
    #[test]
    fn scoping_the_other_actions_keeps_a_named_role_low() {
        let role = r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/app"}"#;
        let service = r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/app",
            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}"#;
        let run_star = r#"{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}"#;
        let run_subnet = r#"{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": [
            "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0abc", "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:*:*:network-interface/*", "arn:aws:ec2:*:*:security-group/*", "arn:aws:ec2:*:*:volume/*",
            "arn:aws:ec2:*::image/*"]}"#;
        for (pass, run) in [(role, run_star), (role, run_subnet), (service, run_star), (service, run_subnet)] {
            let findings = testing::run(&RULE, "policy.json", &testing::policy(&format!("{pass}, {run}")));
            let severities: Vec<Severity> = findings.iter().map(|f| f.severity).collect();
            assert_eq!(severities, [Severity::Low], "{pass} {run}");
        }
    }

    /// Every role a principal can pass counts, not only the one of the widest grant.
    #[test]
    fn a_pattern_beside_a_named_role_is_high() {
        let text = testing::policy(
            r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/app"},
               {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/ci-*"},
               {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}"#,
        );
        let severities: Vec<Severity> = testing::run(&RULE, "policy.json", &text).iter().map(|f| f.severity).collect();
        assert_eq!(severities, [Severity::High]);
    }

    #[test]
    fn admin_policies_in_any_partition() {
        assert!(is_admin_policy("arn:aws-us-gov:iam::aws:policy/AdministratorAccess"));
        assert!(is_admin_policy("arn:aws:iam::aws:policy/administratoraccess"));
        assert!(!is_admin_policy("arn:aws:iam::aws:policy/ReadOnlyAccess"));
        assert!(!is_admin_policy("AdministratorAccess"));
    }
}
