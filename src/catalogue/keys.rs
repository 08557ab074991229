//! Condition keys: matching a key as written in a policy against the catalogue's key
//! names, and finding the keys that apply to the actions a statement grants.
//!
//! The catalogue names templated keys with a placeholder segment (`aws:RequestTag/${TagKey}`,
//! `s3:ExistingObjectTag/<key>`, `ssm:resourceTag/tag-key`, and a few with the placeholder
//! lost: `glacier:ResourceTag/`); a placeholder matches any non-empty text. IAM compares
//! key names case-insensitively.

use super::model::{ConditionKey, KeyType};
use super::{ActionId, ActionSet, Catalogue, ServiceId};
use crate::packs::pack;
use serde::Deserialize;
use std::sync::OnceLock;

/// A catalogue key that a key as written matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyMatch<'a> {
    /// The catalogue's name, placeholders kept (`aws:RequestTag/${TagKey}`).
    pub name: &'a str,
    pub kind: KeyType,
}

impl KeyType {
    /// Whether the key carries a set of values (`ArrayOf...`), tested with
    /// `ForAllValues:`/`ForAnyValue:`.
    pub fn is_multi_valued(self) -> bool {
        matches!(
            self,
            KeyType::ArrayOfString
                | KeyType::ArrayOfARN
                | KeyType::ArrayOfNumeric
                | KeyType::ArrayOfDate
                | KeyType::ArrayOfBool
                | KeyType::ArrayOfIPAddress
                | KeyType::ArrayOfBinary
        )
    }

    /// The type of each value (`ArrayOfARN` -> `ARN`).
    pub fn element(self) -> KeyType {
        match self {
            KeyType::ArrayOfString => KeyType::String,
            KeyType::ArrayOfARN => KeyType::ARN,
            KeyType::ArrayOfNumeric => KeyType::Numeric,
            KeyType::ArrayOfDate => KeyType::Date,
            KeyType::ArrayOfBool => KeyType::Bool,
            KeyType::ArrayOfIPAddress => KeyType::IPAddress,
            KeyType::ArrayOfBinary => KeyType::Binary,
            single => single,
        }
    }

    /// What a value of this type is, for messages: `an ARN`, `a date`.
    pub fn noun(self) -> &'static str {
        match self.element() {
            KeyType::ARN => "an ARN",
            KeyType::Numeric => "a number",
            KeyType::Date => "a date",
            KeyType::Bool => "a boolean",
            KeyType::IPAddress => "an IP address",
            KeyType::Binary => "binary data",
            _ => "a string",
        }
    }
}

/// Keys longer than this are compared exactly only: no real key comes close, and
/// placeholder matching backtracks.
const LONGEST_TEMPLATED: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'t> {
    Text(&'t str),
    /// A placeholder: any non-empty text.
    Any,
}

/// A catalogue key name taken apart into text and placeholders.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let next = [rest.find("${"), rest.find('<')].into_iter().flatten().min();
        let Some(at) = next else { break };
        let close = if rest[at..].starts_with("${") { '}' } else { '>' };
        let Some(len) = rest[at..].find(close) else { break };
        if at > 0 {
            out.push(Piece::Text(&rest[..at]));
        }
        out.push(Piece::Any);
        rest = &rest[at + len + 1..];
    }
    // `ssm:resourceTag/tag-key`, and `glacier:ResourceTag/` whose placeholder was lost.
    if let Some(head) = rest.strip_suffix("tag-key").filter(|h| h.ends_with('/')) {
        out.push(Piece::Text(head));
        out.push(Piece::Any);
    } else if rest.ends_with('/') {
        out.push(Piece::Text(rest));
        out.push(Piece::Any);
    } else if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

