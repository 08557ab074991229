//! PassRole analysis shared by `passrole-unscoped` and
//! `passrole-without-service-condition`: which statements grant `iam:PassRole`, on which
//! roles, and what their conditions limit.

use crate::catalogue::arn;
use crate::catalogue::{ActionId, Catalogue, has_wildcard};
use crate::policy::{ConditionEntry, Statement, ValueList};
use crate::resolve::types::{self, TypeReach};
use crate::resolve::{Grantor, Reach, ResolvedStatement, Subject};
use crate::source::Spanned;

pub const PASS_ROLE: &str = "iam:PassRole";

/// One Allow statement that grants `iam:PassRole` on at least one role, and how its
/// Resource and Condition scope the roles. Shared with passrole-without-service-condition,
/// which reports the statements this rule does not.
pub struct PassRoleGrant<'a> {
    /// The Action values (or the `NotAction` key) that grant `iam:PassRole`.
    pub grantors: Vec<Grantor>,
    /// Resource values that match more than named roles.
    pub broad: Vec<(&'a Spanned<String>, RoleScope)>,
    /// Resource values that name roles.
    pub named: Vec<&'a Spanned<String>>,
    /// A `NotResource` that leaves roles granted.
    pub not_resource: Option<&'a ValueList>,
    /// A condition on the role's tags restricts which roles can be passed.
    pub scoped_by_tag: bool,
    /// `iam:PassedToService` / `iam:AssociatedResourceArn` entries: they restrict where
    /// a role goes, not which role.
    pub service_limits: Vec<&'a ConditionEntry>,
    /// The statement has an `iam:PassedToService` key.
    pub passed_to_service: bool,
    /// Tag conditions whose operator does not limit the roles (`StringEqualsIfExists`).
    pub loose_tags: Vec<(&'a str, &'a ConditionEntry)>,
}

impl PassRoleGrant<'_> {
    /// Whether passrole-unscoped reports the statement.
    pub fn is_unscoped(&self) -> bool {
        !self.scoped_by_tag && (!self.broad.is_empty() || self.not_resource.is_some())
    }
}

/// Every Allow statement of the subject that grants `iam:PassRole` on at least one role.
pub fn pass_role_grants<'a>(subject: &Subject<'a>, catalogue: &Catalogue) -> Vec<(&'a Statement, PassRoleGrant<'a>)> {
    let mut out = Vec::new();
    let Some(iam) = catalogue.find_service("iam") else { return out };
    // Looking PassRole up parses the iam service: only do it for subjects that grant some of it.
    if !subject.statements().any(|(_, rs)| rs.actions.services().any(|s| s == iam)) {
        return out;
    }
    let Some(pass_role) = catalogue.lookup(PASS_ROLE) else { return out };
    let role_arns = types::formats(catalogue, iam, &["role"]);
    // A statement full-admin reports is left to it.
    for (st, rs) in subject.judged_statements(catalogue) {
        if rs.actions.contains(pass_role)
            && not_denied(subject, st, rs, pass_role, catalogue)
            && let Some(grant) = grant(st, rs, pass_role, &role_arns)
        {
            out.push((st, grant));
        }
    }
    out
}

/// Whether the subject's unconditional Denies leave the statement's `iam:PassRole` on
/// more than named roles (the effective-grant model: a Deny of it on every role removes
/// it, a Deny with `NotResource` confines it to the roles listed).
fn not_denied(
    subject: &Subject<'_>,
    st: &Statement,
    rs: &ResolvedStatement,
    id: ActionId,
    catalogue: &Catalogue,
) -> bool {
    subject.grant(st, rs, id, catalogue).is_some_and(|g| g.confined_by.is_none() || g.reach != Reach::Named)
}

fn grant<'a>(
    st: &'a Statement,
    rs: &'a ResolvedStatement,
    pass_role: ActionId,
    role_arns: &[&str],
) -> Option<PassRoleGrant<'a>> {
    let resource = st.resource.as_ref()?;
    let mut grant = PassRoleGrant {
        grantors: rs.grantors(st, pass_role),
        broad: Vec::new(),
        named: Vec::new(),
        not_resource: None,
        scoped_by_tag: false,
        service_limits: Vec::new(),
        passed_to_service: false,
        loose_tags: Vec::new(),
    };
    match types::reach(resource, role_arns)? {
        TypeReach::AllBut(list) => grant.not_resource = Some(list),
        TypeReach::Values(values) => {
            for value in values {
                match role_scope(&value.value) {
                    RoleScope::Named => grant.named.push(value),
                    scope => grant.broad.push((value, scope)),
                }
            }
        }
    }
    if let Some(condition) = &st.condition {
        for (op, entry) in condition.entries() {
            let key = entry.key.value.to_ascii_lowercase();
            if key == "iam:passedtoservice" {
                // `"StringLike": {"iam:PassedToService": "*"}` names no service.
                grant.passed_to_service |= !entry.matches_any_value(&op.name.value);
                grant.service_limits.push(entry);
            } else if key == "iam:associatedresourcearn" {
                grant.service_limits.push(entry);
            } else if key.starts_with("aws:resourcetag/") || key.starts_with("iam:resourcetag/") {
                if op.requires_key() && !entry.matches_any_value(&op.name.value) {
                    grant.scoped_by_tag = true;
                } else {
                    grant.loose_tags.push((&op.name.value, entry));
                }
            }
        }
    }
    Some(grant)
}

