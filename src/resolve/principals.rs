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
use std::cell::OnceCell;

/// One principal of the file.
pub struct Member<'d> {
    pub principal: &'d PrincipalRef,
    pub subject: Subject<'d>,
    pub trust: Option<&'d ResolvedDocument>,
    admin: OnceCell<bool>,
    escalates: OnceCell<bool>,
}

/// Every principal of one file.
#[derive(Default)]
pub struct Principals<'d> {
    /// The principals are every user, group and role of an account (an authorization
    /// dump): what a grant reaches in that account is among them, so "reaches nobody more
    /// privileged" can be said.
    pub whole_account: bool,
    members: Vec<Member<'d>>,
}

impl<'d> Principals<'d> {
    pub fn new(whole_account: bool) -> Principals<'d> {
        Principals { whole_account, members: Vec::new() }
    }

    pub fn push(&mut self, principal: &'d PrincipalRef, subject: Subject<'d>, trust: Option<&'d ResolvedDocument>) {
        self.members.push(Member { principal, subject, trust, admin: OnceCell::new(), escalates: OnceCell::new() });
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
        (0..self.members.len())
            .filter(|&i| {
                let p = self.members[i].principal;
                p.kind == kind
                    && !p.arn.is_empty()
                    && patterns.iter().any(|pattern| wildcard_match(pattern, &p.arn, true))
            })
            .collect()
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

    /// Whether role `role`'s trust policy lets `caller` assume it: an Allow of
    /// `sts:AssumeRole` naming the caller's ARN, its account (`123456789012`,
    /// `arn:aws:iam::123456789012:root`) or `*`. Conditions are taken to be met: a
    /// condition the caller can satisfy does not stop it.
    pub fn trusts(&self, role: usize, caller: &PrincipalRef) -> bool {
        let Some(trust) = self.members[role].trust else { return false };
        let account = account_of(&caller.arn);
        assumes(trust, |kind, value| {
            kind == "AWS"
                && (value == "*"
                    || value == caller.arn
                    || account.is_some_and(|a| value == a || account_of(value) == Some(a) && value.ends_with(":root")))
        })
    }

    /// Whether role `role`'s trust policy lets a service whose principal name contains
    /// one of `services` (`ec2`, `ecs-tasks`) assume it. A role without a trust policy in
    /// the file is taken to trust it.
    pub fn trusts_service(&self, role: usize, services: &[&str]) -> bool {
        let Some(trust) = self.members[role].trust else { return true };
        assumes(trust, |kind, value| {
            let value = value.to_ascii_lowercase();
            let name = value.split(".amazonaws.com").next().unwrap_or(&value);
            kind == "Service" && (value == "*" || services.iter().any(|s| name.contains(&s.to_ascii_lowercase())))
        })
    }
}

/// The account id of an ARN (`arn:aws:iam::123456789012:role/x` -> `123456789012`).
pub fn account_of(value: &str) -> Option<&str> {
    match arn::split(value) {
        Some([_, _, _, account, _]) if !account.is_empty() => Some(account),
        _ => None,
    }
}

/// Whether a trust policy has an Allow of `sts:AssumeRole` whose Principal admits an
/// entry `(kind, value)`.
fn assumes(trust: &ResolvedDocument, admits: impl Fn(&str, &str) -> bool) -> bool {
    let assume = |st: &Statement| {
        st.action.as_ref().is_some_and(|a| {
            !a.negated
                && a.values.iter().any(|v| {
                    let v = v.value.to_ascii_lowercase();
                    v == "*" || wildcard_match(&v, "sts:assumerole", true)
                })
        })
    };
    trust.statements().any(|(st, _)| {
        st.is_allow()
            && assume(st)
            && st.principal.as_ref().is_some_and(|block| {
                !block.negated
                    && match &block.principal {
                        Principal::Wildcard(_) => true,
                        Principal::Map(entries) => {
                            entries.iter().any(|e| e.values.iter().any(|v| admits(&e.kind.value, &v.value)))
                        }
                    }
            })
    })
}