fn match_pieces(pieces: &[Piece<'_>], key: &[u8]) -> bool {
    match pieces.split_first() {
        None => key.is_empty(),
        Some((Piece::Text(text), rest)) => {
            key.len() >= text.len()
                && key[..text.len()].eq_ignore_ascii_case(text.as_bytes())
                && match_pieces(rest, &key[text.len()..])
        }
        Some((Piece::Any, rest)) => (1..=key.len()).any(|n| match_pieces(rest, &key[n..])),
    }
}

/// Whether `key` (as written in a policy) is the catalogue key `template`:
/// case-insensitive, a placeholder segment matching any non-empty text.
pub fn matches(template: &str, key: &str) -> bool {
    if !is_templated(template) {
        return template.eq_ignore_ascii_case(key);
    }
    key.len() <= LONGEST_TEMPLATED && match_pieces(&pieces(template), key.as_bytes())
}

/// Whether a catalogue key name has a placeholder.
pub fn is_templated(template: &str) -> bool {
    template.contains("${") || template.contains('<') || template.ends_with('/') || template.ends_with("/tag-key")
}

/// The part of a key before its first `:` (`s3` in `s3:prefix`).
pub fn prefix(key: &str) -> &str {
    key.split_once(':').map_or(key, |(p, _)| p)
}

/// The service a key's prefix names (`s3:prefix` -> s3), if any.
pub fn home_service(catalogue: &Catalogue, key: &str) -> Option<ServiceId> {
    catalogue.find_service(prefix(key))
}

/// Among a list of keys: an exact name first, then a templated one.
fn find_in<'a>(keys: &'a [ConditionKey<'static>], key: &str) -> Option<KeyMatch<'a>> {
    keys.iter()
        .find(|k| k.name.eq_ignore_ascii_case(key))
        .or_else(|| keys.iter().find(|k| matches(&k.name, key)))
        .map(|k| KeyMatch { name: &k.name, kind: k.kind })
}

/// A global condition key (`aws:SourceIp`, `aws:PrincipalTag/${TagKey}`, ...).
pub fn global<'a>(catalogue: &'a Catalogue, key: &str) -> Option<KeyMatch<'a>> {
    find_in(&catalogue.header().global_keys, key)
}

/// A key of the service, whichever of its actions it applies to.
pub fn of_service<'a>(catalogue: &'a Catalogue, service: ServiceId, key: &str) -> Option<KeyMatch<'a>> {
    find_in(&catalogue.service(service).keys, key)
}

/// The declared type of a key that an action or resource type of `service` names.
fn declared<'a>(catalogue: &'a Catalogue, service: ServiceId, name: &'a str) -> KeyMatch<'a> {
    let exact = |keys: &'a [ConditionKey<'static>]| {
        keys.iter().find(|k| k.name.eq_ignore_ascii_case(name)).map(|k| KeyMatch { name: &k.name, kind: k.kind })
    };
    exact(&catalogue.service(service).keys)
        .or_else(|| exact(&catalogue.header().global_keys))
        // The catalogue lists every key an action names (a catalogue test checks it);
        // should one slip through, its values are still strings.
        .unwrap_or(KeyMatch { name, kind: KeyType::String })
}

/// A key that applies to one action: its own keys, the keys of its rows (the action on
/// one resource type) and the keys of those resource types.
pub fn of_action<'a>(catalogue: &'a Catalogue, id: ActionId, key: &str) -> Option<KeyMatch<'a>> {
    let action = catalogue.action(id);
    let rows = action.resources.iter();
    let resource_keys =
        rows.clone().filter_map(|row| catalogue.resource_type(id.service, &row.kind)).flat_map(|rt| rt.keys.iter());
    let names = action.keys.iter().chain(rows.flat_map(|row| row.keys.iter())).chain(resource_keys);
    let mut templated = None;
    for name in names {
        if name.eq_ignore_ascii_case(key) {
            return Some(declared(catalogue, id.service, name));
        }
        if templated.is_none() && matches(name, key) {
            templated = Some(name);
        }
    }
    templated.map(|name| declared(catalogue, id.service, name))
}

/// A key that applies to at least one of the granted actions (global keys aside).
///
/// Cheap for wildcards: a whole granted service is answered from the service's key list,
/// and the key's own service (`s3` for `s3:prefix`) is tried first, so `*` costs one
/// service. Only a key that service does not have sends the search through the other
/// granted services (a few list keys of another prefix: ssm lists `ec2:SourceInstanceARN`,
/// sts the keys of identity providers).
pub fn granted<'a>(catalogue: &'a Catalogue, set: &ActionSet, key: &str) -> Option<KeyMatch<'a>> {
    let first = home_service(catalogue, key).or_else(|| catalogue.find_service("sts"));
    if let Some(service) = first
        && let Some(found) = granted_in(catalogue, set, service, key)
    {
        return Some(found);
    }
    // `aws:` keys that are not global are listed by no service either.
    if prefix(key).eq_ignore_ascii_case("aws") {
        return None;
    }
    // Only services that list keys of this prefix (or of a templated one) can match: an
    // index, so thousands of unknown keys under `Action: *` do not scan every service.
    let listing =
        catalogue.services_listing_key_prefix(prefix(key)).iter().chain(catalogue.services_listing_key_prefix(""));
    listing.filter(|s| Some(**s) != first).find_map(|service| granted_in(catalogue, set, *service, key))
}

