use super::{Check, Context, Rule};
use crate::catalogue::keys;
use crate::catalogue::model::KeyType;
use crate::catalogue::{ActionSet, Catalogue};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::operator::{self, Family, Operator};
use crate::policy::{ConditionEntry, ConditionOperator};
use crate::rules::shared::wording;
use crate::source::Spanned;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "condition-type-mismatch",
        severity: Severity::Medium,
        category: Category::Validity,
        summary: "an operator of the wrong type for its key (`Bool` on `aws:SourceArn`) or a value invalid for it (bad CIDR, bad date)",
        doc: include_str!("../../rules/condition-type-mismatch.md"),
    },
    check: Check::Document(check),
};

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            let Some(condition) = &st.condition else { continue };
            // The key's type is read from the actions the statement grants that are known:
            // an unknown action beside them (`unknown-action`'s finding) does not switch
            // the check off.
            let known_actions = !rs.actions.is_empty();
            for (op, entry) in condition.entries() {
                // An unknown operator is `unknown-condition-operator`'s finding; the other
                // entries are still checked.
                let Some(parsed) = operator::parse(&op.name.value) else { continue };
                if known_actions {
                    if let Some(draft) = mismatch(catalogue, &rs.actions, op, &parsed, entry) {
                        ctx.report(draft.in_statement(st).actions(involved(catalogue, &rs.actions)));
                    } else if parsed.base.family == Family::String {
                        for value in &entry.values {
                            if let Some(draft) = text_of_wrong_type(catalogue, &rs.actions, &parsed, op, entry, value) {
                                ctx.report(draft.in_statement(st).actions(involved(catalogue, &rs.actions)));
                            }
                        }
                    }
                }
                for value in &entry.values {
                    if let Some(draft) = bad_value(&parsed, op, entry, value) {
                        ctx.report(draft.in_statement(st).actions(involved(catalogue, &rs.actions)));
                    }
                }
            }
        }
    }
}

/// Whether an operator family compares values of the key's type.
fn compatible(family: Family, key: &str, kind: KeyType) -> bool {
    match (family, kind.element()) {
        (Family::Null, _) | (Family::String, KeyType::String) => true,
        (Family::Arn, KeyType::ARN) | (Family::Numeric, KeyType::Numeric) | (Family::Date, KeyType::Date) => true,
        (Family::Bool, KeyType::Bool) | (Family::IpAddress, KeyType::IPAddress) => true,
        (Family::Binary, KeyType::Binary) => true,
        // `aws:EpochTime` is documented as Date and Numeric (seconds since the epoch).
        (Family::Numeric, KeyType::Date) => key.eq_ignore_ascii_case("aws:EpochTime"),
        // String operators on other types compare the value's text. Other operators on
        // String keys are reported, at a severity that depends on the key (`string_key`).
        (Family::String, _) => true,
        _ => false,
    }
}

/// The operator to write for a key of this type, keeping the negation.
fn operator_for(kind: KeyType, negated: bool) -> &'static str {
    match (kind.element(), negated) {
        (KeyType::ARN, false) => "ArnLike",
        (KeyType::ARN, true) => "ArnNotLike",
        (KeyType::Numeric, false) => "NumericEquals",
        (KeyType::Numeric, true) => "NumericNotEquals",
        (KeyType::Date, false) => "DateGreaterThan",
        (KeyType::Date, true) => "DateNotEquals",
        (KeyType::Bool, _) => "Bool",
        (KeyType::IPAddress, false) => "IpAddress",
        (KeyType::IPAddress, true) => "NotIpAddress",
        (KeyType::Binary, _) => "BinaryEquals",
        (_, false) => "StringEquals",
        (_, true) => "StringNotEquals",
    }
}

/// The concrete actions a finding involves (none listed for `*`).
fn involved(catalogue: &Catalogue, set: &ActionSet) -> Vec<String> {
    if set.is_everything(catalogue) { Vec::new() } else { wording::names(set, catalogue, 20) }
}

fn family_noun(family: Family) -> &'static str {
    match family {
        Family::String => "strings",
        Family::Numeric => "numbers",
        Family::Date => "dates",
        Family::Bool => "booleans",
        Family::Binary => "binary values",
        Family::IpAddress => "IP addresses",
        Family::Arn => "ARNs",
        Family::Null => "presence",
    }
}

