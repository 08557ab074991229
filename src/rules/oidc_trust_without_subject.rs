use super::{Check, Context, Rule};
use crate::catalogue::{arn, has_wildcard};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::{ConditionEntry, ConditionOperator, Principal, Restriction, Statement};
use crate::rules::shared::wording;
use crate::source::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "oidc-trust-without-subject",
        severity: Severity::Critical,
        category: Category::Trust,
        summary: "Web identity trust without a condition on the token's subject: anyone the OIDC provider issues a token to can assume the role",
        doc: include_str!("../../rules/oidc-trust-without-subject.md"),
    },
    check: Check::Document(check),
};

const ASSUME: &str = "sts:AssumeRoleWithWebIdentity";
const GITHUB: &str = "token.actions.githubusercontent.com";
const COGNITO: &str = "cognito-identity.amazonaws.com";

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let Some(assume) = ctx.catalogue.lookup(ASSUME) else { return };
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            if !st.is_allow() || !resolved.doc.grants_access(st) || !rs.actions.contains(assume) {
                continue;
            }
            let Some(block) = st.principal.as_ref().filter(|p| !p.negated) else { continue };
            let Principal::Map(entries) = &block.principal else { continue };
            for value in entries.iter().filter(|e| e.kind.value == "Federated").flat_map(|e| &e.values) {
                let Some(provider) = provider(&value.value) else { continue };
                for draft in findings(st, provider, &value.span) {
                    ctx.report(draft.in_statement(st).actions(vec![ASSUME.to_string()]));
                }
            }
        }
    }
}

/// The provider host and path a `Federated` principal names, as its condition keys
/// are spelt: `arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ID`
/// gives `oidc.eks.eu-west-1.amazonaws.com/id/ID`; the built-in providers are named by
/// their bare host (`cognito-identity.amazonaws.com`). `None` for SAML providers.
fn provider(principal: &str) -> Option<&str> {
    if !principal.starts_with("arn:") {
        return (principal.contains('.') && !principal.contains(':') && !principal.contains('*')).then_some(principal);
    }
    let [_, "iam", "", _, resource] = arn::split(principal)? else { return None };
    resource.strip_prefix("oidc-provider/").filter(|p| !p.is_empty())
}

/// The claim that says who may assume the role. A Cognito identity pool's `aud` is the
/// pool id (its `sub` is an identity id the pool hands out to anyone, guests included);
/// Login with Amazon and Facebook name the application in `app_id`.
fn subject_claim(host: &str) -> &'static str {
    if host.eq_ignore_ascii_case(COGNITO) {
        "aud"
    } else if host.eq_ignore_ascii_case("graph.facebook.com") || host.eq_ignore_ascii_case("www.amazon.com") {
        "app_id"
    } else {
        "sub"
    }
}

/// The entries of `key` whose operator requires it (`Condition::requiring`).
fn restrictions<'s>(st: &'s Statement, key: &str) -> Vec<Restriction<'s>> {
    st.condition.as_ref().map(|c| c.requiring(key)).unwrap_or_default()
}

/// The entries of `key` whose operator does not require it.
fn ignored<'s>(st: &'s Statement, key: &str) -> Vec<(&'s ConditionOperator, &'s ConditionEntry)> {
    st.condition.as_ref().map(|c| c.not_requiring(key)).unwrap_or_default()
}

/// `acme` in `repo:acme/*`.
fn owner(value: &str) -> &str {
    let rest = value.strip_prefix("repo:").unwrap_or(value);
    rest.split('/').next().unwrap_or(rest)
}

/// How far a GitHub Actions `sub` value reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    /// One repository (`repo:ORG/REPO:*`, `repo:ORG/REPO:ref:refs/heads/main`).
    Repository,
    /// Every repository of one owner (`repo:ORG/*`).
    Owner,
    /// Any repository of anyone on GitHub (`repo:*`, `*`).
    Anyone,
}

/// GitHub's subject is `repo:OWNER/REPO:<context>`; a wildcard in the owner or the
/// repository name lets workflows of other repositories assume the role.
fn reach(value: &str, wildcards: bool) -> Reach {
    if !wildcards {
        return Reach::Repository;
    }
    let Some(rest) = value.strip_prefix("repo:") else {
        return if value.starts_with(['*', '?']) { Reach::Anyone } else { Reach::Repository };
    };
    let Some((owner, after)) = rest.split_once('/') else {
        return if has_wildcard(rest) { Reach::Anyone } else { Reach::Repository };
    };
    if has_wildcard(owner) {
        return Reach::Anyone;
    }
    let repository = after.split(':').next().unwrap_or_default();
    if has_wildcard(repository) { Reach::Owner } else { Reach::Repository }
}

/// The condition to write for this provider.
fn help(host_path: &str) -> String {
    let host = host_path.split('/').next().unwrap_or_default();
    if host.eq_ignore_ascii_case(GITHUB) {
        format!(
            "add \"Condition\": {{\"StringEquals\": {{\"{GITHUB}:aud\": \"sts.amazonaws.com\"}}, \"StringLike\": \
             {{\"{GITHUB}:sub\": \"repo:ORG/REPO:ref:refs/heads/main\"}}}}"
        )
    } else if host.to_ascii_lowercase().starts_with("oidc.eks.") {
        format!(
            "add \"Condition\": {{\"StringEquals\": {{\"{host_path}:sub\": \"system:serviceaccount:NAMESPACE:NAME\", \
             \"{host_path}:aud\": \"sts.amazonaws.com\"}}}}"
        )
    } else if host.eq_ignore_ascii_case(COGNITO) {
        format!(
            "add \"Condition\": {{\"StringEquals\": {{\"{COGNITO}:aud\": \"REGION:IDENTITY-POOL-ID\"}}, \
             \"ForAnyValue:StringLike\": {{\"{COGNITO}:amr\": \"authenticated\"}}}}"
        )
    } else if subject_claim(host) == "app_id" {
        format!("add \"Condition\": {{\"StringEquals\": {{\"{host_path}:app_id\": \"APP-ID\"}}}}")
    } else {
        format!(
            "add \"Condition\": {{\"StringEquals\": {{\"{host_path}:aud\": \"CLIENT-ID\", \"{host_path}:sub\": \
             \"SUBJECT\"}}}}"
        )
    }
}