/// A key that applies to one of the granted actions of `service`.
fn granted_in<'a>(catalogue: &'a Catalogue, set: &ActionSet, service: ServiceId, key: &str) -> Option<KeyMatch<'a>> {
    if !set.services().any(|s| s == service) {
        return None;
    }
    if set.has_whole_service(service, catalogue) {
        return of_service(catalogue, service, key);
    }
    // Cheap rejection before parsing each granted action.
    of_service(catalogue, service, key)?;
    (0..catalogue.action_count(service) as u16)
        .map(|index| ActionId { service, index })
        .filter(|id| set.contains(*id))
        .find_map(|id| of_action(catalogue, id, key))
}

/// The granted actions of `service` that `key` does not apply to are all of them; these
/// are the actions of the service that it does apply to, up to `cap`.
pub fn actions_with_key(catalogue: &Catalogue, service: ServiceId, key: &str, cap: usize) -> Vec<ActionId> {
    (0..catalogue.action_count(service) as u16)
        .map(|index| ActionId { service, index })
        .filter(|id| of_action(catalogue, *id, key).is_some())
        .take(cap)
        .collect()
}

/// The type of a key as written, when the catalogue knows it: a global key, a key of the
/// granted actions, or a key of its own service (`None` for a key no catalogue lists).
/// A multi-valued identity-provider claim (`cognito-identity.amazonaws.com:amr`) is a set
/// of strings, whatever the catalogue says.
pub fn type_of(catalogue: &Catalogue, set: &ActionSet, key: &str) -> Option<KeyType> {
    if identity_provider(key).is_some_and(|p| p.multi_valued) {
        return Some(KeyType::ArrayOfString);
    }
    global(catalogue, key)
        .or_else(|| granted(catalogue, set, key))
        .or_else(|| home_service(catalogue, key).and_then(|s| of_service(catalogue, s, key)))
        .map(|m| m.kind)
}

/// A key of an identity provider (`saml:sub`, `token.actions.githubusercontent.com:aud`),
/// from `rules/packs/identity-provider-keys.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderKey {
    /// The claim carries a set of values (`cognito-identity.amazonaws.com:amr`).
    pub multi_valued: bool,
}

#[derive(Deserialize)]
struct ProviderPack {
    prefixes: Vec<String>,
    oidc_claims: Vec<String>,
    multi_valued_claims: Vec<String>,
}

fn providers() -> &'static ProviderPack {
    static PACK: OnceLock<ProviderPack> = OnceLock::new();
    PACK.get_or_init(|| pack!("identity-provider-keys.json"))
}

/// Whether `key` is a key of an identity provider, valid where web identity or SAML
/// federation is authorised: a listed prefix (`saml:`), or an OIDC claim after a provider
/// host (`oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub`).
pub fn identity_provider(key: &str) -> Option<ProviderKey> {
    let (provider, claim) = key.rsplit_once(':')?;
    let pack = providers();
    let multi_valued = pack.multi_valued_claims.iter().any(|c| c.eq_ignore_ascii_case(claim));
    if pack.prefixes.iter().any(|p| p.eq_ignore_ascii_case(provider)) && !claim.is_empty() {
        return Some(ProviderKey { multi_valued });
    }
    let host = provider.split('/').next().unwrap_or_default();
    let is_host = host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !host.contains("..")
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    (is_host && pack.oidc_claims.iter().any(|c| c.eq_ignore_ascii_case(claim))).then_some(ProviderKey { multi_valued })
}

/// Similar enough to be offered as "did you mean" (as for operator names: Jaro-Winkler
/// favours a shared prefix; the edit bound keeps unrelated keys of one service apart).
const CLOSE: f64 = 0.88;
const EDITS: usize = 4;

