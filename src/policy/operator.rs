//! Condition operator names: `ForAnyValue:StringLikeIfExists` is the set qualifier
//! `ForAnyValue:`, the operator `StringLike` and the `IfExists` suffix. The operators
//! themselves are data (`rules/packs/condition-operators.json`).
//!
//! IAM compares operator names case-sensitively: `stringEquals` is rejected with
//! `MalformedPolicyDocument: Invalid Condition type`.

use crate::packs::pack;
use serde::Deserialize;
use std::fmt;
use std::sync::OnceLock;

const IF_EXISTS: &str = "IfExists";
/// Names longer than this are not near misses of any operator.
const LONGEST: usize = 64;

/// The type of value an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    IpAddress,
    Arn,
    /// `Null`: whether the key is absent from the request context.
    Null,
}

/// One IAM condition operator, as the pack describes it.
#[derive(Debug, Deserialize)]
pub struct OperatorDef {
    pub name: String,
    pub family: Family,
    /// Whether `IfExists` may follow the name (every operator but `Null`).
    pub if_exists: bool,
    /// True when no value matches, and when the key is absent (`StringNotEquals`).
    pub negated: bool,
    /// `*` and `?` in values are wildcards (the Like operators; `ArnEquals` behaves as `ArnLike`).
    pub wildcards: bool,
    /// The operator to write when the values are patterns (`StringEquals` -> `StringLike`).
    #[serde(default)]
    pub like: Option<String>,
    /// The AWS documentation of the operator.
    pub reference: String,
}

/// `ForAllValues:` / `ForAnyValue:`: the key is multi-valued and each of its values is
/// tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

impl SetQualifier {
    pub const ALL: [SetQualifier; 2] = [SetQualifier::ForAllValues, SetQualifier::ForAnyValue];

    pub fn as_str(self) -> &'static str {
        match self {
            SetQualifier::ForAllValues => "ForAllValues",
            SetQualifier::ForAnyValue => "ForAnyValue",
        }
    }
}

/// A valid operator name, taken apart.
#[derive(Debug, Clone, Copy)]
pub struct Operator {
    pub qualifier: Option<SetQualifier>,
    pub base: &'static OperatorDef,
    pub if_exists: bool,
}

impl Operator {
    /// The same qualifier and suffix around another operator: `ForAnyValue:StringEquals`
    /// with `StringLike` gives `ForAnyValue:StringLike`.
    pub fn with_base(&self, base: &str) -> String {
        compose(self.qualifier, base, self.if_exists)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_base(&self.base.name))
    }
}

#[derive(Deserialize)]
struct Pack {
    qualifiers: Vec<String>,
    operators: Vec<OperatorDef>,
}

fn pack() -> &'static [OperatorDef] {
    static OPERATORS: OnceLock<Vec<OperatorDef>> = OnceLock::new();
    OPERATORS.get_or_init(|| {
        let pack: Pack = pack!("condition-operators.json");
        debug_assert!(pack.qualifiers.iter().map(String::as_str).eq(SetQualifier::ALL.map(SetQualifier::as_str)));
        pack.operators
    })
}

/// Every IAM condition operator (without qualifier or suffix).
pub fn operators() -> &'static [OperatorDef] {
    pack()
}

/// The operator named exactly `name` (no qualifier, no suffix).
pub fn find(name: &str) -> Option<&'static OperatorDef> {
    pack().iter().find(|op| op.name == name)
}

/// Takes a Condition operator name apart, exactly as IAM reads it; `None` when IAM
/// would reject it.
pub fn parse(name: &str) -> Option<Operator> {
    let (qualifier, rest) = match name.split_once(':') {
        Some((q, rest)) => (Some(SetQualifier::ALL.into_iter().find(|s| s.as_str() == q)?), rest),
        None => (None, name),
    };
    if let Some(base) = find(rest) {
        return Some(Operator { qualifier, base, if_exists: false });
    }
    let base = find(rest.strip_suffix(IF_EXISTS)?)?;
    base.if_exists.then_some(Operator { qualifier, base, if_exists: true })
}

/// Why a name is not an operator, and what was probably meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// A valid name but for case (`stringEquals`) or surrounding spaces.
    Spelling { meant: String },
    /// `NullIfExists`: `Null` already tests whether the key exists.
    NullIfExists { meant: String },
    /// A near miss (`StringEqual`, `ForAllValue:StringLike`).
    Typo { meant: String },
    /// A qualifier other than `ForAllValues:` / `ForAnyValue:`, not close to either.
    Qualifier { qualifier: String },
    /// `aws:SourceArn`: a condition key where the operator belongs.
    ConditionKey,
    /// Nothing close.
    Unrecognised,
}

impl Unknown {
    /// The operator the author probably meant, when there is a good guess.
    pub fn meant(&self) -> Option<&str> {
        match self {
            Unknown::Spelling { meant } | Unknown::NullIfExists { meant } | Unknown::Typo { meant } => Some(meant),
            Unknown::Qualifier { .. } | Unknown::ConditionKey | Unknown::Unrecognised => None,
        }
    }
}

