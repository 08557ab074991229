//! The effective-grant model: what a document really lets someone do with one action.
//!
//! For an action, the Allow statements that grant it (Action or NotAction; not SCP, RCP or
//! boundary ceilings), after what the document's unconditional Deny statements remove, and
//! how far each grant reaches:
//! - `Reach::StarOnly`: the action has no resource types, `*` is its only resource;
//! - `Reach::Every`: a Resource value that names every resource of one of the action's
//!   types (`*`, `arn:aws:s3:::*`, `arn:aws:ec2:*:111122223333:instance/*`), or a
//!   NotResource that leaves them granted;
//! - `Reach::Named`: named resources or narrower patterns.
//!
//! A grant is *unscoped* when it reaches every resource and no condition narrows it. A
//! condition narrows when an entry's operator requires its key with values that do not
//! match everything, or requires a resource to carry a tag (`"Null": {"aws:ResourceTag/K":
//! "false"}`, `StringLike` `*` on it) (`Condition::restrictions`), and the key is not one that only says
//! how or when the request is made (`rules/packs/non-narrowing-keys.json`:
//! aws:SecureTransport, aws:MultiFactorAuthPresent, ...). A key the action does not have
//! narrows too: the statement then grants nothing for the action.
//!
//! In a resource policy, Resource names only the resource the policy is attached to, so
//! no grant there reaches every resource.
//!
//! Denies: an unconditional Deny that covers the action removes it where its Resource
//! names every resource the Allow grants (`*`, or a pattern matching the Allow's values);
//! a Deny with NotResource confines the Allow to the resources it lists. A Deny with a
//! condition removes nothing for sure, so it is not credited.

use super::subject::{Entry, Subject};
use super::{ResolvedDocument, ResolvedStatement};
use crate::catalogue::arn::{Arn, FieldKind, ResourceValue, covers, covers_every, may_match};
use crate::catalogue::model::AccessLevel;
use crate::catalogue::{ActionId, ActionSet, Catalogue, wildcard_match};
use crate::packs::pack;
use crate::policy::{ConditionEntry, ConditionOperator, PolicyKind, Statement};
use crate::source::Spanned;
use serde::Deserialize;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

/// How far a grant of one action reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// Named resources, or a pattern narrower than every resource of a type.
    Named,
    /// The action has no resource types: `*` is the only resource it can be granted on.
    StarOnly,
    /// Every resource of one of the action's resource types.
    Every,
}

/// One Allow statement's grant of one action.
#[derive(Debug)]
pub struct Grant<'d> {
    /// The document the statement stands in.
    pub document: &'d ResolvedDocument,
    pub statement: &'d Statement,
    pub resolved: &'d ResolvedStatement,
    pub reach: Reach,
    /// The Resource values through which the action is granted, the widest first
    /// (empty when the statement uses NotResource).
    pub resources: Vec<&'d Spanned<String>>,
    /// Some condition entry narrows the grant (`narrowing` says which).
    pub narrowed: bool,
    /// An unconditional `Deny` with `NotResource` that confines the grant to what it lists.
    pub confined_by: Option<&'d Statement>,
}

impl<'d> Grant<'d> {
    /// Every resource of the action's types, and no condition narrows it. An action that
    /// takes only `*` is never unscoped: `*` is its only correct resource.
    pub fn is_unscoped(&self) -> bool {
        self.reach == Reach::Every && !self.narrowed
    }

    /// All the action can be granted: unscoped, or a `*`-only action with no narrowing
    /// condition. What escalation and exposure rules count as "on anything".
    pub fn is_unrestricted(&self) -> bool {
        self.reach != Reach::Named && !self.narrowed
    }

    /// The condition entries that narrow the grant. Worked out when asked (a rule asks
    /// for a finding's wording), not for each of the 22,000 grants of `Action: *`.
    pub fn narrowing(&self) -> Vec<(&'d ConditionOperator, &'d ConditionEntry)> {
        narrowing(self.statement, self.document.doc.kind)
    }

    /// The narrowing entries on `key` (compared case-insensitively).
    pub fn narrowing_on(&self, key: &str) -> impl Iterator<Item = &'d ConditionEntry> {
        self.narrowing().into_iter().filter(move |(_, e)| e.key.value.eq_ignore_ascii_case(key)).map(|(_, e)| e)
    }
}

