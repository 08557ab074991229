use super::{Check, Context, Rule};
use crate::catalogue::arn::{
    Arn, Header, NotArn, PARTITIONS, ResourceValue, fits, format_field, formats_of_service, parse_resource,
};
use crate::catalogue::model::KeyType;
use crate::catalogue::{ActionSet, Catalogue, keys};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::operator::{self, Family};
use crate::policy::{ConditionEntry, ConditionOperator};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "invalid-arn",
        severity: Severity::High,
        category: Category::Validity,
        summary: "Resource values and ARN condition values that are not valid ARNs (prefix, fields, partition, region, account, resource type)",
        doc: include_str!("../../rules/invalid-arn.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            for rr in &rs.resources {
                let value = &rr.value.value;
                // `arn:aws:s3:::<bucket-name>/*` is `placeholder`'s finding.
                if super::placeholder::claims(value) {
                    continue;
                }
                let Some(problem) = problem(&rr.parsed, value, catalogue, Scope::Resource) else { continue };
                let (message, label, help) = problem.describe(value, Scope::Resource);
                let draft = Draft::new(rr.value.span.clone(), message)
                    .label(label)
                    .help(help)
                    .severity(problem.severity())
                    .in_statement(st);
                ctx.report(draft);
            }
            let Some(condition) = &st.condition else { continue };
            for (op, entry) in condition.entries() {
                let Some(why) = holds_arns(op, entry, &rs.actions, catalogue) else { continue };
                for v in entry.values.iter().filter(|v| !super::placeholder::claims(&v.value)) {
                    let value = &v.value;
                    let Some(problem) = problem(&parse_resource(value), value, catalogue, Scope::Condition) else {
                        continue;
                    };
                    let (message, label, help) = problem.describe(value, Scope::Condition);
                    let draft = Draft::new(v.span.clone(), message)
                        .label(label)
                        .also(entry.key.span.clone(), why.clone())
                        .help(help)
                        .severity(problem.severity())
                        .in_statement(st);
                    ctx.report(draft);
                }
            }
        }
    }
}

/// Where a value sits: a Resource/NotResource value names a resource of its service and is
/// checked against the service's ARN formats; an ARN condition value may name any
/// resource (`aws:SourceArn`) or a principal (`aws:PrincipalArn`), so only its partition,
/// service, region and account are checked.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scope {
    Resource,
    Condition,
}

/// Whether the entry's values are ARNs, and the label that says so (naming the key):
/// an ARN operator (`ArnLike`, `ForAnyValue:ArnEqualsIfExists`) compares its values as
/// ARNs, field by field; a String operator on a key the catalogue types ARN compares the
/// key's ARN with them as text.
fn holds_arns(
    op: &ConditionOperator,
    entry: &ConditionEntry,
    set: &ActionSet,
    catalogue: &Catalogue,
) -> Option<String> {
    // An unknown operator is `unknown-condition-operator`'s finding.
    let parsed = operator::parse(&op.name.value)?;
    let key = &entry.key.value;
    let kind = keys::type_of(catalogue, set, key).map(KeyType::element);
    match parsed.base.family {
        // An ARN operator on a key of another definite type (`ArnLike` on a number, or on
        // a global string key such as `aws:SourceAccount`) is `condition-type-mismatch`'s
        // finding, not its values'. Service keys typed String often hold ARNs.
        Family::Arn
            if kind.is_none_or(|k| matches!(k, KeyType::ARN | KeyType::String))
                && keys::global(catalogue, key).is_none_or(|g| g.kind.element() == KeyType::ARN) =>
        {
            Some(format!("`{}` compares `{key}` as an ARN", op.name.value))
        }
        Family::String if kind == Some(KeyType::ARN) => Some(format!("`{key}` holds an ARN")),
        _ => None,
    }
}