/// Explains a name that `parse` rejects (`None` for a valid name).
pub fn diagnose(name: &str) -> Option<Unknown> {
    if parse(name).is_some() {
        return None;
    }
    let trimmed = name.trim();
    // The longest operator is `ForAllValues:StringNotEqualsIgnoreCaseIfExists`; do not
    // measure the distance to a megabyte of text.
    if trimmed.len() > LONGEST {
        return Some(Unknown::Unrecognised);
    }
    let (qualifier, rest) = match trimmed.split_once(':') {
        Some((q, rest)) => {
            let q = q.trim();
            let qualifier = if q.is_empty() {
                (None, false)
            } else {
                let Some((qualifier, exact)) = closest_qualifier(q) else {
                    if !q.to_ascii_lowercase().starts_with("for") {
                        return Some(Unknown::ConditionKey);
                    }
                    return Some(Unknown::Qualifier { qualifier: q.to_string() });
                };
                (Some(qualifier), exact)
            };
            (qualifier, rest.trim())
        }
        None => ((None, true), trimmed),
    };
    // `StringEquals:IfExists`: a second colon is never right.
    let colons = rest.contains(':');
    let joined = rest.replace(':', "");
    let (rest, if_exists, suffix_exact) = split_if_exists(&joined);
    let Some((base, base_exact)) = closest_base(rest) else { return Some(Unknown::Unrecognised) };
    let exact = qualifier.1 && suffix_exact && base_exact && !colons;
    if base.family == Family::Null && if_exists {
        return Some(Unknown::NullIfExists { meant: compose(qualifier.0, &base.name, false) });
    }
    let meant = compose(qualifier.0, &base.name, if_exists);
    Some(if exact { Unknown::Spelling { meant } } else { Unknown::Typo { meant } })
}

fn compose(qualifier: Option<SetQualifier>, base: &str, if_exists: bool) -> String {
    let mut out = String::new();
    if let Some(q) = qualifier {
        out.push_str(q.as_str());
        out.push(':');
    }
    out.push_str(base);
    if if_exists {
        out.push_str(IF_EXISTS);
    }
    out
}

/// A misspelt name is taken for the one it resembles when they are this similar
/// (Jaro-Winkler, which favours a shared prefix) and at most `EDITS` edits apart (so that
/// `StringContains` is not taken for `StringNotEquals` for sharing `String`).
const CLOSE: f64 = 0.88;
const EDITS: usize = 4;

fn close(candidate: &str, lower: &str) -> Option<f64> {
    // No operator name is longer than 40 characters: a long value is compared with none.
    if lower.len() > 64 {
        return None;
    }
    let candidate = candidate.to_ascii_lowercase();
    let score = strsim::jaro_winkler(&candidate, lower);
    (score >= CLOSE && strsim::levenshtein(&candidate, lower) <= EDITS).then_some(score)
}

