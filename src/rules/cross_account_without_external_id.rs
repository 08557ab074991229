use super::{Check, Context, Rule};
use crate::catalogue::arn;
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::{PolicyKind, Principal, Statement};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "cross-account-without-external-id",
        severity: Severity::Medium,
        category: Category::Trust,
        summary: "trust policy lets another account assume the role without an `sts:ExternalId` condition",
        doc: include_str!("../../rules/cross-account-without-external-id.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    let settings = ctx.settings;
    let Some(assume_role) = catalogue.lookup("sts:AssumeRole") else { return };
    for resolved in documents {
        if resolved.doc.kind != PolicyKind::Trust {
            continue;
        }
        for (st, rs) in resolved.statements() {
            if !st.is_allow() || !rs.actions.contains(assume_role) || has_external_id(st) {
                continue;
            }
            let Some(block) = st.principal.as_ref().filter(|p| !p.negated) else { continue };
            let Principal::Map(entries) = &block.principal else { continue };
            // Service and federated principals are other rules' concern.
            for value in entries.iter().filter(|e| e.kind.value == "AWS").flat_map(|e| &e.values) {
                let Some(account) = third_party_account(&value.value, &settings.known_accounts) else { continue };
                let mut draft = Draft::new(
                    value.span.clone(),
                    format!("account {account} may assume this role without an `sts:ExternalId` condition"),
                )
                .label(format!("principal in account {account}"))
                .note(
                    "if this account is a third party acting for several customers, any of them can have it \
                     assume this role by naming its ARN (the confused-deputy problem); a secret external id the \
                     third party gives you stops that",
                )
                .help(format!(
                    "add \"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": \"...\"}}}} with the id the third \
                     party gives you, or pass `--known-accounts {account}` if the account is your own"
                ))
                .locator(resolved.doc.locator.clone())
                .in_statement(st)
                .actions(vec!["sts:AssumeRole".to_string()]);
                if let Some(action) = &st.action {
                    draft = draft.also(action.span.clone(), "allows `sts:AssumeRole`");
                }
                ctx.report(draft);
            }
        }
    }
}

/// Any condition on `sts:ExternalId`, whatever the operator: how it is tested is not
/// this rule's concern.
fn has_external_id(st: &Statement) -> bool {
    st.condition.as_ref().is_some_and(|c| c.entries().any(|(_, e)| e.key.value.eq_ignore_ascii_case("sts:ExternalId")))
}

/// The account an AWS principal belongs to, when it is an account id, an account root or
/// a role/user ARN (`arn:aws:iam::111122223333:role/x`, `arn:aws:sts::...:assumed-role/..`)
/// of an account not listed in `known`.
fn third_party_account<'a>(principal: &'a str, known: &[String]) -> Option<&'a str> {
    let account = if principal.starts_with("arn:") {
        let [_, "iam" | "sts", "", account, resource] = arn::split(principal)? else { return None };
        if resource.is_empty() {
            return None;
        }
        account
    } else {
        principal
    };
    let is_id = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (is_id && !known.iter().any(|k| k == account)).then_some(account)
}

#[cfg(test)]
mod tests {
    use super::third_party_account;

    #[test]
    fn accounts_of_principals() {
        let none: Vec<String> = Vec::new();
        assert_eq!(third_party_account("444455556666", &none), Some("444455556666"));
        assert_eq!(third_party_account("arn:aws:iam::444455556666:root", &none), Some("444455556666"));
        assert_eq!(third_party_account("arn:aws-cn:iam::444455556666:role/deploy", &none), Some("444455556666"));
        assert_eq!(third_party_account("arn:aws:iam::444455556666:user/ci", &none), Some("444455556666"));
        assert_eq!(
            third_party_account("arn:aws:sts::444455556666:assumed-role/r/session", &none),
            Some("444455556666")
        );
        assert_eq!(third_party_account("*", &none), None);
        assert_eq!(third_party_account("44445555666", &none), None);
        assert_eq!(third_party_account("arn:aws:iam::444455556666:", &none), None);
        assert_eq!(third_party_account("arn:aws:s3:::bucket", &none), None);
        assert_eq!(third_party_account("AROAEXAMPLEID", &none), None);
    }

    #[test]
    fn known_accounts_are_not_third_parties() {
        let known = vec!["111122223333".to_string()];
        assert_eq!(third_party_account("arn:aws:iam::111122223333:root", &known), None);
        assert_eq!(third_party_account("111122223333", &known), None);
        assert_eq!(third_party_account("arn:aws:iam::111122223333:role/ci", &known), None);
        assert_eq!(third_party_account("arn:aws:iam::444455556666:root", &known), Some("444455556666"));
    }
}
