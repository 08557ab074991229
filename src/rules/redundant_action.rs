use super::{Check, Context, Rule};
use crate::catalogue::{ActionId, ActionSet, Catalogue, Expansion, ServiceId, has_wildcard};
use crate::diagnostic::{Category, RuleMeta};
use crate::diagnostic::{Draft, Severity};
use crate::rules::shared::wording;
use crate::source::Spanned;
use std::collections::HashMap;
use std::hash::Hash;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "redundant-action",
        severity: Severity::Info,
        category: Category::Suspicious,
        summary: "action listed twice in a statement, or already covered by a wildcard of the same statement",
        doc: include_str!("../../rules/redundant-action.md"),
    },
    check: Check::Document(check),
};

/// Covering values named in a message before "and N other values".
const NAMED_COVERERS: usize = 3;

/// One Action/NotAction value and what it matches, split so that comparing values costs
/// one lookup per action: the services it matches whole (`s3:*`, `*`: never listed
/// action by action) and its other actions.
struct Value<'a> {
    written: &'a Spanned<String>,
    set: &'a ActionSet,
    whole: Vec<ServiceId>,
    partial: Vec<ActionId>,
}

impl<'a> Value<'a> {
    fn new(written: &'a Spanned<String>, set: &'a ActionSet, catalogue: &Catalogue) -> Value<'a> {
        let (mut whole, mut partial) = (Vec::new(), Vec::new());
        for service in set.services() {
            if set.has_whole_service(service, catalogue) {
                whole.push(service);
            } else {
                partial.extend(
                    (0..catalogue.action_count(service))
                        .map(|index| ActionId { service, index: index as u16 })
                        .filter(|id| set.contains(*id)),
                );
            }
        }
        Value { written, set, whole, partial }
    }

    /// Whether every action of this value is in `other`.
    fn within(&self, other: &ActionSet, catalogue: &Catalogue) -> bool {
        self.whole.iter().all(|s| other.has_whole_service(*s, catalogue))
            && self.partial.iter().all(|id| other.contains(*id))
    }

    /// Whether this value and `other` have an action in common.
    fn overlaps(&self, other: &ActionSet) -> bool {
        self.whole.iter().any(|s| other.services().any(|o| o == *s))
            || self.partial.iter().any(|id| other.contains(*id))
    }
}

fn check(ctx: &mut Context<'_>) {
    let documents = ctx.documents;
    let catalogue = ctx.catalogue;
    for resolved in documents {
        for (st, rs) in resolved.statements() {
            let Some(list) = &st.action else { continue };
            // Values that grant nothing (unknown or malformed actions) are other rules'
            // findings: they neither are redundant nor cover anything.
            let values: Vec<Value<'_>> = rs
                .values
                .iter()
                .filter_map(|v| match &v.expansion {
                    Expansion::Actions(set) => Some(Value::new(&v.value, set, catalogue)),
                    _ => None,
                })
                .collect();
            if values.len() < 2 {
                continue;
            }
            let redundant = redundant_values(&values, catalogue);
            let key = list.key_name("Action");
            for (i, _) in redundant.iter().enumerate().filter(|(_, r)| **r) {
                let kept: Vec<usize> = (0..values.len()).filter(|&j| j != i && !redundant[j]).collect();
                let draft = finding(&values, i, &kept, &key, list.negated, catalogue).in_statement(st);
                ctx.report(draft);
            }
        }
    }
}