impl<'d> Subject<'d> {
    /// Every grant of `action` by the subject's granting statements, in document order.
    pub fn grants(&self, action: ActionId, catalogue: &Catalogue) -> Vec<Grant<'d>> {
        self.granting_statements().filter_map(|(st, rs)| self.grant(st, rs, action, catalogue)).collect()
    }

    /// How the statement grants `action`, after the document's Denies; `None` when it
    /// does not (not in its actions, no Resource value names it, or denied).
    pub fn grant(
        &self,
        st: &'d Statement,
        rs: &'d ResolvedStatement,
        action: ActionId,
        catalogue: &Catalogue,
    ) -> Option<Grant<'d>> {
        if !rs.actions.contains(action) || self.exhausted() || !self.ceilings_allow(action) {
            return None;
        }
        let entry = self.entry(st);
        if let Some(grant) = self.grant_on_star(entry, action, catalogue) {
            return Some(grant);
        }
        // Each call is authorized on every resource type AWS marks required: an action that
        // no statement grants on one of them cannot be called at all.
        let types = action_types(catalogue, action);
        let mut required_open = true;
        for (required, formats) in &types {
            if *required {
                match self.type_state(action, formats) {
                    TypeState::Missing => return None,
                    TypeState::Scoped => required_open = false,
                    TypeState::Open => {}
                }
            }
        }
        let mut grant =
            self.grant_with(entry, action, &catalogue.action_formats(action), changes(catalogue, action))?;
        // A grant on every resource of one type is still scoped when the same statement
        // names resources of another type narrowly (`instance/i-0abc` with `document/*` for
        // `ssm:SendCommand`: the call involves both), or when some required type is granted
        // only scoped (RunInstances on `instance/*`, the subnet under `ec2:Vpc` elsewhere).
        let names_a_type = || st.resource.as_ref().is_some_and(|r| !r.negated) && self.names_a_type(rs, &types);
        if grant.is_unscoped() && (!required_open || names_a_type()) {
            grant.reach = Reach::Named;
        }
        Some(grant)
    }

    /// Whether the statement reaches a resource type of the action only through values
    /// that name resources narrowly (`instance/i-0abc`, while `document/*` reaches every
    /// document). A type that a broad value also reaches does not count
    /// (`arn:aws:s3:::*` beside `arn:aws:s3:::logs/*`).
    fn names_a_type(&self, rs: &ResolvedStatement, types: &[(bool, Vec<&str>)]) -> bool {
        // reaches[value][type]
        let reaches: Vec<Vec<Option<Reach>>> = rs
            .resources
            .iter()
            .map(|r| types.iter().map(|(_, f)| self.value_reach(&r.value.value, &r.parsed, f)).collect())
            .collect();
        let narrow = |v: &Vec<Option<Reach>>| v.iter().flatten().max() == Some(&Reach::Named);
        (0..types.len()).any(|t| {
            let widest = reaches.iter().filter_map(|v| v[t]).max();
            widest == Some(Reach::Named) && reaches.iter().any(|v| narrow(v) && v[t] == Some(Reach::Named))
        })
    }

    /// How far the granting statements reach one resource type of an action, remembered.
    fn type_state(&self, action: ActionId, formats: &[&str]) -> TypeState {
        let key = (action, formats.first().map_or(0, |f| f.as_ptr() as usize));
        if let Some(state) = self.memo.types.borrow().get(&key) {
            return *state;
        }
        let mut state = TypeState::Missing;
        for e in self.entries().filter(|e| e.doc.is_granting(e.st)) {
            let (st, rs) = (e.st, e.rs);
            if !self.spend(1) {
                break;
            }
            if !rs.actions.contains(action) {
                continue;
            }
            let Some(resource) = &st.resource else { continue };
            let reach = if resource.negated {
                let excluded =
                    formats.iter().all(|f| rs.resources.iter().any(|r| self.fit(&r.value.value, &r.parsed, f).exact));
                (!excluded).then_some(Reach::Every)
            } else {
                rs.resources.iter().filter_map(|r| self.value_reach(&r.value.value, &r.parsed, formats)).max()
            };
            let open = reach == Some(Reach::Every)
                && e.doc.doc.kind != PolicyKind::Resource
                && !self.narrowed(st, e.doc.doc.kind);
            if open {
                state = TypeState::Open;
                break;
            }
            if reach.is_some() {
                state = TypeState::Scoped;
            }
        }
        self.memo.types.borrow_mut().insert(key, state);
        state
    }

    /// How the statement grants `action` on the resources of these types of its service
    /// only (the types a rule cares about, such as the subnet of a launch), after the
    /// Denies.
    pub fn grant_on(
        &self,
        st: &'d Statement,
        action: ActionId,
        types: &[&str],
        catalogue: &Catalogue,
    ) -> Option<Grant<'d>> {
        let formats: Vec<&str> = types
            .iter()
            .filter_map(|t| catalogue.resource_type(action.service, t))
            .flat_map(|t| t.arns.iter().map(|a| a.as_ref()))
            .collect();
        if !self.ceilings_allow(action) {
            return None;
        }
        self.grant_with(self.entry(st), action, &formats, changes(catalogue, action))
    }

    /// The common case without parsing the action: `"Resource": "*"` and no
    /// unconditional Deny of the action in the document. Such a grant reaches every
    /// resource of every type, so it also satisfies the required-type check.
    fn grant_on_star(&self, entry: Entry<'d>, action: ActionId, catalogue: &Catalogue) -> Option<Grant<'d>> {
        let (st, rs, kind) = (entry.st, entry.rs, entry.doc.doc.kind);
        let resource = st.resource.as_ref().filter(|r| !r.negated)?;
        if rs.resources.is_empty() || !rs.resources.iter().all(|r| r.parsed == ResourceValue::Any) {
            return None;
        }
        if !self.denies_of(action).is_empty() {
            return None;
        }
        let reach = match (catalogue.action_has_resource_types(action), kind) {
            (false, _) => Reach::StarOnly,
            (true, PolicyKind::Resource) => Reach::Named,
            (true, _) => Reach::Every,
        };
        Some(Grant {
            document: entry.doc,
            statement: st,
            resolved: rs,
            reach,
            resources: resource.values.iter().collect(),
            narrowed: self.narrowed(st, kind),
            confined_by: None,
        })
    }

    /// `changes`: the action writes, tags or changes permissions, so that AWS-owned
    /// resources (`aws_owned`) are out of its reach.
    fn grant_with(
        &self,
        entry: Entry<'d>,
        action: ActionId,
        formats: &[impl AsRef<str>],
        changes: bool,
    ) -> Option<Grant<'d>> {
        let (st, rs, kind) = (entry.st, entry.rs, entry.doc.doc.kind);
        if !rs.actions.contains(action) {
            return None;
        }
        let resource = st.resource.as_ref()?;
        let (mut reach, mut resources) = if resource.negated {
            // NotResource grants every resource it does not list. Excluding a type takes a
            // value that matches all of it as written: `arn:aws:iam::999988887777:*`
            // leaves every role of the other accounts granted.
            let excluded =
                |f: &_| rs.resources.iter().any(|r| self.fit(&r.value.value, &r.parsed, AsRef::<str>::as_ref(f)).exact);
            if formats.is_empty() {
                if rs.resources.iter().any(|r| names_star(&r.value.value)) {
                    return None;
                }
                (Reach::StarOnly, Vec::new())
            } else if formats.iter().all(excluded) {
                return None;
            } else {
                (Reach::Every, Vec::new())
            }
        } else {
            let mut found: Vec<(Reach, &Spanned<String>)> = Vec::new();
            for r in rs.resources.iter().filter(|r| !(changes && aws_owned(&r.parsed))) {
                let reach = self.value_reach(&r.value.value, &r.parsed, formats);
                if let Some(reach) = reach {
                    found.push((reach, &r.value));
                }
            }
            found.sort_by_key(|(reach, _)| std::cmp::Reverse(*reach));
            let reach = found.first()?.0;
            (reach, found.into_iter().map(|(_, v)| v).collect())
        };
        let mut confined_by = None;
        for (deny, drs) in self.denies(action) {
            if !self.spend(1 + drs.resources.len() as u64) {
                return None;
            }
            let Some(denied) = &deny.resource else { continue };
            if denied.negated {
                // Denies everything but what it lists: the grant keeps only those.
                let kept: Option<Reach> =
                    drs.resources.iter().filter_map(|r| self.value_reach(&r.value.value, &r.parsed, formats)).max();
                match kept {
                    None => return None,
                    Some(kept) if kept < reach => {
                        reach = kept;
                        confined_by = Some(deny);
                    }
                    Some(_) => {}
                }
            } else {
                let removes = |allowed: &str| drs.resources.iter().any(|d| self.removes(&d.value.value, allowed));
                // Removing the whole grant takes a Deny that matches every resource as
                // written: a Deny in one region or account leaves the others granted.
                let every = drs.resources.iter().any(|d| match reach {
                    Reach::StarOnly => names_star(&d.value.value),
                    _ => formats.iter().all(|f| self.fit(&d.value.value, &d.parsed, f.as_ref()).exact),
                });
                if every {
                    return None;
                }
                if !resource.negated {
                    resources.retain(|v| !removes(&v.value));
                    if resources.is_empty() {
                        return None;
                    }
                    // What is left may be narrower than what was removed.
                    reach = rs
                        .resources
                        .iter()
                        .filter(|r| resources.iter().any(|v| std::ptr::eq(*v, &r.value)))
                        .filter_map(|r| self.value_reach(&r.value.value, &r.parsed, formats))
                        .max()
                        .unwrap_or(Reach::Named);
                }
            }
        }
        if kind == PolicyKind::Resource && reach == Reach::Every {
            // A resource policy's Resource names only the resource it is attached to
            // (`"Resource": "*"` in a key policy is that key).
            reach = Reach::Named;
        }
        let narrowed = self.narrowed(st, kind);
        Some(Grant { document: entry.doc, statement: st, resolved: rs, reach, resources, narrowed, confined_by })
    }
}

