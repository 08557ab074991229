//! The permissions-boundary delegation pattern, as the grant model reads it.
//!
//! AWS documents how to let someone create roles and users without letting them exceed
//! their own rights: allow `iam:CreateRole`, `AttachRolePolicy`, `PutRolePolicy` (and the
//! user equivalents) only under an `iam:PermissionsBoundary` condition naming one boundary
//! policy, and keep that boundary out of the delegate's reach (IAM User Guide,
//! "Permissions boundaries for IAM entities", the `DelegatedUserBoundary` example). Every
//! role or user such a grant creates or changes can do at most what the boundary allows.
//! Which actions are bounded, and which ones would free a delegate from the boundary, is
//! data: `rules/packs/boundary-delegation.json`.

use super::{Grant, Subject};
use crate::catalogue::{ActionId, Catalogue, arn, has_wildcard, wildcard_match};
use crate::packs::pack;
use crate::policy::Statement;
use serde::Deserialize;
use std::sync::OnceLock;

/// `rules/packs/boundary-delegation.json`.
#[derive(Deserialize)]
struct Pack {
    key: String,
    bounded: Vec<String>,
    setters: Vec<String>,
    removers: Vec<String>,
    editors: Vec<String>,
}

fn data() -> &'static Pack {
    static PACK_DATA: OnceLock<Pack> = OnceLock::new();
    PACK_DATA.get_or_init(|| pack!("boundary-delegation.json"))
}

/// Whether a permissions-boundary condition can bound a grant of this action (creating
/// or changing the permissions of a role or user).
pub fn is_bounded_action(name: &str) -> bool {
    data().bounded.iter().any(|b| b.eq_ignore_ascii_case(name))
}

impl<'d> Subject<'d> {
    /// The boundary policy a grant of a bounded action is held under: the one policy ARN
    /// its `iam:PermissionsBoundary` condition requires, when this subject cannot remove,
    /// replace or rewrite that boundary. `None` for any other grant.
    pub fn delegation_boundary(&self, grant: &Grant<'d>, action: ActionId, catalogue: &Catalogue) -> Option<String> {
        if !is_bounded_action(&catalogue.action_name(action)) {
            return None;
        }
        let boundary = required_boundary(grant.statement, grant)?;
        self.protects(&boundary, catalogue).then_some(boundary)
    }

    /// Whether nothing this subject is granted frees a role or user from `boundary`: no
    /// action that removes a boundary, no action that sets one except to this boundary,
    /// no action that rewrites a managed policy on the boundary's ARN.
    fn protects(&self, boundary: &str, catalogue: &Catalogue) -> bool {
        let p = data();
        let ids = |names: &'static Vec<String>| names.iter().filter_map(|n| catalogue.lookup(n));
        if ids(&p.removers).any(|a| !self.grants(a, catalogue).is_empty()) {
            return false;
        }
        let other_boundary = |g: &Grant<'_>| required_boundary(g.statement, g).is_none_or(|b| b != boundary);
        if ids(&p.setters).any(|a| self.grants(a, catalogue).iter().any(other_boundary)) {
            return false;
        }
        // No customer can change an AWS managed policy (account `aws`).
        let aws_owned = arn::split(boundary).is_some_and(|[.., account, _]| account == "aws");
        aws_owned || !ids(&p.editors).any(|a| self.allowed_on(a, boundary, catalogue))
    }

    /// Whether some grant of `action` may reach the resource `target` and no
    /// unconditional Deny (of the subject's documents or its ceilings) removes it there.
    fn allowed_on(&self, action: ActionId, target: &str, catalogue: &Catalogue) -> bool {
        let names = |st: &Statement| {
            st.resource
                .as_ref()
                .is_some_and(|r| r.negated != r.values.iter().any(|v| wildcard_match(&v.value, target, false)))
        };
        let granted = self.grants(action, catalogue).iter().any(|g| {
            if g.statement.resource.as_ref().is_some_and(|r| r.negated) {
                names(g.statement)
            } else {
                g.resources.iter().any(|v| wildcard_match(&v.value, target, false))
            }
        });
        let denied = self
            .statements()
            .chain(self.ceiling_statements())
            .any(|(st, rs)| st.is_deny() && !st.is_conditional() && rs.actions.contains(action) && names(st));
        granted && !denied
    }
}

