use super::{Check, Context, Rule};
use crate::catalogue::model::AccessLevel;
use crate::catalogue::{ActionId, ActionSet, Catalogue};
use crate::diagnostic::Severity;
use crate::diagnostic::{Category, RuleMeta};
use crate::packs::sensitive::{Members, sensitive_actions};
use crate::resolve::Subject;
use crate::resolve::{Reach, StatementGrants};
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "resource-exposure",
        severity: Severity::High,
        category: Category::LeastPrivilege,
        summary: "Permissions management and sharing actions (resource policies, ACLs, grants, shares) allowed on every resource, with no narrowing condition",
        doc: include_str!("../../rules/resource-exposure.md"),
    },
    check: Check::Subject(check),
};

const WHAT: &str = "permissions and sharing actions";

fn check(ctx: &mut Context<'_>, subject: &Subject<'_>) {
    let catalogue = ctx.catalogue;
    let exposure = exposure_actions(subject, catalogue);
    let wanted = |id| exposure.contains(id) || catalogue.action_access(id) == AccessLevel::PermissionsManagement;
    // `is_unrestricted` also keeps grants of `*`-only actions with no narrowing
    // condition: `*` is all they can be granted on, and they still expose
    // (`logs:PutResourcePolicy`, `s3:PutAccountPublicAccessBlock`).
    for found in subject.statement_grants(catalogue, wanted, |g| g.is_unrestricted()) {
        let draft = wording::unscoped(&found, WHAT, catalogue).help(help(&found, catalogue));
        ctx.report(draft);
    }
}

/// The pack's `exposure` actions of the services the document grants (see
/// `packs::Members`).
fn exposure_actions(subject: &Subject<'_>, catalogue: &Catalogue) -> ActionSet {
    Members::of(&sensitive_actions().classes.exposure, &subject.judged_services(catalogue), catalogue).set
}

/// What to write instead: name the resources or narrow them; an action that takes only
/// `*` can only be narrowed by a condition on its own keys.
fn help(found: &StatementGrants<'_>, catalogue: &Catalogue) -> String {
    let mut parts = Vec::new();
    if found.grants.iter().any(|(_, g)| g.reach == Reach::Every) {
        parts.push(
            "name the resources in \"Resource\" (e.g. the bucket \"arn:aws:s3:::my-bucket\", the key \
             \"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\", the role \
             \"arn:aws:iam::111122223333:role/app/*\"), or add a condition that narrows them, such as \
             {\"StringEquals\": {\"aws:ResourceTag/team\": \"${aws:PrincipalTag/team}\"}}"
                .to_string(),
        );
    }
    let (keyed, keyless): (Vec<ActionId>, Vec<ActionId>) = found
        .grants
        .iter()
        .filter(|(_, g)| g.reach == Reach::StarOnly)
        .map(|(id, _)| *id)
        .partition(|id| !own_keys(*id, catalogue).is_empty());
    match keyed.as_slice() {
        [] => {}
        [id] => {
            let name = catalogue.action_name(*id);
            parts.push(format!(
                "`{name}` takes only \"*\": narrow it with a condition on its own keys ({}; \
                 `iamlint action {name}` describes them)",
                shown(&own_keys(*id, catalogue))
            ));
        }
        many => parts.push(format!(
            "{} take only \"*\": narrow them with conditions on their own keys (`iamlint action NAME` lists them)",
            listed(many, catalogue)
        )),
    }
    match keyless.as_slice() {
        [] => {}
        [id] => parts.push(format!(
            "`{}` takes only \"*\" and has no condition key of its own: grant it only to the principal whose job \
             is sharing",
            catalogue.action_name(*id)
        )),
        many => parts.push(format!(
            "{} take only \"*\" and have no condition key of their own: grant them only to the principal whose \
             job is sharing",
            listed(many, catalogue)
        )),
    }
    parts.join("; ")
}

/// The action's condition keys of its own service (`ram:RequestedAllowsExternalPrincipals`),
/// not the global ones (`aws:RequestTag/...` says nothing about what is shared).
fn own_keys(id: ActionId, catalogue: &Catalogue) -> Vec<&str> {
    let prefix = catalogue.prefix(id.service);
    catalogue
        .action(id)
        .keys
        .iter()
        .map(|k| k.as_ref())
        .filter(|k| k.split_once(':').is_some_and(|(p, _)| p.eq_ignore_ascii_case(prefix)))
        .collect()
}

/// `` `a:B`, `a:C`, `a:D` and 2 more ``.
fn listed(ids: &[ActionId], catalogue: &Catalogue) -> String {
    const SHOWN: usize = 3;
    let mut out =
        ids.iter().take(SHOWN).map(|id| format!("`{}`", catalogue.action_name(*id))).collect::<Vec<_>>().join(", ");
    if ids.len() > SHOWN {
        out.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    out
}

/// Up to four keys, then `...`.
fn shown(keys: &[&str]) -> String {
    const SHOWN: usize = 4;
    let mut out = keys.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ");
    if keys.len() > SHOWN {
        out.push_str(", ...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::ResolvedDocument;
    use crate::testing;

    fn document(statements: &str) -> ResolvedDocument {
        testing::resolved(&testing::policy(statements), None)
    }

    fn names(set: &ActionSet) -> Vec<String> {
        let catalogue = Catalogue::bundled();
        set.iter(catalogue).map(|id| catalogue.action_name(id)).collect()
    }

    #[test]
    fn exposure_actions_only_of_granted_services() {
        let catalogue = Catalogue::bundled();
        let doc = document(
            r#"{"Effect": "Allow", "Action": ["ram:*", "ec2:Describe*"], "Resource": "*"},
               {"Effect": "Deny", "Action": "rds:*", "Resource": "*"}"#,
        );
        let set = exposure_actions(&Subject::document(&doc), catalogue);
        assert_eq!(
            names(&set),
            [
                "ec2:ModifyFpgaImageAttribute",
                "ec2:ModifyImageAttribute",
                "ram:AssociateResourceShare",
                "ram:CreateResourceShare",
                "ram:UpdateResourceShare"
            ],
            "ec2 is granted (Describe*): its pack actions are looked up; rds is only denied"
        );
    }

    #[test]
    fn every_action_statement_looks_nothing_up() {
        let catalogue = Catalogue::bundled();
        let doc = document(r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#);
        assert!(exposure_actions(&Subject::document(&doc), catalogue).is_empty());
    }

    #[test]
    fn own_keys_leave_global_keys_out() {
        let catalogue = Catalogue::bundled();
        let share = catalogue.lookup("ram:CreateResourceShare").unwrap();
        let keys = own_keys(share, catalogue);
        assert!(keys.contains(&"ram:RequestedAllowsExternalPrincipals"));
        assert!(keys.iter().all(|k| k.starts_with("ram:")), "{keys:?}");
        assert!(own_keys(catalogue.lookup("omics:CreateShare").unwrap(), catalogue).is_empty());
        assert_eq!(shown(&["a:B", "a:C"]), "a:B, a:C");
        assert_eq!(shown(&["a:B", "a:C", "a:D", "a:E", "a:F"]), "a:B, a:C, a:D, a:E, ...");
    }
}