/// The findings for one `Federated` provider (underlined at `span`) of a statement.
fn findings(st: &Statement, host_path: &str, span: &Span) -> Vec<Draft> {
    let host = host_path.split('/').next().unwrap_or_default();
    let claim = subject_claim(host);
    let key = format!("{host_path}:{claim}");
    let subject = restrictions(st, &key);
    let restricting: Vec<&Restriction<'_>> = subject.iter().filter(|r| !r.matches_anything()).collect();
    let mut out = Vec::new();
    if restricting.is_empty() {
        let accepted = format!("every token `{host_path}` issues is accepted");
        let mut draft = match (subject.first(), ignored(st, &key).first()) {
            (Some(r), _) => Draft::new(
                span.clone(),
                format!("any identity of `{host_path}` can assume the role: `{key}` is only matched against `*`"),
            )
            .label(accepted)
            .also(r.entry.key.span.clone(), format!("`{}` matches every value", r.op.name.value)),
            (None, Some((op, entry))) => Draft::new(
                span.clone(),
                format!("any identity of `{host_path}` can assume the role: `{key}` is not required to match"),
            )
            .label(accepted)
            .also(entry.key.span.clone(), wording::why_ignored(&op.name.value, "token")),
            (None, None) => Draft::new(
                span.clone(),
                format!("any identity of `{host_path}` can assume the role: no condition on `{key}`"),
            )
            .label(accepted),
        };
        draft = draft.help(help(host_path));
        out.push(draft);
        return out;
    }
    if host.eq_ignore_ascii_case(GITHUB) {
        // Entries of one key must all hold: the narrowest entry decides.
        let narrowest = restricting
            .iter()
            .map(|r| {
                (r.entry.values.iter().map(|v| reach(&v.value, r.wildcards)).max().unwrap_or(Reach::Repository), r)
            })
            .min_by_key(|(reach, _)| *reach);
        if let Some((reach, r)) = narrowest.filter(|(reach, _)| *reach > Reach::Repository) {
            let value = r
                .entry
                .values
                .iter()
                .find(|v| self::reach(&v.value, r.wildcards) == reach)
                .unwrap_or(&r.entry.values[0]);
            let draft = match reach {
                Reach::Anyone => Draft::new(
                    span.clone(),
                    format!("any GitHub repository can assume the role: `{key}` allows `{}`", value.value),
                )
                .label("any workflow of any repository on GitHub, including repositories anyone can create")
                .also(value.span.clone(), "matches every repository owner"),
                _ => Draft::new(
                    span.clone(),
                    format!(
                        "every repository of `{}` can assume the role: `{key}` allows `{}`",
                        owner(&value.value),
                        value.value
                    ),
                )
                .label("any workflow of any repository of this owner")
                .also(value.span.clone(), "matches every repository and branch of the owner")
                .severity(Severity::High)
                .note(
                    "any workflow in any repository of the organization, on any branch, including workflows run \
                     for pull requests from forks, gets a token with this subject",
                ),
            };
            out.push(draft.help(help(host_path)));
        }
    }
    if claim == "sub" && restrictions(st, &format!("{host_path}:aud")).iter().all(|r| r.matches_anything()) {
        let aud = if host.eq_ignore_ascii_case(GITHUB) || host.to_ascii_lowercase().starts_with("oidc.eks.") {
            "sts.amazonaws.com"
        } else {
            "CLIENT-ID"
        };
        out.push(
            Draft::new(
                span.clone(),
                format!("web identity trust on `{host_path}` has no condition on `{host_path}:aud`"),
            )
            .label("tokens issued for any audience registered on this provider are accepted")
            .severity(Severity::Medium)
            .help(format!("add \"StringEquals\": {{\"{host_path}:aud\": \"{aud}\"}} to the condition")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Reach, provider, reach};

    #[test]
    fn names_the_provider() {
        assert_eq!(
            provider("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"),
            Some("token.actions.githubusercontent.com")
        );
        assert_eq!(
            provider("arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"),
            Some("oidc.eks.eu-west-1.amazonaws.com/id/ABC")
        );
        assert_eq!(provider("cognito-identity.amazonaws.com"), Some("cognito-identity.amazonaws.com"));
        assert_eq!(provider("arn:aws:iam::111122223333:saml-provider/okta"), None);
        assert_eq!(provider("*"), None);
    }

    #[test]
    fn github_subject_reach() {
        assert_eq!(reach("repo:*", true), Reach::Anyone);
        assert_eq!(reach("*", true), Reach::Anyone);
        assert_eq!(reach("repo:*/infra:*", true), Reach::Anyone);
        assert_eq!(reach("repo:acme/*", true), Reach::Owner);
        assert_eq!(reach("repo:acme/*:ref:refs/heads/main", true), Reach::Owner);
        assert_eq!(reach("repo:acme/infra:*", true), Reach::Repository);
        assert_eq!(reach("repo:acme/infra:ref:refs/heads/main", true), Reach::Repository);
        assert_eq!(reach("repo:acme/*", false), Reach::Repository);
    }
}
