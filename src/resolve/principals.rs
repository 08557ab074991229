//! The principals of one file, as rules that follow one principal to another see them
//! (target-aware escalation: whom can this role pass, assume, or take over?).
//!
//! A rule judges one subject at a time; who a grant reaches is a question about the
//! other principals of the same file. The engine builds this view once per file, holding
//! each principal's subject (the same one the rules judge, so the grant model's memo is
//! shared), its trust policy and facts worked out at most once per principal (whether it
//! is an administrator, whether it can escalate), and hands it to every rule read-only
//! through the rule context. Computing the facts lazily keeps a file whose principals
//! nobody reaches from paying for them.

use super::{ResolvedDocument, Subject};
use crate::catalogue::{Catalogue, arn, wildcard_match};
use crate::diagnostic::PrincipalRef;
use crate::policy::{Principal, Statement};
use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};

/// One principal of the file.
pub struct Member<'d> {
    pub principal: &'d PrincipalRef,
    pub subject: Subject<'d>,
    pub trust: Option<&'d ResolvedDocument>,
    admin: OnceCell<bool>,
    escalates: OnceCell<bool>,
    /// Whom its trust policy admits, read once: every principal of a dump asks it of
    /// every role.
    admits: OnceCell<Admits>,
    /// The roles it can assume, as the first caller works them out (`assumable`).
    assumable: OnceCell<Vec<usize>>,
}

/// The Principal entries of a trust policy's Allows of `sts:AssumeRole`.
#[derive(Default)]
struct Admits {
    /// `Principal: "*"`, or `{"AWS": "*"}`.
    any_aws: bool,
    /// `AWS` values as written.
    aws: HashSet<String>,
    /// The accounts `AWS` values name as a whole: the values themselves (`123456789012`)
    /// and the accounts of `...:root` ARNs.
    accounts: HashSet<String>,
    /// `Principal: "*"`, or `{"Service": "*"}`.
    any_service: bool,
    /// `Service` values, lower-cased, without `.amazonaws.com` and what follows.
    services: Vec<String>,
}

/// A question `Principals::matching` was asked: a kind and the patterns.
type Asked = (String, Vec<String>);

/// Every principal of one file.
#[derive(Default)]
pub struct Principals<'d> {
    /// The principals are every user, group and role of an account (an authorization
    /// dump): what a grant reaches in that account is among them, so "reaches nobody more
    /// privileged" can be said.
    pub whole_account: bool,
    members: Vec<Member<'d>>,
    /// `matching`'s answers: every principal of a dump asks about the same few patterns
    /// (`*`, a path's role prefix), each answer a pass over every member.
    matched: RefCell<HashMap<Asked, Vec<usize>>>,
}