/// One statement's grants of a class of actions (see `ResolvedDocument::statement_grants`).
#[derive(Debug)]
pub struct StatementGrants<'d> {
    pub statement: &'d Statement,
    pub resolved: &'d ResolvedStatement,
    /// The actions kept, as a set.
    pub actions: ActionSet,
    /// Each kept action's grant, in catalogue order.
    pub grants: Vec<(ActionId, Grant<'d>)>,
}

impl<'d> Subject<'d> {
    /// For each granting statement, the grants of the actions `wanted` selects (cheap:
    /// asked before any action is parsed) that `keep` keeps; statements with none are left
    /// out. A statement `full-admin` reports is left to it (`judged_statements`).
    pub fn statement_grants(
        &self,
        catalogue: &Catalogue,
        wanted: impl Fn(ActionId) -> bool,
        keep: impl Fn(&Grant<'d>) -> bool,
    ) -> Vec<StatementGrants<'d>> {
        let mut out = Vec::new();
        for (st, rs) in self.judged_statements(catalogue) {
            let mut found =
                StatementGrants { statement: st, resolved: rs, actions: ActionSet::new(), grants: Vec::new() };
            for id in rs.actions.iter(catalogue).filter(|id| wanted(*id)) {
                if let Some(grant) = self.grant(st, rs, id, catalogue).filter(&keep) {
                    found.actions.insert(id);
                    found.grants.push((id, grant));
                }
            }
            if !found.grants.is_empty() {
                out.push(found);
            }
        }
        out
    }
}

