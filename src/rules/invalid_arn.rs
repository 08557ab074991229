use super::{Check, Context, Rule};
use crate::catalogue::arn::{
    Arn, Header, NotArn, PARTITIONS, ResourceValue, fits, format_field, formats_of_service, parse_resource,
};
use crate::catalogue::model::KeyType;
use crate::catalogue::{ActionSet, Catalogue, arn, keys};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::operator::{self, Family};
use crate::policy::{ConditionEntry, ConditionOperator, Principal};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "invalid-arn",
        severity: Severity::High,
        category: Category::Validity,
        summary: "Resource values, ARN condition values and principals that are not valid ARNs or principal names (prefix, fields, partition, region, account, resource type)",
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
            if let Some(block) = &st.principal
                && let Principal::Map(entries) = &block.principal
            {
                for entry in entries {
                    for v in entry.values.iter().filter(|v| !super::placeholder::claims(&v.value)) {
                        let Some((message, label, help)) = principal_problem(&entry.kind.value, &v.value) else {
                            continue;
                        };
                        let key = if block.negated { "NotPrincipal" } else { "Principal" };
                        let draft = Draft::new(v.span.clone(), message)
                            .label(label)
                            .also(entry.kind.span.clone(), format!("in `{key}.{}`", entry.kind.value))
                            .help(help)
                            .in_statement(st);
                        ctx.report(draft);
                    }
                }
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

/// What is wrong with a Principal or NotPrincipal value of this kind, as (message, label,
/// help); `None` for a valid one, for `*`, for values holding an unresolved template
/// substitution, and for kinds IAM does not have (`malformed-policy` reports those, and
/// partial wildcards in `AWS` values). IAM checks principals when the policy is saved:
/// an `AWS` value is `*`, a 12-digit account ID, the unique ID AWS writes in place of a
/// deleted principal, or the ARN of an account root, user or role (`iam`) or of an
/// assumed-role or federated-user session (`sts`), with no region and a 12-digit account;
/// `Service` a service principal (`ec2.amazonaws.com`); `Federated` a SAML or OIDC
/// provider ARN or a provider's host name (`cognito-identity.amazonaws.com`);
/// `CanonicalUser` 64 hexadecimal digits.
fn principal_problem(kind: &str, value: &str) -> Option<(String, String, String)> {
    if value == "*" || value.contains("${") || value.contains("&{") {
        return None;
    }
    let fields = |found: usize| {
        (
            format!("principal `{value}` has {found} of the 6 fields of an ARN"),
            "an ARN is `arn:partition:service:region:account:resource`".to_string(),
        )
    };
    match kind {
        "AWS" if value.contains('*') => None,
        "AWS" if !value.starts_with("arn:") => {
            if is_account_id(value) || is_unique_id(value) {
                return None;
            }
            Some((
                format!("principal `{value}` is neither an account ID nor an ARN"),
                "IAM rejects it: an AWS principal is a 12-digit account ID or an IAM principal's ARN".into(),
                "write the 12-digit account ID (`123456789012`) or the ARN of the account, user or role                  (`arn:aws:iam::123456789012:role/NAME`)"
                    .into(),
            ))
        }
        "AWS" => {
            let Some([partition, service, region, account, resource]) = arn::split(value) else {
                let (message, label) = fields(value.matches(':').count() + 1);
                return Some((message, label, "write `arn:aws:iam::ACCOUNT:root`, `...:user/NAME` or `...:role/NAME`".into()));
            };
            principal_arn_problem(value, [partition, service, region, account, resource], &["iam", "sts"])
        }
        "Federated" if value.starts_with("arn:") => {
            let Some(parts) = arn::split(value) else {
                let (message, label) = fields(value.matches(':').count() + 1);
                return Some((message, label, "write `arn:aws:iam::ACCOUNT:saml-provider/NAME` or `...:oidc-provider/HOST`".into()));
            };
            principal_arn_problem(value, parts, &["iam"])
        }
        "Federated" => (!is_host(value)).then(|| {
            (
                format!("federated principal `{value}` is neither a provider ARN nor a provider's host name"),
                "IAM rejects it".into(),
                "write the identity provider's ARN (`arn:aws:iam::123456789012:oidc-provider/HOST`) or a built-in                  provider's host (`cognito-identity.amazonaws.com`, `accounts.google.com`)"
                    .into(),
            )
        }),
        "Service" => (!is_service_principal(value)).then(|| {
            let fixed = value.to_ascii_lowercase();
            let help = if fixed != value && is_service_principal(&fixed) {
                format!("service principals are lower case: write `{fixed}`")
            } else if !value.contains('.') && !value.contains(':') && is_host(&format!("{fixed}.amazonaws.com")) {
                format!("write the service principal `{fixed}.amazonaws.com`")
            } else {
                "write the service's principal name, such as `ec2.amazonaws.com` or `lambda.amazonaws.com`".into()
            };
            (
                format!("`{value}` is not a service principal"),
                "a service principal is the service's lower-case host name (`SERVICE.amazonaws.com`)".into(),
                help,
            )
        }),
        "CanonicalUser" => {
            (!(value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))).then(|| {
                (
                    format!("canonical user ID `{value}` is not 64 hexadecimal digits"),
                    format!("{} characters; an S3 canonical user ID has 64 hexadecimal digits", value.chars().count()),
                    "write the account's canonical user ID as S3 reports it (`aws s3api list-buckets --query Owner.ID`)"
                        .into(),
                )
            })
        }
        _ => None,
    }
}