fn mismatch(
    catalogue: &Catalogue,
    set: &ActionSet,
    op: &ConditionOperator,
    parsed: &Operator,
    entry: &ConditionEntry,
) -> Option<Draft> {
    let key = &entry.key.value;
    let kind = keys::type_of(catalogue, set, key)?;
    let family = parsed.base.family;
    let meant = parsed.with_base(operator_for(kind, parsed.base.negated));
    if family == Family::String && kind.element() == KeyType::ARN {
        // Exact string comparison of an ARN gives the same result as ArnEquals (and AWS's
        // own examples write `"StringEquals": {"ec2:Vpc": ...}`): nothing to report.
        if !parsed.base.wildcards {
            return None;
        }
        let like = parsed.with_base(if parsed.base.negated { "ArnNotLike" } else { "ArnLike" });
        return Some(
            Draft::new(op.name.span.clone(), format!("string operator `{}` on ARN key `{key}`", op.name.value))
                .label("compares the ARN as plain text")
                .also(entry.key.span.clone(), "an ARN key")
                .severity(Severity::Low)
                .help(format!("write `{like}`: ARN operators compare an ARN field by field"))
                .note(
                    "a string pattern matches the ARN as plain text, so its `*` also spans the `:` between fields \
                     (`arn:aws:iam::*:role/x*` matches any ARN with that text); `ArnLike` matches each of the six \
                     fields separately",
                ),
        );
    }
    if compatible(family, key, kind) {
        return None;
    }
    let (severity, note) = if kind.element() == KeyType::String {
        string_key(catalogue, key, family)?
    } else {
        (
            Severity::Medium,
            "IAM compares the request's value as the operator's type: a value of another type never matches, so the \
             condition does not test what it reads"
                .to_string(),
        )
    };
    Some(
        Draft::new(
            op.name.span.clone(),
            format!("`{}` compares {}, but `{key}` is {} key", op.name.value, family_noun(family), article(kind)),
        )
        .label(format!("compares {}", family_noun(family)))
        .also(entry.key.span.clone(), format!("{} key", article(kind)))
        .help(format!("write `{meant}`, the operator for {} values", type_name(kind)))
        .severity(severity)
        .note(note),
    )
}

/// A non-String operator on a key typed String: how sure the finding is, and its note;
/// `None` when it is left alone.
///
/// The global key table (`rules/catalogue/global-condition-keys.json`) is reviewed by this
/// project, so a global `aws:` key's String type is authoritative (`aws:SourceVpc`,
/// `aws:SourceAccount`). Tag values (`aws:ResourceTag/${TagKey}`) are free text that may
/// hold an ARN or a number (AWS's own policies write `ArnLike` on
/// `aws:RequestTag/AmazonECSCreated`), and service keys come from the Service
/// Authorization Reference, which types many keys String whose values are ARNs, numbers or
/// dates: those findings are `low`, and Arn operators on them (ARN-valued keys such as
/// `kms:EncryptionContext:aws:s3:arn`) are not reported at all.
fn string_key(catalogue: &Catalogue, key: &str, family: Family) -> Option<(Severity, String)> {
    let global = keys::global(catalogue, key).filter(|_| keys::prefix(key).eq_ignore_ascii_case("aws"));
    if let Some(global) = global
        && !keys::is_templated(global.name)
    {
        return Some((
            Severity::Medium,
            format!(
                "`{}` is a global condition key whose values are strings; IAM compares them as {}, so the \
                 condition does not test what it reads",
                global.name,
                family_noun(family)
            ),
        ));
    }
    if family == Family::Arn {
        return None;
    }
    let whose = if global.is_some() { "tag values are free text and the catalogue" } else { "the catalogue" };
    Some((
        Severity::Low,
        format!("{whose} types this key String; if its values are {} this may be intended", family_noun(family)),
    ))
}

/// `a String`, `an ARN`, `an ArrayOfString`.
fn article(kind: KeyType) -> String {
    let name = format!("{kind:?}");
    let vowel = matches!(name.as_bytes()[0], b'A' | b'I' | b'E' | b'O' | b'U');
    format!("{} {name}", if vowel { "an" } else { "a" })
}

fn type_name(kind: KeyType) -> String {
    format!("{:?}", kind.element())
}