/// The candidate key the author probably meant, spelt as they should write it: a
/// templated candidate keeps the author's own suffix (`aws:PrincipleTag/team` ->
/// `aws:PrincipalTag/team`).
pub fn suggest<'c>(key: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    if key.len() > LONGEST_TEMPLATED {
        return None;
    }
    let lower = key.to_ascii_lowercase();
    let mut best: Option<(f64, String)> = None;
    for candidate in candidates {
        let (theirs, mine, written) = match pieces(candidate).first() {
            Some(Piece::Text(head)) if is_templated(candidate) && head.ends_with('/') => {
                let Some(slash) = lower.find('/') else { continue };
                let (mine, tail) = lower.split_at(slash + 1);
                if tail.is_empty() {
                    continue;
                }
                (head.to_ascii_lowercase(), mine.to_string(), format!("{head}{}", &key[slash + 1..]))
            }
            _ if is_templated(candidate) => continue,
            _ => (candidate.to_ascii_lowercase(), lower.clone(), candidate.to_string()),
        };
        let score = strsim::jaro_winkler(&theirs, &mine);
        if score >= CLOSE
            && strsim::levenshtein(&theirs, &mine) <= EDITS
            && best.as_ref().is_none_or(|(s, _)| score > *s)
            && !written.eq_ignore_ascii_case(key)
        {
            best = Some((score, written));
        }
    }
    best.map(|(_, written)| written)
}

#[derive(Deserialize)]
struct IotCorePack {
    keys: Vec<String>,
    prefixes: Vec<String>,
}

/// A key of AWS IoT Core policies (`iot:ClientId`, `iot:Connection.Thing.ThingName`), from
/// `rules/packs/iot-core-policy-keys.json`: valid where iot actions are granted.
pub fn iot_core_policy_key(key: &str) -> bool {
    static PACK: OnceLock<IotCorePack> = OnceLock::new();
    let pack = PACK.get_or_init(|| pack!("iot-core-policy-keys.json"));
    let lower = key.to_ascii_lowercase();
    pack.keys.iter().any(|k| k.eq_ignore_ascii_case(key))
        || pack.prefixes.iter().any(|p| lower.starts_with(&p.to_ascii_lowercase()) && lower.len() > p.len())
}

/// `aws:TagKeys`, `s3:RequestObjectTagKeys`: a multi-valued key listing the keys of the
/// tags a request sets.
pub fn lists_tag_keys(key: &str) -> bool {
    key.to_ascii_lowercase().ends_with("tagkeys")
}

/// Keys whose values are service principals (`ec2.amazonaws.com`).
const SERVICE_PRINCIPAL_KEYS: [&str; 3] = ["iam:passedtoservice", "iam:awsservicename", "aws:principalservicename"];

/// Whether a pattern (as `StringLike` reads it) matches every value `key` can have: one
/// made only of `*` and `?` with at least one `*`; for a key whose values are service
/// principals, also one that fixes nothing but their suffix (`*.amazonaws.com`,
/// `*.amazonaws.com.cn`).
pub fn matches_every_value(key: &str, pattern: &str) -> bool {
    let vacuous = |p: &str| p.contains('*') && p.bytes().all(|c| c == b'*' || c == b'?');
    if vacuous(pattern) {
        return true;
    }
    let lower = pattern.to_ascii_lowercase();
    SERVICE_PRINCIPAL_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
        && [".amazonaws.com", ".amazonaws.com.cn"].iter().any(|suffix| lower.strip_suffix(suffix).is_some_and(vacuous))
}