/// The fields of a principal ARN checked: partition, service (one of `services`), no
/// region, a 12-digit account, and a principal resource of the service.
fn principal_arn_problem(
    value: &str,
    [partition, service, region, account, resource]: [&str; 5],
    services: &[&str],
) -> Option<(String, String, String)> {
    let iam_only = services == ["iam"];
    let kinds = if iam_only {
        "`saml-provider/NAME` or `oidc-provider/HOST`"
    } else {
        "`root`, `user/NAME` or `role/NAME` (`iam`), `assumed-role/ROLE/SESSION` or `federated-user/NAME` (`sts`)"
    };
    if !PARTITIONS.contains(&partition) {
        return Some((
            format!("unknown partition `{partition}` in principal `{value}`"),
            format!("`{partition}` is not an AWS partition"),
            format!("write `aws` (or {})", PARTITIONS[1..].join(", ")),
        ));
    }
    if !services.contains(&service) {
        return Some((
            format!("principal `{value}` is not an IAM or STS principal ARN"),
            format!("`{service}` ARNs name no principal"),
            format!("a principal ARN is `arn:aws:{}::ACCOUNT:...` naming {kinds}", services.join("` or `arn:aws:")),
        ));
    }
    if !region.is_empty() {
        let fixed = format!("arn:{partition}:{service}::{account}:{resource}");
        return Some((
            format!("principal `{value}` names a region"),
            format!("`{service}` principal ARNs have no region"),
            format!("leave the region empty: `{fixed}`"),
        ));
    }
    if !is_account_id(account) {
        let (message, label) = if account.is_empty() {
            (format!("principal `{value}` has no account"), "the account field is empty".to_string())
        } else {
            (format!("malformed account `{account}` in principal `{value}`"), format!("`{account}` is not 12 digits"))
        };
        return Some((
            message,
            label,
            format!("write the 12-digit account ID: `arn:{partition}:{service}::123456789012:{resource}`"),
        ));
    }
    let named = |prefix: &str, parts: usize| {
        resource.strip_prefix(prefix).is_some_and(|rest| {
            let segments: Vec<&str> = rest.split('/').collect();
            segments.len() >= parts && segments.iter().all(|s| !s.is_empty())
        })
    };
    let fits = match service {
        "iam" if iam_only => named("saml-provider/", 1) || named("oidc-provider/", 1),
        "iam" => resource == "root" || named("user/", 1) || named("role/", 1),
        _ => named("assumed-role/", 2) || named("federated-user/", 1),
    };
    (!fits).then(|| {
        (
            format!("principal `{value}` is not the ARN of a kind of principal"),
            format!("`{resource}` is not a principal of `{service}`"),
            format!("a principal ARN names {kinds}"),
        )
    })
}

/// A 12-digit account ID.
fn is_account_id(a: &str) -> bool {
    a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())
}