impl ResolvedDocument {
    /// What `set` (a statement's actions, or one Action value's) leaves granted after the
    /// document's unconditional Denies that remove actions on every resource the statement
    /// names: the effective grant per-statement rules judge (`iam:*` allowed and `iam:*`
    /// denied on `*` in the same document is no service wildcard). A Deny removes an
    /// action here when one of its Resource values matches every Resource value of the
    /// statement as text (`*` matches all, also a `NotResource`); a Deny with a condition,
    /// or one on some of the resources only, removes nothing for sure.
    pub fn undenied(&self, st: &Statement, set: &ActionSet, catalogue: &Catalogue) -> ActionSet {
        let mut left = set.clone();
        for (deny, drs) in self.statements() {
            if !deny.is_deny() || deny.is_conditional() || left.is_empty() {
                continue;
            }
            let Some(denied) = deny.resource.as_ref().filter(|r| !r.negated) else { continue };
            let covers_all = denied.values.iter().any(|d| {
                d.value == "*"
                    || st.resource.as_ref().is_some_and(|r| {
                        !r.negated && r.values.iter().all(|a| wildcard_match(&d.value, &a.value, false))
                    })
            });
            if covers_all {
                left.subtract(&drs.actions, catalogue);
            }
        }
        left
    }
}

/// Whether an action writes, tags or manages permissions (not Read or List).
fn changes(catalogue: &Catalogue, action: ActionId) -> bool {
    matches!(
        catalogue.action_access(action),
        AccessLevel::Write | AccessLevel::PermissionsManagement | AccessLevel::Tagging
    )
}

/// Whether a Resource value names only resources AWS owns: the account `aws`
/// (`arn:aws:iam::aws:policy/AdministratorAccess`, AWS managed policies). No customer can
/// change, tag or delete them, so a grant of a changing action through such a value
/// reaches nothing (`iam:CreatePolicyVersion` on `arn:aws:iam::aws:policy/*` is no
/// escalation).
fn aws_owned(parsed: &ResourceValue) -> bool {
    matches!(parsed, ResourceValue::Arn(arn) if arn.literal(Arn::ACCOUNT) == Some("aws"))
}

/// Whether a Resource value matches `*`, the resource of an action with no resource
/// types: IAM matches the pattern against `*` itself, so `arn:aws:s3:::*` does not.
fn names_star(value: &str) -> bool {
    wildcard_match(value, "*", false)
}

/// An action's resource types: whether AWS marks each required, and its ARN formats
/// (borrowed from the catalogue).
fn action_types(catalogue: &Catalogue, action: ActionId) -> Vec<(bool, Vec<&str>)> {
    catalogue
        .action(action)
        .resources
        .iter()
        .filter_map(|r| {
            let t = catalogue.resource_type(action.service, &r.kind)?;
            Some((r.required, t.arns.iter().map(|a| a.as_ref()).collect()))
        })
        .collect()
}

/// The statement's condition entries that narrow a grant.
fn narrowing(st: &Statement, kind: PolicyKind) -> Vec<(&ConditionOperator, &ConditionEntry)> {
    let condition = st.condition.as_ref();
    condition.map(|c| c.restrictions().filter(|(_, e)| narrows(&e.key.value, kind)).collect()).unwrap_or_default()
}