/// The set qualifier `q` stands for, and whether it is that qualifier but for case.
fn closest_qualifier(q: &str) -> Option<(SetQualifier, bool)> {
    let lower = q.to_ascii_lowercase();
    SetQualifier::ALL
        .into_iter()
        .filter_map(|s| Some((close(s.as_str(), &lower)?, s)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(score, s)| (s, score == 1.0))
}

/// Splits an `IfExists` suffix off, whatever its case (and `IfExist`); the last flag
/// says whether the suffix, if any, is `IfExists` but for case.
fn split_if_exists(rest: &str) -> (&str, bool, bool) {
    let lower = rest.to_ascii_lowercase();
    for (suffix, exact) in [("ifexists", true), ("ifexist", false)] {
        if lower.ends_with(suffix) && lower.len() > suffix.len() {
            return (&rest[..rest.len() - suffix.len()], true, exact);
        }
    }
    (rest, false, true)
}

/// The operator `name` stands for, and whether it is that operator but for case.
fn closest_base(name: &str) -> Option<(&'static OperatorDef, bool)> {
    let lower = name.to_ascii_lowercase();
    if let Some(op) = pack().iter().find(|op| op.name.to_ascii_lowercase() == lower) {
        return Some((op, true));
    }
    pack()
        .iter()
        .filter_map(|op| Some((close(&op.name, &lower)?, op)))
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.name.cmp(&a.1.name)))
        .map(|(_, op)| (op, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(name: &str) -> Option<(Option<SetQualifier>, &'static str, bool)> {
        parse(name).map(|op| (op.qualifier, op.base.name.as_str(), op.if_exists))
    }

    #[test]
    fn the_pack_lists_every_operator_once() {
        assert_eq!(operators().len(), 27);
        for op in operators() {
            assert_eq!(operators().iter().filter(|o| o.name == op.name).count(), 1, "{}", op.name);
            assert!(op.reference.starts_with("https://docs.aws.amazon.com/"), "{}", op.name);
            assert_eq!(op.if_exists, op.family != Family::Null, "{}", op.name);
            if let Some(like) = &op.like {
                assert!(find(like).is_some_and(|l| l.wildcards && l.family == op.family), "{}", op.name);
            }
        }
    }

    #[test]
    fn takes_valid_names_apart() {
        assert_eq!(parts("StringEquals"), Some((None, "StringEquals", false)));
        assert_eq!(parts("StringEqualsIfExists"), Some((None, "StringEquals", true)));
        assert_eq!(parts("ForAnyValue:StringLike"), Some((Some(SetQualifier::ForAnyValue), "StringLike", false)));
        assert_eq!(
            parts("ForAllValues:ArnNotLikeIfExists"),
            Some((Some(SetQualifier::ForAllValues), "ArnNotLike", true))
        );
        assert_eq!(parts("Null"), Some((None, "Null", false)));
        assert_eq!(parts("BoolIfExists"), Some((None, "Bool", true)));
        assert_eq!(parts("NotIpAddressIfExists"), Some((None, "NotIpAddress", true)));
        assert_eq!(parse("ForAnyValue:StringLikeIfExists").unwrap().to_string(), "ForAnyValue:StringLikeIfExists");
    }

    #[test]
    fn rejects_what_iam_rejects() {
        for name in [
            "stringEquals",
            "StringEqual",
            "NullIfExists",
            "ForAllValue:StringLike",
            "ForSomeValue:StringEquals",
            "ForAllValues:StringEquals:IfExists",
            "StringEqualsIfExistsIfExists",
            "IfExists",
            " StringEquals",
            "",
            ":StringEquals",
        ] {
            assert!(parse(name).is_none(), "{name}");
            assert!(diagnose(name).is_some(), "{name}");
        }
        assert_eq!(diagnose("StringEquals"), None);
    }

    #[test]
    fn suggests_what_was_meant() {
        let meant = |name: &str| diagnose(name).and_then(|u| u.meant().map(str::to_string));
        assert_eq!(diagnose("stringequals"), Some(Unknown::Spelling { meant: "StringEquals".into() }));
        assert_eq!(diagnose("IPAddress"), Some(Unknown::Spelling { meant: "IpAddress".into() }));
        assert_eq!(diagnose(" StringLike "), Some(Unknown::Spelling { meant: "StringLike".into() }));
        assert_eq!(
            diagnose("forallvalues:stringlikeifexists"),
            Some(Unknown::Spelling { meant: "ForAllValues:StringLikeIfExists".into() })
        );
        assert_eq!(diagnose("StringEqual"), Some(Unknown::Typo { meant: "StringEquals".into() }));
        assert_eq!(meant("StringNotEqual"), Some("StringNotEquals".into()));
        assert_eq!(meant("ArnEqual"), Some("ArnEquals".into()));
        assert_eq!(meant("Boolean"), Some("Bool".into()));
        assert_eq!(meant("StringEqualsIgnoresCase"), Some("StringEqualsIgnoreCase".into()));
        assert_eq!(meant("ForAllValue:StringLike"), Some("ForAllValues:StringLike".into()));
        assert_eq!(meant("ForAnyValues:StringEquals"), Some("ForAnyValue:StringEquals".into()));
        assert_eq!(meant("StringEqualsIfExist"), Some("StringEqualsIfExists".into()));
        assert_eq!(meant("NumericLessThanEqual"), Some("NumericLessThanEquals".into()));
        assert_eq!(diagnose("NullIfExists"), Some(Unknown::NullIfExists { meant: "Null".into() }));
        assert_eq!(
            diagnose("ForSomeValue:StringEquals"),
            Some(Unknown::Qualifier { qualifier: "ForSomeValue".into() })
        );
        assert_eq!(diagnose("Contains"), Some(Unknown::Unrecognised));
        assert_eq!(diagnose("aws:SourceArn"), Some(Unknown::ConditionKey));
        assert_eq!(diagnose(&"StringEquals".repeat(10_000)), Some(Unknown::Unrecognised));
        assert_eq!(meant("stringnotequalsignorecaseifexists"), Some("StringNotEqualsIgnoreCaseIfExists".into()));
        assert_eq!(diagnose("StringContains"), Some(Unknown::Unrecognised));
        assert_eq!(meant("NumericGreaterThanOrEquals"), Some("NumericGreaterThanEquals".into()));
        assert_eq!(
            diagnose("ForAllValues:StringEquals:IfExists"),
            Some(Unknown::Typo { meant: "ForAllValues:StringEqualsIfExists".into() })
        );
        assert_eq!(meant(":StringEquals"), Some("StringEquals".into()));
    }

    #[test]
    fn keeps_qualifier_and_suffix_around_another_base() {
        let op = parse("ForAnyValue:StringEqualsIfExists").unwrap();
        assert_eq!(op.with_base("StringLike"), "ForAnyValue:StringLikeIfExists");
    }
}
