use super::{Check, Context, Rule};
use crate::catalogue::Catalogue;
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::policy::operator::{self, Family};
use crate::policy::{ConditionEntry, ConditionOperator, Statement};
use crate::resolve::ResolvedStatement;
use crate::rules::shared::wording;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "mfa-condition-antipattern",
        severity: Severity::High,
        category: Category::Suspicious,
        summary: "an `aws:MultiFactorAuthPresent` condition that does not require MFA the way it reads",
        doc: include_str!("../../rules/mfa-condition-antipattern.md"),
    },
    check: Check::Document(check),
};

const KEY: &str = "aws:MultiFactorAuthPresent";

/// The three kinds of request, as `aws:MultiFactorAuthPresent` sees them (global
/// condition keys page, #condition-keys-multifactorauthpresent): the key is absent for
/// long-term access keys, `false` for temporary credentials without MFA, `true` with MFA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Requests {
    long_term: bool,
    no_mfa: bool,
    mfa: bool,
}

impl Requests {
    const ALL: Requests = Requests { long_term: true, no_mfa: true, mfa: true };

    fn and(self, other: Requests) -> Requests {
        Requests {
            long_term: self.long_term && other.long_term,
            no_mfa: self.no_mfa && other.no_mfa,
            mfa: self.mfa && other.mfa,
        }
    }
}

/// How an entry tests the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    /// `Null`: whether the key is present.
    Null,
    /// A string operator comparing the key's text with `true`/`false`.
    String,
}

/// An entry on the key, and the requests it matches.
struct Test<'a> {
    op: &'a ConditionOperator,
    entry: &'a ConditionEntry,
    kind: Kind,
    matches: Requests,
}

impl Test<'_> {
    /// The operator as the message names it: `Bool`, or "string operator `StringEquals`".
    fn subject(&self) -> String {
        match self.kind {
            Kind::String => format!("string operator `{}`", self.op.name.value),
            Kind::Bool | Kind::Null => format!("`{}`", self.op.name.value),
        }
    }
}

/// A statement that tests the key, and what its tests let through together.
struct Mfa<'a> {
    st: &'a Statement,
    rs: &'a ResolvedStatement,
    tests: Vec<Test<'a>>,
    /// Conditions are ANDed: the requests every test on the key matches.
    matches: Requests,
}

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        let found: Vec<Mfa<'_>> = resolved.statements().filter_map(|(st, rs)| mfa(st, rs)).collect();
        for s in &found {
            if fixed_by_other_denies(s, &found, catalogue) {
                continue;
            }
            let Some(mut draft) = finding(s) else { continue };
            // The actions whose MFA requirement is not what it reads (not every action
            // of AWS for a `*`).
            if !s.rs.actions.is_everything(catalogue) {
                draft = draft.actions(wording::names(&s.rs.actions, catalogue, wording::ACTIONS_CAP));
            }
            ctx.report(draft.in_statement(s.st));
        }
    }
}

fn mfa<'a>(st: &'a Statement, rs: &'a ResolvedStatement) -> Option<Mfa<'a>> {
    let condition = st.condition.as_ref()?;
    let mut tests = Vec::new();
    for (op, entry) in condition.entries() {
        if entry.key.value.eq_ignore_ascii_case(KEY) {
            // Anything else on the key (set qualifiers, other operators, values that are
            // not booleans) is another rule's finding: say nothing rather than guess.
            tests.push(test(op, entry)?);
        }
    }
    let matches = tests.iter().fold(Requests::ALL, |m, t| m.and(t.matches));
    (!tests.is_empty()).then_some(Mfa { st, rs, tests, matches })
}

/// Whether other Deny statements of the policy refuse, for all of this statement's
/// actions, the requests without MFA that this one lets through: a Deny with `Bool` false
/// next to a Deny with `Null` true, or an Allow with `BoolIfExists` true under a Deny
/// with `BoolIfExists` false, require MFA together.
fn fixed_by_other_denies(s: &Mfa<'_>, found: &[Mfa<'_>], catalogue: &Catalogue) -> bool {
    let m = s.matches;
    // Actions the catalogue does not know (an empty set) cannot be shown to be covered.
    if s.rs.actions.is_empty() {
        return false;
    }
    // Only when the statement does let MFA requests through (a Deny refuses none of them,
    // an Allow allows them): other statements cannot undo an over-broad Deny.
    let (long_term, no_mfa) = if s.st.is_deny() && !m.mfa {
        (!m.long_term, !m.no_mfa)
    } else if s.st.is_allow() && m.mfa {
        (m.long_term, m.no_mfa)
    } else {
        return false;
    };
    let denied = |kind: fn(Requests) -> bool| {
        let mut rest = s.rs.actions.clone();
        for t in found.iter().filter(|t| t.st.is_deny() && !std::ptr::eq(t.st, s.st) && kind(t.matches)) {
            rest.subtract(&t.rs.actions, catalogue);
        }
        rest.is_empty()
    };
    (long_term || no_mfa) && (!long_term || denied(|r| r.long_term)) && (!no_mfa || denied(|r| r.no_mfa))
}