#[derive(Debug, PartialEq)]
enum Problem {
    Empty,
    NoPrefix,
    TooFewFields(usize),
    Partition(String),
    ServiceCase {
        fixed: String,
    },
    Region(String),
    Account(String),
    /// The service's ARNs of this shape have no region (`true`: the value names one) or
    /// need one (`false`).
    RegionField {
        service: String,
        fixed: Option<String>,
    },
    AccountField {
        service: String,
        fixed: Option<String>,
    },
    Resource {
        service: String,
        resource: String,
        formats: Vec<&'static str>,
    },
}

impl Problem {
    /// Certain problems are high; an account field that may belong to an AWS-owned
    /// resource is a guess and says so.
    fn severity(&self) -> Severity {
        match self {
            // AWS-owned resources carry no account (`arn:aws:ssm:REGION::document/AWS-RunShellScript`,
            // public parameters `parameter/aws/service/...`) or a word (`aws-managed`).
            Problem::AccountField { fixed: None, .. } => Severity::Low,
            Problem::Account(a) if !a.bytes().all(|b| b.is_ascii_digit()) => Severity::Low,
            _ => Severity::High,
        }
    }

    /// (message, label, help).
    fn describe(&self, value: &str, scope: Scope) -> (String, String, String) {
        match self {
            Problem::Empty if scope == Scope::Condition => (
                "empty ARN condition value".into(),
                "matches no ARN".into(),
                "write the ARN to compare with, or remove the value".into(),
            ),
            Problem::NoPrefix if scope == Scope::Condition => (
                format!("`{value}` is not an ARN"),
                "does not start with `arn:`, so it matches no ARN".into(),
                "write the full ARN (`arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE`), with `*` for the parts that may vary"
                    .into(),
            ),
            Problem::Empty => (
                "empty resource value".into(),
                "names no resource".into(),
                "write the resource's ARN, or remove the value".into(),
            ),
            Problem::NoPrefix => (
                format!("`{value}` is not an ARN"),
                "does not start with `arn:`".into(),
                "write the resource's full ARN (`arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE`), or `*`".into(),
            ),
            Problem::TooFewFields(found) => (
                format!("`{value}` has {found} of the 6 fields of an ARN"),
                "an ARN is `arn:partition:service:region:account:resource`".into(),
                "write every field, leaving the region or account empty where the service has none (`arn:aws:s3:::BUCKET`)"
                    .into(),
            ),
            Problem::Partition(p) => (
                format!("unknown partition `{p}` in `{value}`"),
                format!("`{p}` is not an AWS partition"),
                match PARTITIONS.iter().find(|k| k.eq_ignore_ascii_case(p)) {
                    Some(k) => format!("partitions are lower case: write `{k}`"),
                    None => format!("write `aws` (or {}), or `*` for any partition", PARTITIONS[1..].join(", ")),
                },
            ),
            Problem::ServiceCase { fixed } => (
                format!("service in `{value}` is not lower case"),
                if scope == Scope::Condition {
                    "ARN fields are compared case-sensitively, so this matches no ARN".into()
                } else {
                    "ARNs are matched case-sensitively, so this names no resource".into()
                },
                format!("write `{fixed}`"),
            ),
            Problem::Region(r) => (
                format!("malformed region `{r}` in `{value}`"),
                format!("`{r}` is not a region code"),
                "write a region code such as `us-east-1`, or `*` for any region".into(),
            ),
            Problem::Account(a) if !a.bytes().all(|b| b.is_ascii_digit()) => (
                format!("account `{a}` in `{value}` is not an account ID"),
                format!("`{a}` is not 12 digits (unless it names an AWS-owned resource)"),
                "write the 12-digit account ID, or `*` for any account; keep it only if AWS documents this ARN for \
                 AWS-owned resources"
                    .into(),
            ),
            Problem::Account(a) => (
                format!("malformed account `{a}` in `{value}`"),
                format!("`{a}` is not an account ID (12 digits)"),
                "write the 12-digit account ID, or `*` for any account".into(),
            ),
            Problem::RegionField { service, fixed: Some(fixed) } => (
                format!("`{value}` names a region, but `{service}` ARNs of this kind have none"),
                "no resource of this type has a region in its ARN".into(),
                format!("leave the region empty: `{fixed}`"),
            ),
            Problem::RegionField { service, fixed: None } => (
                format!("`{value}` has no region, but `{service}` ARNs of this kind need one"),
                "no resource of this type has an empty region".into(),
                "write the region (`us-east-1`), or `*` for any region".into(),
            ),
            Problem::AccountField { service, fixed: Some(fixed) } => (
                format!("`{value}` names an account, but `{service}` ARNs of this kind have none"),
                "no resource of this type has an account in its ARN".into(),
                format!("leave the account empty: `{fixed}`"),
            ),
            Problem::AccountField { service, fixed: None } => (
                format!("`{value}` has no account, but the catalogue's `{service}` ARNs of this kind have one"),
                "empty account: only AWS-owned resources have none".into(),
                "write the 12-digit account ID, or `*` for any account; keep it empty only for an AWS-owned resource \
                 (SSM documents `AWS-*`, public parameters `parameter/aws/service/...`)"
                    .into(),
            ),
            Problem::Resource { service, resource, formats } => (
                format!("`{value}` matches no `{service}` resource type"),
                format!("`{resource}` fits no `{service}` ARN format"),
                format!(
                    "`{service}` resource ARNs look like {}",
                    formats.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                ),
            ),
        }
    }
}