/// The unique ID AWS writes in a policy in place of a principal that was deleted
/// (`AROA...` for a role, `AIDA...` for a user): IAM shows it, so it is not the author's
/// mistake.
fn is_unique_id(v: &str) -> bool {
    ["AIDA", "AROA", "AGPA", "ANPA", "AIPA"].iter().any(|p| v.starts_with(p))
        && v.len() >= 16
        && v.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A host name: lower-case labels of letters, digits and `-`, at least two of them.
fn is_host(v: &str) -> bool {
    let labels: Vec<&str> = v.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
}

/// A service principal: a host name under one of the domains AWS service principals use
/// (`ec2.amazonaws.com`, `states.eu-west-1.amazonaws.com`, `ec2.amazonaws.com.cn`,
/// `alexa-appkit.amazon.com`, the ISO partitions' `c2s.ic.gov` and `sc2s.sgov.gov`).
fn is_service_principal(v: &str) -> bool {
    const DOMAINS: [&str; 5] = [".amazonaws.com", ".amazonaws.com.cn", ".amazon.com", ".c2s.ic.gov", ".sc2s.sgov.gov"];
    is_host(v) && DOMAINS.iter().any(|d| v.len() > d.len() && v.ends_with(d))
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
    fn principals_are_validated() {
        for (kind, value) in [
            ("AWS", "*"),
            ("AWS", "123456789012"),
            ("AWS", "arn:aws:iam::123456789012:root"),
            ("AWS", "arn:aws:iam::123456789012:role/path/deployer"),
            ("AWS", "arn:aws:iam::123456789012:user/alice"),
            ("AWS", "arn:aws:sts::123456789012:assumed-role/deployer/session-1"),
            ("AWS", "arn:aws:sts::123456789012:federated-user/bob"),
            ("AWS", "arn:aws-cn:iam::123456789012:root"),
            ("AWS", "AROA1234567890EXAMPLE"),
            ("AWS", "arn:aws:iam::${AWS::AccountId}:root"),
            ("Service", "ec2.amazonaws.com"),
            ("Service", "states.eu-west-1.amazonaws.com"),
            ("Service", "ec2.amazonaws.com.cn"),
            ("Service", "alexa-appkit.amazon.com"),
            ("Federated", "arn:aws:iam::123456789012:saml-provider/Okta"),
            ("Federated", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"),
            ("Federated", "cognito-identity.amazonaws.com"),
            ("Federated", "accounts.google.com"),
            ("CanonicalUser", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"),
        ] {
            assert_eq!(principal_problem(kind, value), None, "{kind} {value}");
        }
        for (kind, value, says) in [
            ("AWS", "arn:aws:iam:::role/x", "has no account"),
            ("AWS", "arn:aws:iam::12345:role/x", "malformed account `12345`"),
            ("AWS", "arn:aws:iam:us-east-1:123456789012:role/x", "names a region"),
            ("AWS", "arn:aws:iam::123456789012:group/admins", "not the ARN of a kind of principal"),
            ("AWS", "arn:aws:sts::123456789012:assumed-role/deployer", "not the ARN of a kind of principal"),
            ("AWS", "arn:aws:s3:::bucket", "is not an IAM or STS principal ARN"),
            ("AWS", "arn:amazon:iam::123456789012:root", "unknown partition"),
            ("AWS", "arn:aws:iam", "has 3 of the 6 fields"),
            ("AWS", "deployer", "neither an account ID nor an ARN"),
            ("Service", "ec2", "not a service principal"),
            ("Service", "EC2.amazonaws.com", "not a service principal"),
            ("Service", "arn:aws:iam::123456789012:role/x", "not a service principal"),
            ("Federated", "arn:aws:iam::123456789012:role/x", "not the ARN of a kind of principal"),
            ("Federated", "Okta", "neither a provider ARN"),
            ("CanonicalUser", "79a59df900b949e55d96a1e698fbaced", "not 64 hexadecimal digits"),
        ] {
            let found = principal_problem(kind, value).map(|(m, _, _)| m);
            assert!(found.as_deref().is_some_and(|m| m.contains(says)), "{kind} {value}: {found:?}");
        }
        assert_eq!(
            principal_problem("Service", "ec2").map(|(_, _, h)| h).as_deref(),
            Some("write the service principal `ec2.amazonaws.com`")
        );
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