/// What the model works out once per subject. Keyed by addresses: of Resource values
/// (owned by the document) and of ARN formats (owned by the catalogue: the model only
/// asks about formats it takes from there, shared by the actions of a resource type).
#[derive(Debug, Default)]
pub(super) struct Memo<'d> {
    /// What does not depend on the subject, shared with the other subjects built over the
    /// same documents (a managed policy's values are judged once, not once per holder).
    pub(super) shared: Shared<'d>,
    types: RefCell<HashMap<(ActionId, usize), TypeState>>,
    /// Per action, whether the ceilings let it through.
    pub(super) ceilings: RefCell<HashMap<ActionId, bool>>,
    /// The entries (indices) that are unconditional Denies, worked out once.
    denies: OnceCell<Vec<usize>>,
    /// Per action, the unconditional Denies that cover it (indices into `denies`' entries):
    /// each grant of the action reads them instead of scanning every statement.
    denies_of: RefCell<HashMap<ActionId, Rc<[usize]>>>,
    /// Work done so far (Deny and statement visits, ARN comparisons), against `WORK_BUDGET`.
    work: Cell<u64>,
}

/// What the grant model works out about one statement or one Resource value, whatever
/// subject it is judged in: kept for every subject over the same documents
/// (`Subject::sharing`). Keyed by addresses, like `Memo`.
#[derive(Debug, Default)]
pub struct Memos {
    /// Per statement (by address), whether a condition entry narrows its grants: worked
    /// out once, not once per action (thousands of condition keys on `Action: *`).
    narrowed: RefCell<HashMap<usize, bool>>,
    fits: RefCell<HashMap<(usize, usize), Fit>>,
    removes: RefCell<HashMap<(usize, usize), bool>>,
}

/// A subject's own `Memos`, or ones it shares with the other subjects of its documents.
#[derive(Debug)]
pub(super) enum Shared<'d> {
    Own(Box<Memos>),
    With(&'d Memos),
}

impl Default for Shared<'_> {
    fn default() -> Self {
        Shared::Own(Box::default())
    }
}

impl std::ops::Deref for Shared<'_> {
    type Target = Memos;
    fn deref(&self) -> &Memos {
        match self {
            Shared::Own(m) => m,
            Shared::With(m) => m,
        }
    }
}

/// The work one subject may take (visits of statements and ARN comparisons) before it is
/// given up as "analysis incomplete": tens of millions of steps, a second or so, far more
/// than any policy AWS accepts needs (its largest quota is 10,240 characters); only a
/// pathological document (hundreds of `ec2:*` Allows against hundreds of Denies) gets here.
pub const WORK_BUDGET: u64 = 40_000_000;

/// How far the document's granting statements, taken together, reach one resource type
/// of an action (Denies aside: a Deny only makes it narrower).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TypeState {
    /// No statement grants the action on this type.
    Missing,
    /// Granted on named resources, or under a narrowing condition.
    Scoped,
    /// Granted on every resource of the type with no narrowing condition.
    Open,
}

#[derive(Debug, Clone, Copy)]
struct Fit {
    /// Names every resource of the format, in any region or account (`covers_every`).
    every: bool,
    /// Names every resource of the format as written (`covers`): what a Deny needs.
    exact: bool,
    /// Can name one of its resources (`may_match`).
    some: bool,
}

impl<'d> Subject<'d> {
    /// Counts `n` steps of work; false once the subject is over `WORK_BUDGET`.
    fn spend(&self, n: u64) -> bool {
        let w = self.memo.work.get().saturating_add(n);
        self.memo.work.set(w);
        w <= WORK_BUDGET
    }

    /// Whether the subject ran over its work budget: what the grant model said after that
    /// is not complete, and the document is reported as not analysed.
    pub fn exhausted(&self) -> bool {
        self.memo.work.get() > WORK_BUDGET
    }

    /// The unconditional Denies that cover `action`, in document order.
    fn denies_of(&self, action: ActionId) -> Rc<[usize]> {
        if let Some(found) = self.memo.denies_of.borrow().get(&action) {
            return found.clone();
        }
        let denies = self.memo.denies.get_or_init(|| {
            self.entries()
                .enumerate()
                .filter(|(_, e)| e.st.is_deny() && !e.st.is_conditional())
                .map(|(i, _)| i)
                .collect()
        });
        self.spend(denies.len() as u64);
        let found: Rc<[usize]> =
            denies.iter().copied().filter(|&i| self.entry_at(i).rs.actions.contains(action)).collect();
        self.memo.denies_of.borrow_mut().insert(action, found.clone());
        found
    }