fn problem(parsed: &ResourceValue, value: &str, catalogue: &Catalogue, scope: Scope) -> Option<Problem> {
    match parsed {
        ResourceValue::Any | ResourceValue::Templated => None,
        ResourceValue::NotArn(NotArn::NoPrefix) if value.trim().is_empty() => Some(Problem::Empty),
        ResourceValue::NotArn(NotArn::NoPrefix) => Some(Problem::NoPrefix),
        ResourceValue::NotArn(NotArn::TooFewFields { found }) => Some(Problem::TooFewFields(*found)),
        ResourceValue::Arn(arn) => arn_problem(arn, value, catalogue, scope),
    }
}

fn arn_problem(arn: &Arn, value: &str, catalogue: &Catalogue, scope: Scope) -> Option<Problem> {
    if arn.fields.len() < 5 {
        // Short, with a `*` or a substitution standing for the rest (`arn:aws:s3:*`).
        return None;
    }
    if let Some(p) = arn.literal(Arn::PARTITION).filter(|p| !PARTITIONS.contains(p)) {
        return Some(Problem::Partition(p.to_string()));
    }
    // Unknown services and wildcard services are not this rule's business.
    let written = arn.literal(Arn::SERVICE)?;
    let service = written.to_ascii_lowercase();
    let own: Vec<&str> = catalogue
        .find_service(&service)
        .map(|id| {
            catalogue
                .service(id)
                .resources
                .iter()
                .flat_map(|r| r.arns.iter().map(|f| f.as_ref()))
                .filter(|f| format_field(f, 2) == Some(service.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let known = || !own.is_empty() || !formats_of_service(catalogue, &service).is_empty();
    if written != service {
        return known().then(|| Problem::ServiceCase { fixed: with_field(arn, Arn::SERVICE, &service) });
    }
    let literal_in = |index: usize, text: &str| own.iter().any(|f| format_field(f, index + 1) == Some(text));
    if let Some(r) = arn.literal(Arn::REGION).filter(|r| !r.is_empty() && !is_region(r) && !literal_in(Arn::REGION, r))
        && known()
    {
        return Some(Problem::Region(r.to_string()));
    }
    if let Some(a) =
        arn.literal(Arn::ACCOUNT).filter(|a| !a.is_empty() && !is_account(a) && !literal_in(Arn::ACCOUNT, a))
        && known()
    {
        return Some(Problem::Account(a.to_string()));
    }
    if scope == Scope::Condition {
        return None;
    }
    if own.iter().any(|f| fits(value, f, Header::Strict)) {
        return None;
    }
    let all = formats_of_service(catalogue, &service);
    if all.is_empty() || all.iter().any(|f| fits(value, f, Header::Strict)) {
        return None;
    }
    diagnose(arn, &service, &all)
}

/// Which field keeps the value from every format: region, account, or the resource part.
/// Each field is tried with well-formed literal values (a `*` there could stand for more
/// than one field and hide the real problem).
fn diagnose(arn: &Arn, service: &str, formats: &[&'static str]) -> Option<Problem> {
    const REGIONS: [&str; 2] = ["", "us-east-1"];
    const ACCOUNTS: [&str; 3] = ["", "123456789012", "aws"];
    let fitting = |candidate: &Arn| {
        let text = join(candidate);
        formats.iter().copied().find(|f| fits(&text, f, Header::Strict))
    };
    let region = arn.field(Arn::REGION)?.text.clone();
    let account = arn.field(Arn::ACCOUNT)?.text.clone();
    let variant = |r: &str, a: &str| {
        let mut copy = arn.clone();
        copy.fields[Arn::REGION].text = r.into();
        copy.fields[Arn::ACCOUNT].text = a.into();
        copy
    };
    for (r, a) in REGIONS
        .iter()
        .map(|r| (*r, account.as_str()))
        .chain(ACCOUNTS.iter().map(|a| (region.as_str(), *a)))
        .chain(REGIONS.iter().flat_map(|r| ACCOUNTS.iter().map(move |a| (*r, *a))))
    {
        let candidate = variant(r, a);
        if fitting(&candidate).is_none() {
            continue;
        }
        // The region is in the way when changing it alone or with the account helps.
        return Some(if r != region {
            Problem::RegionField {
                service: service.into(),
                fixed: (r.is_empty())
                    .then(|| join(&variant("", if a != account && a.is_empty() { "" } else { &account }))),
            }
        } else {
            Problem::AccountField { service: service.into(), fixed: a.is_empty().then(|| join(&candidate)) }
        });
    }
    let resource = arn.field(Arn::RESOURCE)?.text.clone();
    Some(Problem::Resource { service: service.into(), formats: closest(formats, &resource), resource })
}

/// Up to three formats whose resource part starts most like `resource`.
fn closest(formats: &[&'static str], resource: &str) -> Vec<&'static str> {
    let mut ranked: Vec<(usize, &'static str)> = formats
        .iter()
        .map(|f| {
            let part = format_field(f, 5).unwrap_or_default();
            let common = part.bytes().zip(resource.bytes()).take_while(|(a, b)| a == b).count();
            (common, *f)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.len().cmp(&b.1.len())).then_with(|| a.1.cmp(b.1)));
    ranked.into_iter().take(3).map(|(_, f)| f).collect()
}

fn join(arn: &Arn) -> String {
    let mut out = String::from("arn");
    for f in &arn.fields {
        out.push(':');
        out.push_str(&f.text);
    }
    out
}

fn with_field(arn: &Arn, index: usize, text: &str) -> String {
    let mut copy = arn.clone();
    copy.fields[index].text = text.into();
    join(&copy)
}

/// `us-east-1`, `us-gov-west-1`, `eu-isoe-west-1`, `eusc-de-east-1`: letters, dashes and
/// a final number.
fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    let letters = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    parts.len() >= 3
        && (2..=4).contains(&parts[0].len())
        && parts[..parts.len() - 1].iter().all(letters)
        && parts.last().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A 12-digit account ID, or the words AWS uses for its own resources
/// (`arn:aws:iam::aws:policy/...`, Network Firewall's `aws-managed` rule groups).
fn is_account(a: &str) -> bool {
    (a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())) || a == "aws" || a == "aws-managed"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem_of(value: &str) -> Option<Problem> {
        problem(&parse_resource(value), value, Catalogue::bundled(), Scope::Resource)
    }

    fn condition_problem_of(value: &str) -> Option<Problem> {
        problem(&parse_resource(value), value, Catalogue::bundled(), Scope::Condition)
    }

    #[test]
    fn valid_values_stay_silent() {
        for value in [
            "*",
            "arn:aws:s3:::${aws:username}-data/*",
            "arn:*:kms:*:${aws:PrincipalAccount}:key/*",
            "arn:aws:ec2:*:*:subnet/*",
            "arn:${AWS::Partition}:s3:::${BucketName}/*",
            "arn:aws:iam::123456789012:role/path/to/role",
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*",
            "arn:aws:execute-api:*:*:abc/*/GET/*",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:s3:::bucket",
            "arn:aws:s3:*",
            "arn:aws:iam::*",
            "${BucketArn}/*",
            "arn:aws:unknownservice:us-east-1:123456789012:thing/x",
            "arn:aws:*:*:*:*",
            "arn:aws-us-gov:iam::123456789012:user/x",
            "arn:aws:catalog:us-east-1:123456789012:portfolio/port-x",
        ] {
            assert_eq!(problem_of(value), None, "{value}");
        }
    }

    #[test]
    fn invalid_values_are_found() {
        assert_eq!(problem_of("s3:::bucket"), Some(Problem::NoPrefix));
        assert_eq!(problem_of("arn:aws:s3"), Some(Problem::TooFewFields(3)));
        assert_eq!(problem_of("arn:amazon:s3:::b"), Some(Problem::Partition("amazon".into())));
        assert_eq!(problem_of("arn:aws:S3:::b"), Some(Problem::ServiceCase { fixed: "arn:aws:s3:::b".into() }));
        assert_eq!(problem_of("arn:aws:kms:us-east1:123456789012:key/x"), Some(Problem::Region("us-east1".into())));
        assert_eq!(problem_of("arn:aws:kms:useast-1:123456789012:key/x"), Some(Problem::Region("useast-1".into())));
        assert_eq!(problem_of("arn:aws:kms:us-east-1:12345:key/x"), Some(Problem::Account("12345".into())));
        assert!(matches!(problem_of("arn:aws:iam:us-east-1:123456789012:role/x"), Some(Problem::RegionField { .. })));
        assert!(matches!(problem_of("arn:aws:kms:us-east-1::key/x"), Some(Problem::AccountField { fixed: None, .. })));
        assert!(matches!(problem_of("arn:aws:s3::123456789012:b"), Some(Problem::AccountField { fixed: Some(_), .. })));
        assert!(matches!(problem_of("arn:aws:iam::123456789012:roles/x"), Some(Problem::Resource { .. })));
    }

    #[test]
    fn regions() {
        for r in ["us-east-1", "us-gov-west-1", "eu-isoe-west-1", "eusc-de-east-1", "cn-northwest-1", "ap-southeast-5"]
        {
            assert!(is_region(r), "{r}");
        }
        for r in ["us-east1", "useast-1", "US-EAST-1", "us-east-", "global"] {
            assert!(!is_region(r), "{r}");
        }
    }

    #[test]
    fn condition_values_stop_at_the_account() {
        for value in [
            "arn:aws:s3:::my-bucket",
            "arn:aws:iam::*:role/OrgAdmin",
            "arn:aws:iam::111122223333:role/path/deployer",
            "arn:aws:sts::111122223333:assumed-role/r/session",
            "arn:aws:sns:us-east-1:${aws:PrincipalAccount}:topic",
            // The resource part and the region/account layout are not checked.
            "arn:aws:iam::123456789012:roles/x",
            "arn:aws:s3:us-east-1:123456789012:b",
        ] {
            assert_eq!(condition_problem_of(value), None, "{value}");
        }
        assert_eq!(condition_problem_of("s3:::bucket"), Some(Problem::NoPrefix));
        assert_eq!(
            condition_problem_of("arn:aws:S3:::x"),
            Some(Problem::ServiceCase { fixed: "arn:aws:s3:::x".into() })
        );
        assert_eq!(
            condition_problem_of("arn:aws:sqs:us-east1:111122223333:q"),
            Some(Problem::Region("us-east1".into()))
        );
        assert_eq!(condition_problem_of("arn:aws:kms:us-east-1:12345:key/x"), Some(Problem::Account("12345".into())));
    }
}