fn bad_value(
    parsed: &Operator,
    op: &ConditionOperator,
    entry: &ConditionEntry,
    value: &Spanned<String>,
) -> Option<Draft> {
    let text = value.value.as_str();
    // A policy variable (`${aws:CurrentTime}`) or a template interpolation is valid anywhere.
    if text.contains("${") || text.contains("{{") {
        return None;
    }
    let (what, help) = match parsed.base.family {
        Family::IpAddress if !is_ip_or_cidr(text) => (
            "an IP address or CIDR range",
            "write an IPv4 or IPv6 address or CIDR range, such as `203.0.113.0/24` or `2001:db8::/32`",
        ),
        Family::Date if !is_date(text) => (
            "a date",
            "write an ISO 8601 date or date-time, such as `2025-01-31` or `2025-01-31T23:59:59Z`, or seconds since \
             the epoch, such as `1738367999`",
        ),
        Family::Bool if !is_bool(text) => ("a boolean", "write `true` or `false`"),
        Family::Null if !is_bool(text) => {
            ("a boolean", "write `true` (the key is absent from the request) or `false` (the key is present)")
        }
        Family::Numeric if !is_number(text) => ("a number", "write a number, such as `10` or `3.5`"),
        _ => return None,
    };
    Some(
        Draft::new(value.span.clone(), format!("`{text}` is not {what}, as `{}` requires", op.name.value))
            .label(format!("not {what}"))
            .also(op.name.span.clone(), "the operator")
            .also(entry.key.span.clone(), "the key")
            .help(help)
            .note("a value IAM cannot read as the operator's type never matches the request"),
    )
}

/// A string operator's value that no value of the key can equal: a key typed Numeric,
/// Date, Bool or IPAddress compared as text with a value that is not of that type
/// (`"StringEquals": {"s3:signatureAge": "bad"}`). Patterns are left alone.
fn text_of_wrong_type(
    catalogue: &Catalogue,
    set: &ActionSet,
    parsed: &Operator,
    op: &ConditionOperator,
    entry: &ConditionEntry,
    value: &Spanned<String>,
) -> Option<Draft> {
    let text = value.value.as_str();
    if text.contains("${") || text.contains("{{") || (parsed.base.wildcards && crate::catalogue::has_wildcard(text)) {
        return None;
    }
    let kind = keys::type_of(catalogue, set, &entry.key.value)?;
    let (what, ok) = match kind.element() {
        KeyType::Numeric => ("a number", is_number(text)),
        KeyType::Date => ("a date", is_date(text)),
        KeyType::Bool => ("a boolean", is_bool(text)),
        KeyType::IPAddress => ("an IP address", is_ip_or_cidr(text)),
        _ => return None,
    };
    if ok {
        return None;
    }
    let key = &entry.key.value;
    let meant = parsed.with_base(operator_for(kind, parsed.base.negated));
    Some(
        Draft::new(value.span.clone(), format!("`{text}` is not {what}, but `{key}` is {} key", article(kind)))
            .label(format!("not {what}"))
            .also(op.name.span.clone(), "compares the value as text")
            .also(entry.key.span.clone(), format!("{} key", article(kind)))
            .help(format!("write {what} with `{meant}`, the operator for {} values", type_name(kind)))
            .note("no request value of the key can equal this text: the condition never matches"),
    )
}

fn is_bool(text: &str) -> bool {
    text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false")
}

fn is_number(text: &str) -> bool {
    // Digits, a sign, a decimal point, an exponent: not `NaN` or `inf`, which Rust also reads.
    text.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        && text.bytes().any(|b| b.is_ascii_digit())
        && text.parse::<f64>().is_ok()
}

fn is_ip_or_cidr(text: &str) -> bool {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else { return false };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    bits.is_none_or(|b| {
        !b.is_empty()
            && b.len() <= 3
            && b.bytes().all(|c| c.is_ascii_digit())
            && b.parse::<u32>().is_ok_and(|n| n <= max)
    })
}