/// Marks the values whose actions the statement's other values already cover. Values are
/// decided from last to first against the values still kept, so that of two equal values
/// the later one is reported, and removing every reported value leaves the statement
/// covering exactly the same actions (of three values that each the two others cover,
/// one is reported). Counts of how many kept values hold each action keep this linear in
/// the number of values.
fn redundant_values(values: &[Value<'_>], catalogue: &Catalogue) -> Vec<bool> {
    let mut whole: HashMap<ServiceId, usize> = HashMap::new();
    let mut partial: HashMap<ActionId, usize> = HashMap::new();
    for v in values {
        v.whole.iter().for_each(|s| *whole.entry(*s).or_default() += 1);
        v.partial.iter().for_each(|id| *partial.entry(*id).or_default() += 1);
    }
    let mut redundant = vec![false; values.len()];
    for i in (0..values.len()).rev() {
        let v = &values[i];
        // The counts include this value itself; a partial action's service is never one it
        // holds whole.
        let covered = v.partial.iter().all(|id| count(&whole, id.service) > 0 || count(&partial, *id) > 1)
            && v.whole.iter().all(|s| {
                count(&whole, *s) > 1
                    || (0..catalogue.action_count(*s))
                        .all(|index| count(&partial, ActionId { service: *s, index: index as u16 }) > 0)
            });
        if covered {
            redundant[i] = true;
            v.whole.iter().for_each(|s| *whole.entry(*s).or_default() -= 1);
            v.partial.iter().for_each(|id| *partial.entry(*id).or_default() -= 1);
        }
    }
    redundant
}

fn finding(values: &[Value<'_>], i: usize, kept: &[usize], key: &str, negated: bool, catalogue: &Catalogue) -> Draft {
    let value = &values[i];
    let written = &value.written.value;
    let span = value.written.span.clone();
    let same_text = kept.iter().copied().find(|&j| values[j].written.value.eq_ignore_ascii_case(written));
    let single = same_text.or_else(|| kept.iter().copied().find(|&j| value.within(values[j].set, catalogue)));
    let help = if negated {
        format!("remove `{written}` from `{key}`; the statement excludes exactly the same actions without it")
    } else {
        format!("remove `{written}` from `{key}`; the statement covers exactly the same actions without it")
    };

    let mut draft = match (same_text, single) {
        (Some(j), _) => {
            let first = values[j].written;
            let message = if first.value == *written {
                format!("`{written}` is listed twice in `{key}`")
            } else {
                format!("`{written}` repeats `{}` (action names are case-insensitive)", first.value)
            };
            Draft::new(span, message).label(format!("`{written}` again")).also(first.span.clone(), "first listed here")
        }
        (None, Some(j)) => {
            let cover = values[j].written;
            Draft::new(span, format!("`{written}` is already covered by `{}`", cover.value))
                .label(format!("covered by `{}`", cover.value))
                .also(cover.span.clone(), format!("covers `{written}`"))
        }
        (None, None) => {
            // Several values together cover this one: name those that overlap it.
            let parts: Vec<usize> = kept.iter().copied().filter(|&j| value.overlaps(values[j].set)).collect();
            let mut draft =
                Draft::new(span, format!("`{written}` is already covered by {} together", name_values(values, &parts)))
                    .label("covered by the other values");
            for &j in &parts {
                draft = draft.also(values[j].written.span.clone(), format!("covers part of `{written}`"));
            }
            draft
        }
    };
    // Say what the wildcard involved really matches: the redundant value's, else the one
    // that covers it.
    if has_wildcard(written) {
        draft = draft.note(format!("`{written}` matches {}", wording::describe(value.set, catalogue)));
    } else if let Some(j) = single.filter(|&j| has_wildcard(&values[j].written.value)) {
        draft = draft.note(format!(
            "`{}` matches {}",
            values[j].written.value,
            wording::describe(values[j].set, catalogue)
        ));
    }
    draft.help(help).actions(wording::names(value.set, catalogue, wording::ACTIONS_CAP))
}

fn count<K: Hash + Eq>(map: &HashMap<K, usize>, key: K) -> usize {
    map.get(&key).copied().unwrap_or(0)
}

/// "`a`, `b` and `c`" or "`a`, `b`, `c` and 2 other values".
fn name_values(values: &[Value<'_>], parts: &[usize]) -> String {
    let mut names: Vec<String> =
        parts.iter().take(NAMED_COVERERS).map(|&j| format!("`{}`", values[j].written.value)).collect();
    let last = match parts.len().saturating_sub(NAMED_COVERERS) {
        0 => names.pop().unwrap_or_default(),
        1 => "1 other value".to_string(),
        n => format!("{n} other values"),
    };
    if names.is_empty() { last } else { format!("{} and {last}", names.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(pattern: &str) -> ActionSet {
        match Catalogue::bundled().expand(pattern) {
            Expansion::Actions(set) => set,
            other => panic!("{pattern}: {other:?}"),
        }
    }

    fn with_values<T>(patterns: &[&str], f: impl FnOnce(&[Value<'_>]) -> T) -> T {
        let c = Catalogue::bundled();
        let written: Vec<Spanned<String>> = patterns.iter().map(|p| Spanned::new(p.to_string(), 0..1)).collect();
        let sets: Vec<ActionSet> = patterns.iter().map(|p| expand(p)).collect();
        let values: Vec<Value<'_>> = written.iter().zip(&sets).map(|(w, s)| Value::new(w, s, c)).collect();
        f(&values)
    }

    fn redundant(patterns: &[&str]) -> Vec<bool> {
        with_values(patterns, |values| redundant_values(values, Catalogue::bundled()))
    }

    fn within(a: &str, b: &str) -> bool {
        with_values(&[a], |values| values[0].within(&expand(b), Catalogue::bundled()))
    }

    #[test]
    fn subsets() {
        assert!(within("s3:GetObject", "s3:Get*"));
        assert!(within("s3:Get*", "s3:*"));
        assert!(within("s3:*", "*"));
        assert!(within("*", "*:*"));
        assert!(!within("s3:Get*", "s3:GetObject"));
        assert!(!within("*", "s3:*"));
        assert!(!within("ec2:DescribeInstances", "s3:*"));
    }

    #[test]
    fn later_of_equal_values_and_covered_values() {
        assert_eq!(redundant(&["s3:GetObject", "S3:getobject"]), [false, true]);
        assert_eq!(redundant(&["s3:Get*", "s3:GetObject"]), [false, true]);
        assert_eq!(redundant(&["s3:GetObject", "s3:Get*"]), [true, false]);
        assert_eq!(redundant(&["s3:Get*", "s3:*", "s3:GetObject"]), [true, false, true]);
        assert_eq!(redundant(&["*", "s3:*", "*:*"]), [false, true, true]);
        assert_eq!(redundant(&["s3:GetObject", "s3:PutObject"]), [false, false]);
        assert_eq!(redundant(&["s3:*", "s3:*"]), [false, true]);
    }

    #[test]
    fn removing_every_reported_value_keeps_the_union() {
        // Each value is covered by the two others; only one may go.
        assert_eq!(redundant(&["s3:GetObject*", "s3:*Acl", "s3:GetObjectAcl"]), [false, false, true]);
        let flags = redundant(&["s3:Get*", "s3:*Object", "s3:GetObject", "s3:PutObject", "s3:Put*"]);
        assert_eq!(flags, [false, false, true, true, false]);
        assert_eq!(redundant(&["s3:Get*", "s3:Put*", "s3:Delete*", "s3:*Tagging"]), [false, false, false, true]);
    }

    #[test]
    fn a_whole_service_covered_by_parts() {
        // `s3:*` is redundant when the other values list every s3 action between them.
        let c = Catalogue::bundled();
        let s3 = c.find_service("s3").unwrap();
        let names: Vec<String> =
            (0..c.action_count(s3)).map(|i| c.action_name(ActionId { service: s3, index: i as u16 })).collect();
        let mut patterns: Vec<&str> = names.iter().map(String::as_str).collect();
        patterns.push("s3:*");
        let flags = redundant(&patterns);
        assert!(flags[patterns.len() - 1]);
        assert_eq!(flags.iter().filter(|r| **r).count(), 1);
    }

    #[test]
    fn names_values() {
        let patterns = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetObjectAcl"];
        with_values(&patterns, |values| {
            assert_eq!(name_values(values, &[0]), "`s3:GetObject`");
            assert_eq!(name_values(values, &[0, 1]), "`s3:GetObject` and `s3:PutObject`");
            assert_eq!(name_values(values, &[0, 1, 2]), "`s3:GetObject`, `s3:PutObject` and `s3:ListBucket`");
            assert_eq!(
                name_values(values, &[0, 1, 2, 3]),
                "`s3:GetObject`, `s3:PutObject`, `s3:ListBucket` and 1 other value"
            );
            assert_eq!(
                name_values(values, &[0, 1, 2, 3, 4]),
                "`s3:GetObject`, `s3:PutObject`, `s3:ListBucket` and 2 other values"
            );
        });
    }
}