    /// Whether a condition entry of the statement narrows its grants, worked out once.
    fn narrowed(&self, st: &Statement, kind: PolicyKind) -> bool {
        let key = st as *const Statement as usize;
        if let Some(found) = self.memo.shared.narrowed.borrow().get(&key) {
            return *found;
        }
        let found = st.condition.as_ref().is_some_and(|c| c.restrictions().any(|(_, e)| narrows(&e.key.value, kind)));
        self.memo.shared.narrowed.borrow_mut().insert(key, found);
        found
    }

    /// The unconditional Deny statements that cover `action`.
    fn denies(&self, action: ActionId) -> impl Iterator<Item = (&'d Statement, &'d ResolvedStatement)> + '_ {
        let found = self.denies_of(action);
        (0..found.len()).map(move |i| {
            let e = self.entry_at(found[i]);
            (e.st, e.rs)
        })
    }
}

impl Subject<'_> {
    /// How far one Resource value reaches for an action with these ARN formats; `None`
    /// when it names none of its resources.
    fn value_reach(&self, raw: &str, parsed: &ResourceValue, formats: &[impl AsRef<str>]) -> Option<Reach> {
        if formats.is_empty() {
            return names_star(raw).then_some(Reach::StarOnly);
        }
        if *parsed == ResourceValue::Any {
            return Some(Reach::Every);
        }
        let mut named = false;
        for f in formats {
            let fit = self.fit(raw, parsed, f.as_ref());
            if fit.every {
                return Some(Reach::Every);
            }
            named |= fit.some;
        }
        named.then_some(Reach::Named)
    }

    /// How a Resource value meets one ARN format, remembered.
    fn fit(&self, raw: &str, parsed: &ResourceValue, format: &str) -> Fit {
        self.spend(1);
        *self.memo.shared.fits.borrow_mut().entry((raw.as_ptr() as usize, format.as_ptr() as usize)).or_insert_with(
            || {
                if let ResourceValue::Arn(arn) = parsed
                    && arn.fields.len() == 5
                    && !may_share(arn, format)
                {
                    return Fit { every: false, exact: false, some: false };
                }
                Fit {
                    every: covers_every(raw, parsed, format),
                    exact: covers(raw, format),
                    some: may_match(raw, format),
                }
            },
        )
    }

    /// Whether a Deny's Resource value removes an Allow's value (matches it as text),
    /// remembered.
    fn removes(&self, denied: &str, allowed: &str) -> bool {
        *self
            .memo
            .shared
            .removes
            .borrow_mut()
            .entry((denied.as_ptr() as usize, allowed.as_ptr() as usize))
            .or_insert_with(|| wildcard_match(denied, allowed, false))
    }
}

/// A quick necessary test before the automaton: a value whose service is another, or
/// whose resource part starts with text the format's cannot start with (`instance/` and
/// `volume/`), names none of the format's resources.
fn may_share(arn: &Arn, format: &str) -> bool {
    let mut parts = format.splitn(6, ':');
    let (Some(service), Some(resource)) = (parts.nth(2), parts.nth(2)) else { return true };
    if let Some(s) = arn.literal(Arn::SERVICE)
        && !service.contains("${")
        && s != service
    {
        return false;
    }
    let Some(field) = arn.field(Arn::RESOURCE).filter(|f| f.kind != FieldKind::Unknown) else { return true };
    let lead = |t: &str, stops: &[char]| -> usize { t.find(stops).unwrap_or(t.len()) };
    let value_lead = &field.text[..lead(&field.text, &['*', '?', '$', '&'])];
    let format_lead = &resource[..lead(resource, &['$'])];
    value_lead.starts_with(format_lead) || format_lead.starts_with(value_lead)
}

#[derive(Deserialize)]
struct Pack {
    keys: Vec<PackKey>,
    identity_keys: Vec<PackKey>,
}

#[derive(Deserialize)]
struct PackKey {
    key: String,
}

/// `rules/packs/non-narrowing-keys.json`, lower-cased: the keys that never narrow a
/// grant, and those that do not in an identity policy (they describe its holder).
struct Keys {
    never: Vec<String>,
    identity: Vec<String>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pack: Pack = pack!("non-narrowing-keys.json");
        let lower = |list: Vec<PackKey>| list.into_iter().map(|k| k.key.to_ascii_lowercase()).collect();
        Keys { never: lower(pack.keys), identity: lower(pack.identity_keys) }
    })
}

/// Whether `key` is on a list; an entry ending in `/` (`aws:PrincipalTag/`) stands for
/// every key under it.
fn listed(list: &[String], key: &str) -> bool {
    list.iter().any(|k| if k.ends_with('/') { key.starts_with(k.as_str()) } else { *k == key })
}

