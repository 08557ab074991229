//! Guesses for actions only cfn-lint lists: their access level and the casing of
//! their (lower-cased) names. Such actions are marked `inferred` in the catalogue.

use crate::catalogue::model::AccessLevel;
use std::collections::{BTreeMap, HashMap};

/// Access level from the verb of a lower-cased action name.
///
/// Measured against the 22,091 actions iam-data classifies, these rules agree with
/// AWS for about 90% of them; the misses lean towards Write, the safer side for a
/// least-privilege linter. Permissions management is claimed only for names AWS
/// classifies so without exception (`AddPermission`, `RemovePermission`):
/// even `PutResourcePolicy` is Write for half the services.
pub(super) fn access_from_name(lower: &str) -> AccessLevel {
    if lower == "addpermission" || lower == "removepermission" {
        AccessLevel::PermissionsManagement
    } else if lower.starts_with("listtags") {
        // AWS classifies three quarters of ListTags* as Read.
        AccessLevel::Read
    } else if lower.starts_with("list") {
        AccessLevel::List
    } else if ["get", "describe", "batchget"].iter().any(|verb| lower.starts_with(verb)) {
        AccessLevel::Read
    } else if lower.starts_with("tag") || lower.starts_with("untag") {
        AccessLevel::Tagging
    } else {
        AccessLevel::Write
    }
}

/// Word casings learnt from action names AWS spells out (`GetWebACL` -> `get`, `web`,
/// `acl` spelt `Get`, `Web`, `ACL`), to spell a lower-cased name.
pub(super) struct Vocabulary {
    /// Lower-cased whole name -> most common spelling across services.
    names: HashMap<String, String>,
    /// Lower-cased word -> (most common spelling, occurrences).
    words: HashMap<String, (String, u32)>,
}

/// Longest word the segmentation tries; AWS's longest words are shorter.
const MAX_WORD: usize = 32;

impl Vocabulary {
    pub fn from_names<'a>(names: impl Iterator<Item = &'a str>) -> Vocabulary {
        let mut name_forms: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
        let mut word_forms: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
        for name in names {
            *name_forms.entry(name.to_ascii_lowercase()).or_default().entry(name.to_string()).or_default() += 1;
            for word in camel_words(name) {
                // One-letter words make nonsense splits (`PeriodS`): leave them out.
                if word.len() < 2 {
                    continue;
                }
                *word_forms.entry(word.to_ascii_lowercase()).or_default().entry(word.to_string()).or_default() += 1;
            }
        }
        Vocabulary {
            names: name_forms.into_iter().map(|(lower, forms)| (lower, most_common(forms).0)).collect(),
            words: word_forms.into_iter().map(|(lower, forms)| (lower, most_common(forms))).collect(),
        }
    }

    /// A CamelCase spelling of `lower`: the spelling of the same name in another
    /// service, else a split into known words (fewest words, then most common words).
    /// `None` when some part of the name is no known word.
    pub fn guess(&self, lower: &str) -> Option<String> {
        if let Some(name) = self.names.get(lower) {
            return Some(name.clone());
        }
        if !lower.is_ascii() {
            return None;
        }
        // best[i]: the best split of lower[..i] as (words, -sum of ln(occurrences), start
        // of the last word); smaller is better.
        let n = lower.len();
        let mut best: Vec<Option<(usize, f64, usize)>> = vec![None; n + 1];
        best[0] = Some((0, 0.0, 0));
        for end in 1..=n {
            for start in end.saturating_sub(MAX_WORD)..end {
                let Some((words, cost, _)) = best[start] else {
                    continue;
                };
                let Some((_, occurrences)) = self.words.get(&lower[start..end]) else {
                    continue;
                };
                let candidate = (words + 1, cost - f64::from(*occurrences).ln(), start);
                let better = match best[end] {
                    None => true,
                    Some((w, c, _)) => (candidate.0, candidate.1) < (w, c),
                };
                if better {
                    best[end] = Some(candidate);
                }
            }
        }
        let mut parts = Vec::new();
        let mut end = n;
        while end > 0 {
            let (_, _, start) = best[end]?;
            parts.push(self.words.get(&lower[start..end])?.0.as_str());
            end = start;
        }
        parts.reverse();
        Some(parts.concat())
    }
}

/// The most common spelling; ties go to the first in byte order, for stable output.
fn most_common(forms: BTreeMap<String, u32>) -> (String, u32) {
    let total = forms.values().sum();
    let mut best: Option<(String, u32)> = None;
    for (form, count) in forms {
        if best.as_ref().is_none_or(|(_, c)| count > *c) {
            best = Some((form, count));
        }
    }
    (best.map(|(f, _)| f).unwrap_or_default(), total)
}

/// Splits CamelCase into words: `GetWebACLForResource` -> Get, Web, ACL, For,
/// Resource. Digits stay with the word before them (`V2`, `S3`).
fn camel_words(name: &str) -> Vec<&str> {
    let bytes = name.as_bytes();
    let mut words = Vec::new();
    let mut start = 0;
    for i in 1..bytes.len() {
        let (prev, cur) = (bytes[i - 1], bytes[i]);
        let next_lower = bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        let boundary = (cur.is_ascii_uppercase() && (prev.is_ascii_lowercase() || prev.is_ascii_digit()))
            || (cur.is_ascii_uppercase() && prev.is_ascii_uppercase() && next_lower);
        if boundary {
            words.push(&name[start..i]);
            start = i;
        }
    }
    if start < name.len() {
        words.push(&name[start..]);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_split() {
        assert_eq!(camel_words("GetWebACLForResource"), ["Get", "Web", "ACL", "For", "Resource"]);
        assert_eq!(camel_words("ListJobsV2"), ["List", "Jobs", "V2"]);
        assert_eq!(camel_words("lower"), ["lower"]);
    }

    #[test]
    fn guesses() {
        let v =
            Vocabulary::from_names(["CreateGateway", "ListTrainingJobs", "GetSession", "DescribeWebACL"].into_iter());
        assert_eq!(v.guess("creategateway").as_deref(), Some("CreateGateway"));
        assert_eq!(v.guess("describetrainingsession").as_deref(), Some("DescribeTrainingSession"));
        assert_eq!(v.guess("getwebacl").as_deref(), Some("GetWebACL"));
        assert_eq!(v.guess("getzebra"), None);
    }

    #[test]
    fn verbs() {
        assert_eq!(access_from_name("listgateways"), AccessLevel::List);
        assert_eq!(access_from_name("listtagsforresource"), AccessLevel::Read);
        assert_eq!(access_from_name("describegateway"), AccessLevel::Read);
        assert_eq!(access_from_name("batchgettask"), AccessLevel::Read);
        assert_eq!(access_from_name("untagresource"), AccessLevel::Tagging);
        assert_eq!(access_from_name("addpermission"), AccessLevel::PermissionsManagement);
        assert_eq!(access_from_name("putagentapprovalpolicy"), AccessLevel::Write);
    }
}