/// Whether a value of a key that names the caller or the calling resource admits callers
/// of every account or organization, so that it narrows nothing about who calls: anyone
/// can create `role/ci-x` in their own account, or an organization whose id matches
/// `o-*`. A wildcard where the account is (`arn:aws:iam::*:role/ci-*`,
/// `arn:aws:sns:*:*:*`, `aws:SourceAccount` `"*"`), where the organization is
/// (`aws:PrincipalOrgID` `"o-*"`, `aws:PrincipalOrgPaths` `"o-*/r-ab12/*"`), or a resource
/// pattern in a global namespace with no account (`arn:aws:s3:::logs-*`: anyone can
/// create such a bucket). Other keys: `false`.
pub fn admits_any_account(key: &str, value: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let wild = |s: &str| s.contains(['*', '?']);
    match key.as_str() {
        "aws:principalarn" | "aws:sourcearn" => match super::arn::split(value) {
            Some([_, _, _, account, resource]) => wild(account) || account.is_empty() && wild(resource),
            None => wild(value),
        },
        "aws:sourceaccount" | "aws:principalaccount" | "aws:sourceowner" | "kms:calleraccount" => wild(value),
        "aws:principalorgid" | "aws:sourceorgid" => wild(value),
        "aws:principalorgpaths" | "aws:sourceorgpaths" => wild(value.split('/').next().unwrap_or(value)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_values_that_admit_any_account() {
        for (key, value) in [
            ("aws:PrincipalArn", "arn:aws:iam::*:role/ci-*"),
            ("aws:SourceArn", "arn:aws:sns:*:*:*"),
            ("aws:SourceArn", "arn:aws:s3:::logs-*"),
            ("aws:SourceArn", "*"),
            ("aws:SourceAccount", "11112222*"),
            ("AWS:PrincipalOrgID", "o-*"),
            ("aws:PrincipalOrgPaths", "o-*/r-ab12/ou-ab12-11111111/*"),
        ] {
            assert!(admits_any_account(key, value), "{key} {value}");
        }
        for (key, value) in [
            ("aws:PrincipalArn", "arn:aws:iam::111122223333:role/ci-*"),
            ("aws:SourceArn", "arn:aws:sns:*:111122223333:*"),
            ("aws:SourceArn", "arn:aws:s3:::logs-bucket"),
            ("aws:SourceAccount", "111122223333"),
            ("aws:PrincipalOrgID", "o-a1b2c3d4e5"),
            ("aws:PrincipalOrgPaths", "o-a1b2c3d4e5/r-ab12/*"),
            ("aws:SourceIp", "*"),
        ] {
            assert!(!admits_any_account(key, value), "{key} {value}");
        }
    }

    fn catalogue() -> &'static Catalogue {
        Catalogue::bundled()
    }

    fn set(patterns: &[&str]) -> ActionSet {
        let mut out = ActionSet::new();
        for p in patterns {
            match catalogue().expand(p) {
                crate::catalogue::Expansion::Actions(s) => out.union_with(&s),
                other => panic!("{p}: {other:?}"),
            }
        }
        out
    }

    #[test]
    fn placeholders_match_any_non_empty_text() {
        assert!(matches("aws:RequestTag/${TagKey}", "aws:requesttag/team"));
        assert!(matches("aws:RequestTag/${TagKey}", "aws:RequestTag/cost/centre"));
        assert!(!matches("aws:RequestTag/${TagKey}", "aws:RequestTag/"));
        assert!(!matches("aws:RequestTag/${TagKey}", "aws:RequestTags/team"));
        assert!(matches("s3:ExistingObjectTag/<key>", "s3:ExistingObjectTag/classification"));
        assert!(matches("ssm:resourceTag/tag-key", "ssm:ResourceTag/env"));
        assert!(matches("glacier:ResourceTag/", "glacier:ResourceTag/env"));
        assert!(!matches("glacier:ResourceTag/", "glacier:ResourceTag/"));
        assert!(matches("token.actions.${Domain}.ghe.com:sub", "token.actions.octo.ghe.com:sub"));
        assert!(!matches("token.actions.${Domain}.ghe.com:sub", "token.actions..ghe.com:sub"));
        assert!(matches(
            "codebuild:environment.environmentVariables/${name}.value",
            "codebuild:environment.environmentVariables/TOKEN.value"
        ));
        assert!(matches("aws:SourceIp", "AWS:SOURCEIP"));
        assert!(!matches("aws:SourceIp", "aws:SourceIpx"));
        assert!(!matches("aws:SourceIp", &"x".repeat(10_000)));
    }

    #[test]
    fn finds_global_keys_with_their_type() {
        let c = catalogue();
        assert_eq!(global(c, "aws:sourceip").map(|m| m.kind), Some(KeyType::IPAddress));
        assert_eq!(global(c, "aws:PrincipalTag/team").map(|m| m.name), Some("aws:PrincipalTag/${TagKey}"));
        assert_eq!(global(c, "aws:TagKeys").map(|m| m.kind.is_multi_valued()), Some(true));
        assert_eq!(global(c, "aws:PrincipleTag/team"), None);
        assert_eq!(global(c, "s3:prefix"), None);
    }

    #[test]
    fn finds_keys_of_the_granted_actions() {
        let c = catalogue();
        assert_eq!(granted(c, &set(&["s3:ListBucket"]), "s3:prefix").map(|m| m.kind), Some(KeyType::String));
        assert_eq!(granted(c, &set(&["s3:GetObject"]), "s3:prefix"), None);
        assert!(granted(c, &set(&["s3:GetObject"]), "s3:ExistingObjectTag/team").is_some());
        assert!(granted(c, &set(&["s3:*"]), "s3:prefix").is_some());
        assert!(granted(c, &set(&["*"]), "S3:Prefix").is_some());
        assert!(granted(c, &set(&["*"]), "s3:nonsense").is_none());
        // A resource type's keys: iam:ResourceTag on a role.
        assert!(granted(c, &set(&["iam:GetRole"]), "iam:ResourceTag/team").is_some());
        assert_eq!(
            granted(c, &set(&["iam:PassRole"]), "iam:PassedToService").map(|m| m.name),
            Some("iam:PassedToService")
        );
        // Identity-provider keys are listed under sts.
        assert!(granted(c, &set(&["sts:AssumeRoleWithSAML"]), "saml:aud").is_some());
        assert!(granted(c, &set(&["*"]), "saml:aud").is_some());
        assert!(granted(c, &set(&["s3:GetObject"]), "saml:aud").is_none());
    }

    #[test]
    fn a_service_key_is_known_whatever_the_action() {
        let c = catalogue();
        let s3 = c.find_service("s3").unwrap();
        assert!(of_service(c, s3, "s3:prefix").is_some());
        assert!(of_service(c, s3, "s3:prefixx").is_none());
        let with = actions_with_key(c, s3, "s3:prefix", 3);
        assert!(with.iter().any(|id| c.action_name(*id) == "s3:ListBucket"), "{with:?}");
    }

    #[test]
    fn keys_whose_prefix_names_no_service_are_listed_by_sts_only() {
        // `granted` relies on it for `*`: it tries sts first for such keys.
        let c = catalogue();
        for service in c.service_ids() {
            for key in &c.service(service).keys {
                if home_service(c, &key.name).is_none() && !prefix(&key.name).eq_ignore_ascii_case("aws") {
                    let owner = c.prefix(service);
                    assert!(
                        owner == "sts" || granted(c, &ActionSet::everything(c), &key.name).is_some(),
                        "{} ({owner})",
                        key.name
                    );
                }
            }
        }
    }

    #[test]
    fn recognises_iot_core_policy_keys() {
        for key in ["iot:ClientId", "iot:Connection.Thing.ThingName", "IOT:certificate.Subject.CommonName"] {
            assert!(iot_core_policy_key(key), "{key}");
        }
        for key in ["iot:Connection.", "iot:Publish", "s3:ClientId"] {
            assert!(!iot_core_policy_key(key), "{key}");
        }
    }

    #[test]
    fn recognises_identity_provider_keys() {
        for key in [
            "token.actions.githubusercontent.com:sub",
            "token.actions.githubusercontent.com:aud",
            "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub",
            "saml:edupersonaffiliation",
            "cognito-identity.amazonaws.com:amr",
            "accounts.google.com:oaud",
            "graph.facebook.com:app_id",
            "www.amazon.com:user_id",
            "login.example.com:azp",
        ] {
            assert!(identity_provider(key).is_some(), "{key}");
        }
        for key in ["s3:prefix", "aws:SourceIp", "example:sub", "token.actions.githubusercontent.com:foo", "saml:"] {
            assert!(identity_provider(key).is_none(), "{key}");
        }
        assert_eq!(identity_provider("cognito-identity.amazonaws.com:amr"), Some(ProviderKey { multi_valued: true }));
        assert_eq!(identity_provider("saml:aud"), Some(ProviderKey { multi_valued: false }));
    }

    #[test]
    fn suggests_what_was_meant() {
        let names = ["aws:PrincipalTag/${TagKey}", "aws:SourceIp", "aws:SourceVpc", "aws:SourceVpce"];
        assert_eq!(suggest("aws:PrincipleTag/team", names), Some("aws:PrincipalTag/team".into()));
        assert_eq!(suggest("aws:SourceIpp", names), Some("aws:SourceIp".into()));
        assert_eq!(suggest("aws:SourceVpcee", names), Some("aws:SourceVpce".into()));
        assert_eq!(suggest("aws:Region", names), None);
        assert_eq!(suggest("aws:PrincipalTag/", names), None);
    }
}