/// Whether a condition key, required by its operator, narrows a grant in a policy of
/// this kind.
pub fn narrows(key: &str, kind: PolicyKind) -> bool {
    let key = key.to_ascii_lowercase();
    let keys = keys();
    !(listed(&keys.never, &key) || (kind == PolicyKind::Identity && listed(&keys.identity, &key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn document(json: &str) -> ResolvedDocument {
        document_of_kind(json, None)
    }

    fn document_of_kind(json: &str, kind: Option<PolicyKind>) -> ResolvedDocument {
        testing::resolved(json, kind)
    }

    /// (statement index, reach, unscoped) of each grant of `action`.
    fn grants(doc: &ResolvedDocument, action: &str) -> Vec<(usize, Reach, bool)> {
        let catalogue = Catalogue::bundled();
        let id = catalogue.lookup(action).expect("known action");
        let subject = Subject::document(doc);
        subject.grants(id, catalogue).iter().map(|g| (g.statement.index, g.reach, g.is_unscoped())).collect()
    }

    fn policy(statements: &str) -> ResolvedDocument {
        document(&testing::policy(statements))
    }

    #[test]
    fn reach_of_resource_values() {
        let doc = policy(
            r#"{"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "arn:aws:ec2:*:111122223333:instance/*"},
               {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"},
               {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*"},
               {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
               {"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": "arn:aws:iam::*:user/${aws:username}"}"#,
        );
        assert_eq!(grants(&doc, "ec2:TerminateInstances"), [(0, Reach::Every, true)]);
        assert_eq!(grants(&doc, "s3:GetObject"), [(1, Reach::Every, true)]);
        assert_eq!(grants(&doc, "s3:PutObject"), [(2, Reach::Named, false)]);
        assert_eq!(grants(&doc, "ec2:DescribeInstances"), [(3, Reach::StarOnly, false)]);
        assert_eq!(grants(&doc, "iam:PutUserPolicy"), [(4, Reach::Named, false)]);
        assert!(grants(&doc, "s3:ListBucket").is_empty(), "bucket ARNs only, granted nowhere");
    }

    #[test]
    fn non_narrowing_keys_are_global_keys() {
        let catalogue = Catalogue::bundled();
        let keys = keys();
        assert!(!keys.never.is_empty() && !keys.identity.is_empty());
        for key in keys.never.iter().chain(&keys.identity) {
            let probe = if key.ends_with('/') { format!("{key}team") } else { key.clone() };
            assert!(crate::catalogue::keys::global(catalogue, &probe).is_some(), "{key} is not a global condition key");
        }
        assert!(!narrows("AWS:SecureTransport", PolicyKind::Identity));
        assert!(narrows("aws:ResourceTag/team", PolicyKind::Identity));
        assert!(!narrows("aws:PrincipalOrgID", PolicyKind::Identity));
        assert!(!narrows("aws:PrincipalTag/team", PolicyKind::Identity));
        assert!(narrows("aws:PrincipalOrgID", PolicyKind::Resource));
    }

    #[test]
    fn every_required_resource_type_must_be_open() {
        let doc = policy(
            r#"{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "arn:aws:ec2:*:*:subnet/*",
                "Condition": {"StringEquals": {"ec2:Vpc": "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-0abc"}}},
               {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:image/*",
                "arn:aws:ec2:*:*:network-interface/*", "arn:aws:ec2:*:*:security-group/*"]}"#,
        );
        assert_eq!(grants(&doc, "ec2:RunInstances"), [(0, Reach::Every, false), (1, Reach::Named, false)]);
        // Without a statement on subnets (a required type) the launch cannot be made at all.
        let doc =
            policy(r#"{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "arn:aws:ec2:*:*:instance/*"}"#);
        assert!(grants(&doc, "ec2:RunInstances").is_empty());
        // One statement naming an instance and every document: scoped by the instance.
        let doc = policy(
            r#"{"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": ["arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc1234",
                "arn:aws:ssm:eu-west-1:111122223333:document/*"]}"#,
        );
        assert_eq!(grants(&doc, "ssm:SendCommand"), [(0, Reach::Named, false)]);
        // A broad value beside a narrow one of the same type stays broad.
        let doc = policy(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::logs/*"]}"#,
        );
        assert_eq!(grants(&doc, "s3:GetObject"), [(0, Reach::Every, true)]);
        let doc = policy(r#"{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}"#);
        assert_eq!(grants(&doc, "ec2:RunInstances"), [(0, Reach::Every, true)]);
    }

    #[test]
    fn conditions_narrow_unless_they_say_how() {
        let doc = policy(
            r#"{"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}},
               {"Effect": "Allow", "Action": "s3:DeleteBucket", "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
               {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "*",
                "Condition": {"StringEqualsIfExists": {"aws:ResourceTag/team": "a"}, "StringLike": {"s3:prefix": "*"}}}"#,
        );
        assert_eq!(grants(&doc, "ec2:TerminateInstances"), [(0, Reach::Every, false)]);
        assert_eq!(grants(&doc, "s3:DeleteBucket"), [(1, Reach::Every, true)]);
        assert_eq!(grants(&doc, "s3:DeleteObject"), [(2, Reach::Every, true)]);
    }

    #[test]
    fn unconditional_denies_are_credited() {
        let doc = policy(
            r#"{"Effect": "Allow", "Action": ["s3:*", "iam:*", "ec2:*"], "Resource": "*"},
               {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
               {"Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*", "s3:*", "ec2:*"], "Resource": "*"},
               {"Effect": "Deny", "Action": "ec2:TerminateInstances", "NotResource": "arn:aws:ec2:*:*:instance/i-0abc"},
               {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#,
        );
        assert!(grants(&doc, "s3:DeleteBucket").is_empty());
        assert!(grants(&doc, "iam:PassRole").is_empty(), "denied by the NotAction deny");
        assert_eq!(grants(&doc, "iam:GetRole"), [(0, Reach::Every, true)]);
        assert_eq!(grants(&doc, "ec2:TerminateInstances"), [(0, Reach::Named, false)], "confined by NotResource");
        assert_eq!(grants(&doc, "s3:PutObject"), [(0, Reach::Every, true)], "a conditional deny removes nothing");
    }

    #[test]
    fn not_resource_and_not_action() {
        let doc = policy(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secrets/*"},
               {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::*"},
               {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public/*"}"#,
        );
        // `arn:aws:s3:::*` excludes every bucket and object, not access point objects.
        assert_eq!(grants(&doc, "s3:GetObject"), [(0, Reach::Every, true), (1, Reach::Every, true)]);
        assert!(grants(&doc, "s3:DeleteBucket").is_empty(), "NotResource leaves no bucket");
        assert_eq!(grants(&doc, "ec2:RunInstances"), [(1, Reach::Every, true)]);
        assert!(grants(&doc, "iam:PassRole").is_empty());
    }

    #[test]
    fn denies_and_not_resource_in_one_account_or_region_leave_the_others() {
        let doc = policy(
            r#"{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:TerminateInstances"], "Resource": "*"},
               {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "arn:aws:iam::999988887777:role/*"},
               {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "arn:aws:ec2:us-east-1:*:instance/*"},
               {"Effect": "Allow", "Action": "iam:CreateAccessKey", "NotResource": "arn:aws:iam::999988887777:*"}"#,
        );
        assert_eq!(grants(&doc, "iam:PassRole"), [(0, Reach::Every, true)]);
        assert_eq!(grants(&doc, "ec2:TerminateInstances"), [(0, Reach::Every, true)]);
        assert_eq!(grants(&doc, "iam:CreateAccessKey"), [(3, Reach::Every, true)]);
    }

    #[test]
    fn partial_denies_narrow_what_is_left() {
        let doc = policy(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::logs/*"]},
               {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*"}"#,
        );
        assert!(grants(&doc, "s3:GetObject").is_empty());
        let doc = policy(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::logs/*", "arn:aws:s3:::data/*"]},
               {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"}"#,
        );
        let catalogue = Catalogue::bundled();
        let id = catalogue.lookup("s3:GetObject").unwrap();
        let subject = Subject::document(&doc);
        let left = subject.grants(id, catalogue);
        assert_eq!(
            left.iter().map(|g| g.resources.iter().map(|v| v.value.as_str()).collect::<Vec<_>>()).collect::<Vec<_>>(),
            [["arn:aws:s3:::logs/*"]]
        );
    }

    #[test]
    fn aws_owned_resources_cannot_be_changed() {
        let doc = policy(
            r#"{"Effect": "Allow", "Action": ["iam:CreatePolicyVersion", "iam:GetPolicyVersion"],
                "Resource": "arn:aws:iam::aws:policy/*"}"#,
        );
        assert!(grants(&doc, "iam:CreatePolicyVersion").is_empty());
        assert_eq!(grants(&doc, "iam:GetPolicyVersion"), [(0, Reach::Every, true)]);
    }

    #[test]
    fn a_resource_policy_names_only_its_resource() {
        let key_policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}, "Action": "kms:Decrypt", "Resource": "*"}]}"#;
        assert_eq!(
            grants(&document_of_kind(key_policy, Some(PolicyKind::Resource)), "kms:Decrypt"),
            [(0, Reach::Named, false)]
        );
    }

    #[test]
    fn ceilings_and_delegation_grant_nothing() {
        let all = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
        assert_eq!(grants(&document(all), "iam:PassRole"), [(0, Reach::Every, true)]);
        assert!(grants(&document_of_kind(all, Some(PolicyKind::ServiceControl)), "iam:PassRole").is_empty());
        let delegation = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}"#;
        assert!(grants(&document(delegation), "kms:Decrypt").is_empty());
    }
}