impl<'d> Principals<'d> {
    pub fn new(whole_account: bool) -> Principals<'d> {
        Principals { whole_account, members: Vec::new(), matched: RefCell::default() }
    }

    pub fn push(&mut self, principal: &'d PrincipalRef, subject: Subject<'d>, trust: Option<&'d ResolvedDocument>) {
        self.matched.get_mut().clear();
        self.members.push(Member {
            principal,
            subject,
            trust,
            admin: OnceCell::new(),
            escalates: OnceCell::new(),
            admits: OnceCell::new(),
            assumable: OnceCell::new(),
        });
    }

    pub fn members(&self) -> &[Member<'d>] {
        &self.members
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn get(&self, i: usize) -> &Member<'d> {
        &self.members[i]
    }

    /// The index of the member a subject is about.
    pub fn index_of(&self, principal: &PrincipalRef) -> Option<usize> {
        self.members.iter().position(|m| std::ptr::eq(m.principal, principal))
    }

    /// The members of `kind` (`role`, `user`, `group`) whose ARN one of `patterns`
    /// matches (IAM wildcards; a principal without an ARN is never matched).
    pub fn matching(&self, kind: &str, patterns: &[&str]) -> Vec<usize> {
        let key = (kind.to_string(), patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>());
        if let Some(found) = self.matched.borrow().get(&key) {
            return found.clone();
        }
        let found: Vec<usize> = (0..self.members.len())
            .filter(|&i| {
                let p = self.members[i].principal;
                p.kind == kind
                    && !p.arn.is_empty()
                    && patterns.iter().any(|pattern| wildcard_match(pattern, &p.arn, true))
            })
            .collect();
        self.matched.borrow_mut().insert(key, found.clone());
        found
    }

    /// Whether member `i` can do everything: an unconditional Allow of every action on
    /// `*` among its policies, not bounded by a ceiling that lacks one.
    pub fn is_admin(&self, i: usize, catalogue: &Catalogue) -> bool {
        let m = &self.members[i];
        *m.admin.get_or_init(|| m.subject.is_admin(catalogue))
    }

    /// Whether member `i` can escalate on its own, as the caller judges it; worked out
    /// once per member (the first caller's judgement is kept).
    pub fn escalates(&self, i: usize, judge: impl FnOnce(&Subject<'d>) -> bool) -> bool {
        let m = &self.members[i];
        *m.escalates.get_or_init(|| judge(&m.subject))
    }

    /// The members member `i` can assume, as `find` works them out from its grants; worked
    /// out once per member (the first caller's answer is kept): following role chains, every
    /// principal of a dump that reaches a role asks whom that role reaches in turn.
    pub fn assumable(&self, i: usize, find: impl FnOnce(&Member<'d>) -> Vec<usize>) -> &[usize] {
        let m = &self.members[i];
        m.assumable.get_or_init(|| find(m))
    }

    /// Whether role `role`'s trust policy lets `caller` assume it: an Allow of
    /// `sts:AssumeRole` naming the caller's ARN, its account (`123456789012`,
    /// `arn:aws:iam::123456789012:root`) or `*`. Conditions are taken to be met: a
    /// condition the caller can satisfy does not stop it.
    pub fn trusts(&self, role: usize, caller: &PrincipalRef) -> bool {
        let Some(admits) = self.admits(role) else { return false };
        admits.any_aws
            || admits.aws.contains(&caller.arn)
            || account_of(&caller.arn).is_some_and(|a| admits.accounts.contains(a))
    }

    /// Whether role `role`'s trust policy lets a service whose principal name contains
    /// one of `services` (`ec2`, `ecs-tasks`) assume it. A role without a trust policy in
    /// the file is taken to trust it.
    pub fn trusts_service(&self, role: usize, services: &[&str]) -> bool {
        let Some(admits) = self.admits(role) else { return true };
        if admits.any_service || admits.services.is_empty() {
            return admits.any_service;
        }
        let services: Vec<String> = services.iter().map(|s| s.to_ascii_lowercase()).collect();
        admits.services.iter().any(|name| services.iter().any(|s| name.contains(s.as_str())))
    }

    /// What member `i`'s trust policy admits; `None` without one.
    fn admits(&self, i: usize) -> Option<&Admits> {
        let m = &self.members[i];
        let trust = m.trust?;
        Some(m.admits.get_or_init(|| {
            let mut admits = Admits::default();
            assumes(trust, |kind, value| match kind {
                "AWS" => {
                    admits.any_aws |= value == "*";
                    admits.aws.insert(value.to_string());
                    admits.accounts.insert(value.to_string());
                    if value.ends_with(":root")
                        && let Some(account) = account_of(value)
                    {
                        admits.accounts.insert(account.to_string());
                    }
                }
                "Service" => {
                    let value = value.to_ascii_lowercase();
                    admits.any_service |= value == "*";
                    admits.services.push(value.split(".amazonaws.com").next().unwrap_or(&value).to_string());
                }
                _ => {}
            });
            admits
        }))
    }
}

/// The account id of an ARN (`arn:aws:iam::123456789012:role/x` -> `123456789012`).
pub fn account_of(value: &str) -> Option<&str> {
    match arn::split(value) {
        Some([_, _, _, account, _]) if !account.is_empty() => Some(account),
        _ => None,
    }
}

/// Hands `note` every Principal entry `(kind, value)` of a trust policy's Allows of
/// `sts:AssumeRole`; `Principal: "*"` is `("AWS", "*")` and `("Service", "*")`.
fn assumes(trust: &ResolvedDocument, mut note: impl FnMut(&str, &str)) {
    let assume = |st: &Statement| {
        st.action.as_ref().is_some_and(|a| {
            !a.negated
                && a.values.iter().any(|v| {
                    let v = v.value.to_ascii_lowercase();
                    v == "*" || wildcard_match(&v, "sts:assumerole", true)
                })
        })
    };
    for (st, _) in trust.statements() {
        if !st.is_allow() || !assume(st) {
            continue;
        }
        let Some(block) = st.principal.as_ref().filter(|b| !b.negated) else { continue };
        match &block.principal {
            Principal::Wildcard(_) => {
                note("AWS", "*");
                note("Service", "*");
            }
            Principal::Map(entries) => {
                for e in entries {
                    for v in &e.values {
                        note(&e.kind.value, &v.value);
                    }
                }
            }
        }
    }
}