fn finding(s: &Mfa<'_>) -> Option<Draft> {
    let first = s.tests.first()?;
    let draft = if s.st.is_deny() {
        deny(first, s.matches)?
    } else if s.st.is_allow() {
        allow(first, s.matches)?
    } else {
        return None;
    };
    let mut draft = draft.also(first.op.name.span.clone(), operator_label(first));
    for t in &s.tests[1..] {
        draft = draft.also(t.entry.key.span.clone(), format!("and this `{}` test", t.op.name.value));
    }
    Some(draft)
}

/// What the operator does with the key, for its label.
fn operator_label(t: &Test<'_>) -> String {
    let name = &t.op.name.value;
    if t.kind == Kind::Null {
        format!("`{name}` tests only whether the key is present")
    } else if t.kind == Kind::String && t.matches.long_term {
        format!("`{name}` compares the key as text, and matches when the key is absent")
    } else if t.kind == Kind::String {
        format!("`{name}` compares the key as text, and does not match when the key is absent")
    } else if t.matches.long_term {
        format!("`{name}` matches when the key is absent")
    } else {
        format!("`{name}` does not match when the key is absent")
    }
}

fn test<'a>(op: &'a ConditionOperator, entry: &'a ConditionEntry) -> Option<Test<'a>> {
    let parsed = operator::parse(&op.name.value)?;
    if parsed.qualifier.is_some() {
        return None;
    }
    let family = parsed.base.family;
    // The request carries `true` or `false`: a case-sensitive string operator matches only
    // those spellings (`StringEquals` with "False" never matches; left alone).
    let exact = family == Family::String && !parsed.base.name.contains("IgnoreCase");
    let (mut has_true, mut has_false) = (false, false);
    for v in &entry.values {
        let text = if exact { v.value.clone() } else { v.value.to_ascii_lowercase() };
        match text.as_str() {
            "true" => has_true = true,
            "false" => has_false = true,
            _ => return None,
        }
    }
    if !(has_true || has_false) {
        return None;
    }
    let (kind, matches) = match family {
        // `Bool` does not match an absent key; `BoolIfExists` does.
        Family::Bool => (Kind::Bool, Requests { long_term: parsed.if_exists, no_mfa: has_false, mfa: has_true }),
        // `Null: true` matches an absent key, `false` a present one, whatever its value.
        Family::Null => (Kind::Null, Requests { long_term: has_true, no_mfa: has_false, mfa: has_false }),
        // A negated operator (`StringNotEquals`) matches when no value does, and when the
        // key is absent (with or without `IfExists`).
        Family::String if parsed.base.negated => {
            (Kind::String, Requests { long_term: true, no_mfa: !has_false, mfa: !has_true })
        }
        // Otherwise as `Bool`: an absent key matches only with `IfExists`.
        Family::String => (Kind::String, Requests { long_term: parsed.if_exists, no_mfa: has_false, mfa: has_true }),
        _ => return None,
    };
    Some(Test { op, entry, kind, matches })
}

/// The finding, underlining the key of the test.
fn at_key(t: &Test<'_>, message: String, label: &str) -> Draft {
    Draft::new(t.entry.key.span.clone(), message).label(label.to_string())
}

const DENY_HELP: &str = "write \"BoolIfExists\": {\"aws:MultiFactorAuthPresent\": \"false\"}: it denies requests made \
                         without MFA, whether with temporary credentials or long-term access keys";
const ALLOW_HELP: &str = "write \"Bool\": {\"aws:MultiFactorAuthPresent\": \"true\"}: it allows only requests \
                          authenticated with MFA";
const NULL_NOTE: &str = "`Null` tests whether the key is present, that is whether the request was signed with \
                         temporary credentials, not whether MFA was used";

/// The note for a test that matches only a present key (whatever its value) or only an
/// absent one: `Null`, or `Bool`/a string operator with both values or negated.
fn presence_note(t: &Test<'_>, absent_only: bool, outcome: &str) -> String {
    let name = &t.op.name.value;
    match (t.kind, absent_only) {
        (Kind::Null, _) => format!("{NULL_NOTE}: {outcome}"),
        (_, true) => format!(
            "`{name}` with these values matches only when the key is absent, that is for requests signed with \
             long-term access keys, not whether MFA was used: {outcome}"
        ),
        (_, false) => format!(
            "`{name}` with both `true` and `false` matches whenever the key is present, that is every request signed \
             with temporary credentials, not whether MFA was used: {outcome}"
        ),
    }
}