/// The one boundary policy ARN the statement's condition requires on
/// `iam:PermissionsBoundary`: every entry on the key under an operator that requires it
/// names the same single ARN, without a wildcard the operator would read or a policy
/// variable (a value known only at deployment, such as `${AWS::AccountId}`, names one).
fn required_boundary(st: &Statement, grant: &Grant<'_>) -> Option<String> {
    let condition = st.condition.as_ref()?;
    let mut found: Option<String> = None;
    for r in condition.requiring(&data().key) {
        let [value] = r.entry.values.as_slice() else { return None };
        let text = value.value.as_str();
        if r.matches_anything() || (r.wildcards && has_wildcard(text)) {
            return None;
        }
        if text.contains("${") && grant.document.doc.unresolved_at(&value.span).is_none() {
            return None;
        }
        if !arn::split(text).is_some_and(|[.., resource]| resource.starts_with("policy/")) {
            return None;
        }
        match &found {
            Some(f) if f != text => return None,
            _ => found = Some(text.to_string()),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use crate::catalogue::Catalogue;
    use crate::resolve::Subject;
    use crate::testing;

    const BOUNDED: &str = r#"{"Effect": "Allow", "Action": ["iam:CreateRole", "iam:AttachRolePolicy"], "Resource": "*",
        "Condition": {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/Boundary"}}}"#;

    /// The boundary the document's first statement is held under, for `iam:AttachRolePolicy`.
    fn boundary(extra: &str) -> Option<String> {
        let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{BOUNDED}{extra}]}}"#);
        let catalogue = Catalogue::bundled();
        let doc = testing::resolved(&text, None);
        let subject = Subject::document(&doc);
        let action = catalogue.lookup("iam:AttachRolePolicy").unwrap();
        let grants = subject.grants(action, catalogue);
        subject.delegation_boundary(&grants[0], action, catalogue)
    }

    #[test]
    fn one_protected_boundary_holds() {
        assert_eq!(boundary("").as_deref(), Some("arn:aws:iam::111122223333:policy/Boundary"));
        // Editing other policies, or setting this same boundary, keeps it.
        let ok = r#",{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "arn:aws:iam::111122223333:policy/app-*"},
            {"Effect": "Allow", "Action": "iam:PutRolePermissionsBoundary", "Resource": "*",
             "Condition": {"ArnEquals": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/Boundary"}}}"#;
        assert!(boundary(ok).is_some());
        // Rewriting policies on `*` except the boundary, denied on it.
        let denied = r#",{"Effect": "Allow", "Action": "iam:SetDefaultPolicyVersion", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:SetDefaultPolicyVersion", "Resource": "arn:aws:iam::111122223333:policy/Boundary"}"#;
        assert!(boundary(denied).is_some());
    }

    #[test]
    fn an_unprotected_boundary_does_not() {
        for extra in [
            r#",{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}"#,
            r#",{"Effect": "Allow", "Action": "iam:SetDefaultPolicyVersion", "NotResource": "arn:aws:iam::111122223333:user/x"}"#,
            r#",{"Effect": "Allow", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "arn:aws:iam::111122223333:role/x"}"#,
            r#",{"Effect": "Allow", "Action": "iam:PutUserPermissionsBoundary", "Resource": "*"}"#,
            r#",{"Effect": "Allow", "Action": "iam:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}"#,
        ] {
            assert_eq!(boundary(extra), None, "{extra}");
        }
    }

    #[test]
    fn only_one_literal_boundary_counts() {
        for condition in [
            r#"{"StringEqualsIfExists": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/Boundary"}}"#,
            r#"{"StringLike": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/*"}}"#,
            r#"{"StringEquals": {"iam:PermissionsBoundary": ["arn:aws:iam::111122223333:policy/A", "arn:aws:iam::111122223333:policy/B"]}}"#,
            r#"{"StringNotEquals": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/Boundary"}}"#,
            r#"{"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/${aws:username}"}}"#,
        ] {
            let text = format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": "*", "Condition": {condition}}}]}}"#
            );
            let catalogue = Catalogue::bundled();
            let doc = testing::resolved(&text, None);
            let subject = Subject::document(&doc);
            let action = catalogue.lookup("iam:AttachRolePolicy").unwrap();
            let grants = subject.grants(action, catalogue);
            assert!(grants.iter().all(|g| subject.delegation_boundary(g, action, catalogue).is_none()), "{condition}");
        }
    }
}