/// ISO 8601 (`2025-01-31`, `2025-01-31T23:59:59Z`, `2025-01-31T23:59:59.123+02:00`, the
/// basic form `20250131T235959Z`) or seconds since the epoch.
fn is_date(text: &str) -> bool {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let (date, time) = match text.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let parts: Option<(&str, &str, &str)> = if date.len() == 10 {
        let b = date.as_bytes();
        (b[4] == b'-' && b[7] == b'-').then(|| (&date[..4], &date[5..7], &date[8..]))
    } else if date.len() == 8 {
        Some((&date[..4], &date[4..6], &date[6..]))
    } else {
        None
    };
    let Some((y, m, d)) = parts else { return false };
    let num = |s: &str, lo: u32, hi: u32| {
        s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u32>().is_ok_and(|n| n >= lo && n <= hi)
    };
    if !(num(y, 0, 9999) && y.len() == 4 && num(m, 1, 12) && num(d, 1, 31)) {
        return false;
    }
    let Some(time) = time else { return true };
    // Split off the zone: `Z`, `+hh:mm`, `+hhmm`, `+hh`.
    let (clock, zone) = match time.find(['Z', 'z', '+', '-']) {
        Some(i) => time.split_at(i),
        None => (time, ""),
    };
    let zone_ok = match zone {
        "" | "Z" | "z" => true,
        z => {
            let z = &z[1..];
            let (h, mi) = match z.split_once(':') {
                Some((h, mi)) => (h, mi),
                None if z.len() == 4 => z.split_at(2),
                None => (z, "00"),
            };
            h.len() == 2 && mi.len() == 2 && num(h, 0, 23) && num(mi, 0, 59)
        }
    };
    let (whole, frac) = clock.split_once(['.', ',']).unwrap_or((clock, "0"));
    let fields: Vec<&str> = if whole.contains(':') {
        whole.split(':').collect()
    } else {
        whole.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap_or("x")).collect()
    };
    let clock_ok = (2..=3).contains(&fields.len())
        && fields.iter().all(|f| f.len() == 2)
        && num(fields[0], 0, 24)
        && num(fields[1], 0, 59)
        && fields.get(2).is_none_or(|s| num(s, 0, 60))
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit());
    zone_ok && clock_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dates_as_iam_does() {
        for ok in [
            "2025-01-31",
            "2025-01-31T23:59:59Z",
            "2025-01-31T23:59Z",
            "2025-01-31T23:59:59.123Z",
            "2025-01-31T23:59:59+02:00",
            "2025-01-31T23:59:59-0500",
            "20250131T235959Z",
            "1738367999",
            "0",
        ] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "yesterday",
            "2025/01/31",
            "2025-13-01",
            "2025-01-32",
            "2025-01-31T25:00:00Z",
            "31-01-2025",
            "",
            "2025-01-31T",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn reads_addresses_and_numbers() {
        for ok in ["203.0.113.0/24", "203.0.113.7", "2001:db8::/32", "::1", "10.0.0.0/8"] {
            assert!(is_ip_or_cidr(ok), "{ok}");
        }
        for bad in ["203.0.113.0/33", "10.0.0/8", "10.0.0.300", "2001:db8::/129", "any", "10.0.0.0/", "10.0.0.0/x"] {
            assert!(!is_ip_or_cidr(bad), "{bad}");
        }
        for ok in ["10", "-1", "3.5", "0.25", ".5", "+7"] {
            assert!(is_number(ok), "{ok}");
        }
        for bad in ["ten", "", "1e3x", "NaN", "inf", "1.2.3", ".", "e"] {
            assert!(!is_number(bad), "{bad}");
        }
    }

    #[test]
    fn operator_families_fit_key_types() {
        assert!(compatible(Family::Arn, "aws:SourceArn", KeyType::ARN));
        assert!(compatible(Family::Arn, "k", KeyType::ArrayOfARN));
        assert!(!compatible(Family::Arn, "aws:SourceIp", KeyType::IPAddress));
        assert!(!compatible(Family::Date, "aws:MultiFactorAuthAge", KeyType::Numeric));
        // Other operators on String keys are sorted out by `string_key`.
        assert!(!compatible(Family::Arn, "kms:EncryptionContext:aws:s3:arn", KeyType::String));
        assert!(!compatible(Family::IpAddress, "aws:SourceVpc", KeyType::String));
        assert!(compatible(Family::String, "aws:SourceVpc", KeyType::String));
        assert!(!compatible(Family::Bool, "aws:SourceArn", KeyType::ARN));
        assert!(compatible(Family::Numeric, "aws:EpochTime", KeyType::Date));
        assert!(!compatible(Family::Numeric, "aws:CurrentTime", KeyType::Date));
        assert!(compatible(Family::Null, "aws:SourceIp", KeyType::IPAddress));
        assert!(compatible(Family::String, "aws:SecureTransport", KeyType::Bool));
    }

    #[test]
    fn string_keys_by_origin() {
        let c = Catalogue::bundled();
        let medium = |k, f| string_key(c, k, f).map(|(s, _)| s);
        assert_eq!(medium("aws:SourceVpc", Family::IpAddress), Some(Severity::Medium));
        assert_eq!(medium("AWS:SourceAccount", Family::Arn), Some(Severity::Medium));
        assert_eq!(medium("s3:prefix", Family::Numeric), Some(Severity::Low));
        assert_eq!(medium("kms:EncryptionContext:aws:s3:arn", Family::Arn), None);
        assert_eq!(medium("aws:RequestTag/AmazonECSCreated", Family::Arn), None);
        assert_eq!(medium("aws:ResourceTag/tier", Family::Numeric), Some(Severity::Low));
    }
}
