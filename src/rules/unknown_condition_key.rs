use super::{Check, Context, Rule};
use crate::catalogue::keys::{self, KeyMatch};
use crate::catalogue::{ActionSet, Catalogue, Expansion};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::{ConditionEntry, PolicyKind};
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "unknown-condition-key",
        severity: Severity::Medium,
        category: Category::Validity,
        summary: "a condition key that no action of the statement has (`s3:prefixx`, `s3:prefix` on `s3:GetObject`)",
        doc: include_str!("../../rules/unknown-condition-key.md"),
    },
    check: Check::Document(check),
};

/// Actions listed in a finding (the granted set may be every action).
const ACTIONS_CAP: usize = 20;
/// Actions named in a help as those the key applies to.
const APPLIES_CAP: usize = 3;

/// What is wrong with a condition key.
#[derive(Debug, PartialEq)]
enum Verdict<'a> {
    /// An `aws:` key that is not a global key.
    NotGlobal { suggestion: Option<String> },
    /// The key's prefix is a service, which has no such key.
    NotOfService { service: &'static str, suggestion: Option<String> },
    /// The prefix is neither a service nor an identity provider.
    NoService { suggestion: Option<String> },
    /// A real key, but of none of the granted actions.
    NotForActions { known: KeyMatch<'a>, service: &'static str },
    /// An identity provider's key in a statement that authorises no federation.
    ProviderOutsideFederation,
}

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        let kind = resolved.doc.kind;
        for (st, rs) in resolved.statements() {
            let Some(condition) = &st.condition else { continue };
            // Unknown actions and services are other rules' findings. Beside them the keys
            // that apply are partly unknown: only what is wrong with a key whatever the
            // actions (not a global key, not a key of its service) is still reported.
            if rs.actions.is_empty() {
                continue;
            }
            let partial = rs.values.iter().any(|v| !matches!(v.expansion, Expansion::Actions(_)));
            for (_, entry) in condition.entries() {
                let Some(verdict) = diagnose(catalogue, kind, &rs.actions, &entry.key.value) else { continue };
                if partial && !matches!(verdict, Verdict::NotGlobal { .. } | Verdict::NotOfService { .. }) {
                    continue;
                }
                let mut draft = wording(catalogue, &rs.actions, entry, &verdict).in_statement(st);
                if let Some(action) = &st.action {
                    draft = draft.also(action.span.clone(), "the actions the key is tested on");
                    if action.values.iter().any(|v| crate::catalogue::has_wildcard(&v.value)) || action.negated {
                        let note = format!(
                            "{}; the statement grants {}",
                            draft.note.take().unwrap_or_default(),
                            wording::describe(&rs.actions, catalogue)
                        );
                        draft = draft.note(note);
                    }
                }
                if !rs.actions.is_everything(catalogue) {
                    draft = draft.actions(wording::names(&rs.actions, catalogue, ACTIONS_CAP));
                }
                ctx.report(draft);
            }
        }
    }
}

/// Whether IAM puts the key in the request context of the statement's actions.
fn diagnose<'a>(catalogue: &'a Catalogue, kind: PolicyKind, set: &ActionSet, key: &str) -> Option<Verdict<'a>> {
    if keys::global(catalogue, key).is_some() || keys::granted(catalogue, set, key).is_some() {
        return None;
    }
    // IoT Core policies use the IAM language with keys of their own (the connection, the
    // device certificate).
    if keys::iot_core_policy_key(key)
        && catalogue.find_service("iot").is_some_and(|iot| set.services().any(|s| s == iot))
    {
        return None;
    }
    let provider = keys::identity_provider(key).is_some();
    if provider && (kind == PolicyKind::Trust || grants_federation(catalogue, set)) {
        return None;
    }
    // A template or CloudFormation interpolation (`${var.provider}:sub`) is decided at deploy time.
    if key.contains("${") || key.contains("{{") {
        return None;
    }
    let prefix = keys::prefix(key);
    if prefix.eq_ignore_ascii_case("aws") {
        let names = catalogue.header().global_keys.iter().map(|k| k.name.as_ref());
        return Some(Verdict::NotGlobal { suggestion: keys::suggest(key, names) });
    }
    if let Some(home) = keys::home_service(catalogue, key) {
        let service = catalogue.prefix(home);
        return Some(match keys::of_service(catalogue, home, key) {
            Some(known) => Verdict::NotForActions { known, service },
            None => {
                let names = catalogue.service(home).keys.iter().map(|k| k.name.as_ref());
                Verdict::NotOfService { service, suggestion: keys::suggest(key, names) }
            }
        });
    }
    if provider || catalogue.find_service("sts").and_then(|sts| keys::of_service(catalogue, sts, key)).is_some() {
        return Some(Verdict::ProviderOutsideFederation);
    }
    // `ec2:SourceInstanceARN` is listed by ssm, not ec2: any service may list it.
    if let Some(known) = catalogue.service_ids().find_map(|s| keys::of_service(catalogue, s, key)) {
        return Some(Verdict::NotForActions { known, service: "" });
    }
    // A key without `:` has no prefix to correct.
    let rest = key.split_once(':').map(|(_, rest)| rest);
    let suggestion = (prefix.len() <= 64 && rest.is_some())
        .then(|| {
            let lower = prefix.to_ascii_lowercase();
            catalogue
                .service_ids()
                .map(|s| catalogue.prefix(s))
                .map(|p| (strsim::jaro_winkler(p, &lower), p))
                .filter(|(score, p)| *score >= 0.88 && strsim::levenshtein(p, &lower) <= 2)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, p)| format!("{p}:{}", rest.unwrap_or_default()))
        })
        .flatten();
    Some(Verdict::NoService { suggestion })
}