/// A string operator compares the key as text: say so, and which operator to write.
fn string_note(t: &Test<'_>, note: String) -> String {
    if t.kind == Kind::String {
        format!("{note}; `{}` is a string operator on a boolean key: use `Bool`/`BoolIfExists`", t.op.name.value)
    } else {
        note
    }
}

/// A Deny means to refuse what was not authenticated with MFA: long-term access keys and
/// temporary credentials without MFA.
fn deny(t: &Test<'_>, m: Requests) -> Option<Draft> {
    let (name, subject) = (&t.op.name.value, t.subject());
    let draft = match (m.long_term, m.no_mfa, m.mfa) {
        (false, true, false) => at_key(
            t,
            format!("{subject} on `{KEY}` in a Deny misses requests signed with long-term access keys"),
            "denies only temporary credentials without MFA",
        )
        .help(DENY_HELP)
        .note(string_note(
            t,
            format!(
                "the key is absent (not false) for requests signed with an IAM user's access keys, so `{name}` does \
                 not match them and they are not denied"
            ),
        )),
        (true, false, false) => at_key(
            t,
            format!("{subject} on `{KEY}` in a Deny misses temporary credentials without MFA"),
            "denies only requests signed with long-term access keys",
        )
        .help(DENY_HELP)
        .note(string_note(t, presence_note(t, true, "console sessions and roles without MFA are not denied"))),
        (false, true, true) => at_key(
            t,
            format!("{subject} on `{KEY}` in a Deny denies temporary credentials with or without MFA"),
            "denies every request signed with temporary credentials",
        )
        .help(DENY_HELP)
        .note(string_note(
            t,
            presence_note(t, false, "requests with MFA are denied, long-term access keys without MFA are not"),
        ))
        .severity(Severity::Medium),
        _ => return None,
    };
    Some(draft)
}

/// An Allow means to grant only what was authenticated with MFA.
fn allow(t: &Test<'_>, m: Requests) -> Option<Draft> {
    let (name, subject) = (&t.op.name.value, t.subject());
    let draft = match (m.long_term, m.no_mfa, m.mfa) {
        // `medium`, not the rule's `high`: MFA requests are allowed and requests without
        // MFA from temporary credentials are not; only long-term access keys get through,
        // and the console's "MFA required" option writes this on purpose (see the doc).
        (true, false, true) => at_key(
            t,
            format!("{subject} on `{KEY}` in an Allow also allows long-term access keys without MFA"),
            "allows requests with MFA and requests signed with long-term access keys",
        )
        .help(ALLOW_HELP)
        .note(string_note(
            t,
            if t.kind == Kind::Bool {
                format!(
                    "the key is absent for requests signed with an IAM user's access keys, and `{name}` matches an \
                     absent key; this is the combination the console's \"MFA required\" option writes, which leaves \
                     programmatic access without MFA"
                )
            } else {
                format!(
                    "the key is absent for requests signed with an IAM user's access keys, and `{name}` matches an \
                     absent key, which leaves programmatic access without MFA"
                )
            },
        ))
        .severity(Severity::Medium),
        (_, true, false) => at_key(
            t,
            format!("{subject} on `{KEY}` in an Allow allows only requests made without MFA"),
            "matches only requests made without MFA",
        )
        .help(ALLOW_HELP)
        .note(string_note(t, "a user who signs in with MFA loses this access, and one without MFA keeps it".into())),
        (false, true, true) => at_key(
            t,
            format!("{subject} on `{KEY}` in an Allow does not require MFA"),
            "allows every request signed with temporary credentials",
        )
        .help(ALLOW_HELP)
        .note(string_note(
            t,
            presence_note(t, false, "it allows every request signed with temporary credentials, with or without MFA"),
        )),
        (true, false, false) => at_key(
            t,
            format!("{subject} on `{KEY}` in an Allow allows only long-term access keys, without MFA"),
            "allows only requests signed with long-term access keys",
        )
        .help(ALLOW_HELP)
        .note(string_note(
            t,
            presence_note(t, true, "it allows requests signed with an IAM user's access keys, which carry no MFA"),
        )),
        _ => return None,
    };
    Some(draft)
}

#[cfg(test)]
mod tests {
    use super::Requests;

    #[test]
    fn and_intersects() {
        let bool_if_exists_true = Requests { long_term: true, no_mfa: false, mfa: true };
        let null_false = Requests { long_term: false, no_mfa: true, mfa: true };
        assert_eq!(bool_if_exists_true.and(null_false), Requests { long_term: false, no_mfa: false, mfa: true });
        assert_eq!(Requests::ALL.and(null_false), null_false);
    }
}