/// Which roles a Resource value lets `iam:PassRole` pass.
#[derive(Debug, Clone, PartialEq)]
pub enum RoleScope {
    /// Names a role: its name has no wildcard, whatever the account or path say (role
    /// names are unique in an account, whatever their path).
    Named,
    /// Every role, or every role of one account.
    Every { account: Option<String> },
    /// Every role under a path (`role/service-role/*`).
    Path { account: Option<String>, path: String },
    /// Roles whose name matches a pattern (`role/app-*`).
    Pattern { account: Option<String>, name: String },
}

impl RoleScope {
    /// `every role whose name starts with `app-``.
    pub fn roles(&self) -> String {
        match self {
            RoleScope::Named => "the named role".to_string(),
            RoleScope::Every { account: None } => "every role".to_string(),
            RoleScope::Every { account: Some(a) } => format!("every role in account {a}"),
            RoleScope::Path { path, .. } => format!("every role under the path `/{path}/`"),
            RoleScope::Pattern { name, .. } => {
                let name = collapse_stars(name);
                let inner = name.strip_prefix('*').and_then(|n| n.strip_suffix('*'));
                match (inner, name.strip_suffix('*'), name.strip_prefix('*')) {
                    (Some(x), _, _) if !x.is_empty() && !has_wildcard(x) => {
                        format!("every role whose name contains `{x}`")
                    }
                    (_, Some(x), _) if !has_wildcard(x) => format!("every role whose name starts with `{x}`"),
                    (_, _, Some(x)) if !has_wildcard(x) => format!("every role whose name ends with `{x}`"),
                    _ => format!("every role named like `{name}`"),
                }
            }
        }
    }

    /// A role ARN to write instead, keeping what the value already fixes.
    pub fn example(&self, value: &str) -> String {
        let (account, path, name) = match self {
            RoleScope::Every { account } => (account, String::new(), "NAME".to_string()),
            RoleScope::Path { account, path } => (account, format!("{path}/"), "NAME".to_string()),
            RoleScope::Pattern { account, name } if value.contains("**") => {
                (account, String::new(), name.replace('*', ""))
            }
            RoleScope::Pattern { account, .. } => (account, String::new(), "NAME".to_string()),
            RoleScope::Named => return value.to_string(),
        };
        format!("arn:aws:iam::{}:role/{path}{name}", account.as_deref().unwrap_or("ACCOUNT"))
    }
}

fn collapse_stars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == '*' && out.ends_with('*')) {
            out.push(c);
        }
    }
    out
}

/// Which roles `value`, a Resource value that may name a role (`types::reach`), matches.
pub fn role_scope(value: &str) -> RoleScope {
    if !has_wildcard(value) {
        return RoleScope::Named;
    }
    let fields = arn::split(value);
    let account = fields.map(|f| f[3]).filter(|a| !a.is_empty() && !has_wildcard(a)).map(str::to_string);
    // Fewer fields, or a resource part such as `*` or `ro*`: a wildcard spans the name.
    let Some(rest) = fields.and_then(|f| f[4].strip_prefix("role/")) else {
        return RoleScope::Every { account };
    };
    let (path, name) = rest.rsplit_once('/').unwrap_or(("", rest));
    if !has_wildcard(name) {
        RoleScope::Named
    } else if !name.chars().all(|c| c == '*') {
        RoleScope::Pattern { account, name: name.to_string() }
    } else if path.is_empty() || has_wildcard(path) {
        RoleScope::Every { account }
    } else {
        RoleScope::Path { account, path: path.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";

    #[test]
    fn role_scopes() {
        let scope = role_scope;
        assert_eq!(scope("*"), RoleScope::Every { account: None });
        assert_eq!(scope("arn:aws:iam::*:role/*"), RoleScope::Every { account: None });
        assert_eq!(
            scope("arn:aws:iam::123456789012:role/*"),
            RoleScope::Every { account: Some("123456789012".into()) }
        );
        assert_eq!(scope("arn:*:iam::*:*"), RoleScope::Every { account: None });
        assert_eq!(scope("arn:aws:iam::*:role/deployer"), RoleScope::Named);
        assert_eq!(scope("arn:aws:iam::*:role/*/deployer"), RoleScope::Named);
        assert!(!types::names_type("arn:aws:s3:::bucket/*", &[ROLE]), "names no role");
        assert_eq!(
            scope("arn:aws:iam::1:role/service-role/*"),
            RoleScope::Path { account: Some("1".into()), path: "service-role".into() }
        );
        let pattern = scope("arn:aws:iam::*:role/**my-role**");
        assert_eq!(pattern, RoleScope::Pattern { account: None, name: "**my-role**".into() });
        assert_eq!(pattern.roles(), "every role whose name contains `my-role`");
        assert_eq!(pattern.example("arn:aws:iam::*:role/**my-role**"), "arn:aws:iam::ACCOUNT:role/my-role");
        assert_eq!(scope("arn:aws:iam::1:role/app-*").roles(), "every role whose name starts with `app-`");
        assert_eq!(scope("arn:aws:iam::1:role/app-?").roles(), "every role named like `app-?`");
    }
}