/// Whether the statement authorises web identity or SAML federation, whose requests
/// carry the identity provider's keys.
fn grants_federation(catalogue: &Catalogue, set: &ActionSet) -> bool {
    ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"]
        .iter()
        .filter_map(|name| catalogue.lookup(name))
        .any(|id| set.contains(id))
}

/// What IAM does with a key that is not in the request context.
const ABSENT: &str = "IAM evaluates a key that is not in the request context as absent: a condition such as \
                      `StringEquals` on it is false, so the statement never applies (`...IfExists` and negated \
                      operators are always true instead)";

fn did_you_mean(suggestion: &Option<String>, otherwise: &str) -> String {
    match suggestion {
        Some(s) => format!("did you mean `{s}`?"),
        None => otherwise.to_string(),
    }
}

fn wording(catalogue: &Catalogue, set: &ActionSet, entry: &ConditionEntry, verdict: &Verdict<'_>) -> Draft {
    let key = &entry.key.value;
    let span = entry.key.span.clone();
    match verdict {
        Verdict::NotGlobal { suggestion } => Draft::new(span, format!("`{key}` is not a global condition key"))
            .label("unknown condition key")
            .help(did_you_mean(
                suggestion,
                "write one of the global keys (`aws:SourceIp`, `aws:PrincipalTag/<key>`, ...) or a key of the \
                 granted actions (`iamlint action <service:Action>` lists them)",
            ))
            .note(ABSENT),
        Verdict::NotOfService { service, suggestion } => {
            Draft::new(span, format!("`{key}` is not a condition key of `{service}`"))
                .label("unknown condition key")
                .help(did_you_mean(
                    suggestion,
                    &format!("`iamlint action {service}:<Action>` lists the keys of each action of `{service}`"),
                ))
                .note(ABSENT)
        }
        Verdict::NoService { suggestion } => {
            Draft::new(span, format!("`{key}` belongs to no known service or identity provider"))
                .label("unknown condition key")
                .help(did_you_mean(
                    suggestion,
                    "condition keys are `service:Key` (`s3:prefix`), a global `aws:` key, or an identity \
                     provider's key in a trust policy (`token.actions.githubusercontent.com:sub`)",
                ))
                .note(ABSENT)
        }
        Verdict::NotForActions { known, service } => {
            let granted = granted_wording(catalogue, set);
            let home = (!service.is_empty()).then(|| catalogue.find_service(service)).flatten();
            let with: Vec<String> = home
                .map(|s| keys::actions_with_key(catalogue, s, key, APPLIES_CAP + 1))
                .unwrap_or_default()
                .into_iter()
                .map(|id| catalogue.action_name(id))
                .collect();
            let applies = match with.len() {
                0 => format!("`{}` applies to other actions", known.name),
                n if n > APPLIES_CAP => format!("`{}` applies to {}, ...", known.name, with[..APPLIES_CAP].join(", ")),
                _ => format!("`{}` applies to {}", known.name, with.join(", ")),
            };
            Draft::new(span, format!("`{key}` does not apply to {granted}"))
                .label("not in the request context of these actions")
                .severity(Severity::Low)
                .help(format!("{applies}: test it in a statement that grants those, or remove it from this one"))
                .note(format!(
                    "{ABSENT}; this follows the Service Authorization Reference, which does not list the key for \
                     these actions"
                ))
        }
        Verdict::ProviderOutsideFederation => Draft::new(
            span,
            format!("`{key}` is an identity provider's key, but the statement authorises no federation"),
        )
        .label("only in the request context of federation")
        .severity(Severity::Low)
        .help(
            "identity provider keys are tested in a role's trust policy, on `sts:AssumeRoleWithWebIdentity` or \
             `sts:AssumeRoleWithSAML`",
        )
        .note(ABSENT),
    }
}

/// `s3:GetObject`, or `any of the 3 actions the statement grants`.
fn granted_wording(catalogue: &Catalogue, set: &ActionSet) -> String {
    if set.is_everything(catalogue) {
        return "every action".to_string();
    }
    match set.len(catalogue) {
        1 => set.iter(catalogue).next().map(|id| format!("`{}`", catalogue.action_name(id))).unwrap_or_default(),
        n => format!("any of the {} actions the statement grants", crate::diagnostic::thousands(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(actions: &[&str], key: &str) -> Option<String> {
        let catalogue = Catalogue::bundled();
        let mut set = ActionSet::new();
        for a in actions {
            if let Expansion::Actions(s) = catalogue.expand(a) {
                set.union_with(&s);
            }
        }
        diagnose(catalogue, PolicyKind::Identity, &set, key).map(|v| format!("{v:?}"))
    }

    #[test]
    fn tells_the_cases_apart() {
        assert_eq!(verdict(&["s3:ListBucket"], "s3:prefix"), None);
        assert_eq!(verdict(&["*"], "aws:SourceIp"), None);
        assert!(verdict(&["s3:GetObject"], "s3:prefix").unwrap().starts_with("NotForActions"));
        assert!(verdict(&["s3:ListBucket"], "s3:prefixx").unwrap().contains("Some(\"s3:prefix\")"));
        assert!(verdict(&["s3:ListBucket"], "aws:PrincipleTag/team").unwrap().contains("aws:PrincipalTag/team"));
        assert!(verdict(&["s3:ListBucket"], "s4:prefix").unwrap().starts_with("NoService"));
        assert!(verdict(&["s3:ListBucket"], "saml:aud").unwrap().starts_with("ProviderOutsideFederation"));
        assert_eq!(verdict(&["sts:AssumeRoleWithWebIdentity"], "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"), None);
        assert_eq!(verdict(&["s3:ListBucket"], "${var.provider}:sub"), None);
    }
}
