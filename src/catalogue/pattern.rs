//! IAM's wildcard matching: `*` is any run of characters, `?` exactly one. Nothing else
//! is special (globset's `[..]`, `{a,b}` and `\` are not IAM syntax).

/// Matches `text` against an IAM wildcard `pattern`. Actions and service prefixes are
/// compared case-insensitively by AWS; ARNs are case-sensitive.
pub fn wildcard_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        match_units(
            pattern.as_bytes(),
            text.as_bytes(),
            |a, b| a == b'?' || if case_insensitive { a.eq_ignore_ascii_case(&b) } else { a == b },
            b'*',
        )
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        match_units(
            &p,
            &t,
            |a, b| a == '?' || if case_insensitive { a.to_lowercase().eq(b.to_lowercase()) } else { a == b },
            '*',
        )
    }
}

/// Linear-time glob matching with single-star backtracking (no exponential blow-up on
/// hostile patterns such as `a*a*a*a*b`): `star` takes any run of units, `takes(p, t)`
/// says whether pattern unit `p` (a literal or `?`) takes text unit `t`.
fn match_units<T: Copy + PartialEq>(p: &[T], t: &[T], takes: impl Fn(T, T) -> bool, star: T) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == star {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && takes(p[pi], t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = backtrack {
            pi = sp + 1;
            ti = st + 1;
            backtrack = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == star)
}

pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// Whether every text an IAM wildcard pattern matches, another matches too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containment {
    /// Every text `inner` matches, `outer` matches.
    Yes,
    /// Some text `inner` matches, `outer` does not (a witness was found).
    No,
    /// Neither could be shown: the caller says "may be wider" rather than guessing.
    Unknown,
}

/// Whether `outer` matches every text `inner` matches (case-sensitive, as ARNs are).
///
/// Exact where it answers `Yes` or `No`: `Yes` when `outer` matches `inner` read as text
/// in which `inner`'s `*` can only be taken by a `*` of `outer` and its `?` by a `?` or a
/// `*` (so any text `inner` matches is matched the same way); `No` when a text `inner`
/// matches (each `*` read as nothing or as one character no pattern holds, each `?` as
/// that character) is not matched by `outer`. What falls between (`a*?` against `a?*`,
/// which match the same texts) is `Unknown`.
pub fn contains(outer: &str, inner: &str) -> Containment {
    // Every text `inner` matches starts with its literal lead and ends with its literal
    // tail (a wildcard there can be a character `outer` does not have): a quick `No`, the
    // common answer for two lists of named resources.
    fn lead(s: &str) -> &str {
        s.find(['*', '?']).map_or(s, |i| &s[..i])
    }
    fn tail(s: &str) -> &str {
        s.rfind(['*', '?']).map_or(s, |i| &s[i + 1..])
    }
    if !lead(inner).starts_with(lead(outer)) || !tail(inner).ends_with(tail(outer)) {
        return Containment::No;
    }
    let o: Vec<char> = outer.chars().collect();
    let i: Vec<char> = inner.chars().collect();
    if symbolic_match(&o, &i) {
        return Containment::Yes;
    }
    // U+0001 stands for a character that no policy value holds.
    let witness = |star: &str| -> String {
        i.iter()
            .map(|&c| match c {
                '*' => star.to_string(),
                '?' => "\u{1}".to_string(),
                c => c.to_string(),
            })
            .collect()
    };
    for star in ["", "\u{1}"] {
        if !wildcard_match(outer, &witness(star), false) {
            return Containment::No;
        }
    }
    Containment::Unknown
}

/// `outer` matched against the units of `inner`: a literal takes the same literal, `?`
/// takes a literal or a `?`, `*` takes any run of units (single-star backtracking, which
/// stays correct for any one-unit test).
fn symbolic_match(p: &[char], t: &[char]) -> bool {
    let takes = |pc: char, tc: char| match pc {
        '?' => tc != '*',
        pc => tc != '*' && tc != '?' && pc == tc,
    };
    match_units(p, t, takes, '*')
}

#[cfg(test)]
mod tests {
    use super::wildcard_match as m;
    use super::{Containment, contains};

    #[test]
    fn containment_of_patterns() {
        use Containment::*;
        assert_eq!(contains("*", "arn:aws:s3:::b/*"), Yes);
        assert_eq!(contains("arn:aws:s3:::*", "arn:aws:s3:::b/*"), Yes);
        assert_eq!(contains("arn:aws:s3:::b/*", "arn:aws:s3:::b/logs/*"), Yes);
        assert_eq!(contains("arn:aws:s3:::b/logs/*", "arn:aws:s3:::b/*"), No);
        assert_eq!(contains("arn:aws:s3:::b/?", "arn:aws:s3:::b/x"), Yes);
        assert_eq!(contains("arn:aws:s3:::b/x", "arn:aws:s3:::b/?"), No);
        assert_eq!(contains("arn:aws:s3:::b/*", "arn:aws:s3:::b/?"), Yes);
        assert_eq!(contains("arn:aws:s3:::b/?", "arn:aws:s3:::b/*"), No);
        assert_eq!(contains("a", "a"), Yes);
        assert_eq!(contains("a", "b"), No);
        assert_eq!(contains("arn:aws:iam::*:role/a*", "arn:aws:iam::111122223333:role/a-b"), Yes);
        assert_eq!(contains("arn:aws:iam::111122223333:role/*", "arn:aws:iam::*:role/x"), No);
        // Equal languages written differently: not decided by either test.
        assert_eq!(contains("a*?", "a?*"), Unknown);
        assert_eq!(contains("a?*", "a*?"), Unknown);
        assert_eq!(contains("*", ""), Yes);
        assert_eq!(contains("", "*"), No);
        // The quick test on the literal lead and tail agrees with the full one.
        assert_eq!(contains("arn:aws:s3:::b-1/*", "arn:aws:s3:::b-2/*"), No);
        assert_eq!(contains("arn:aws:s3:::b-1/*", "arn:aws:s3:::b-1*"), No);
        assert_eq!(contains("*.json", "a*.json"), Yes);
        assert_eq!(contains("*.json", "a*.yaml"), No);
        assert_eq!(contains("ab", "a?"), No);
    }

    #[test]
    fn iam_wildcards() {
        assert!(m("s3:*Object", "s3:GetObject", true));
        assert!(m("S3:GET*", "s3:GetObject", true));
        assert!(!m("S3:GET*", "s3:GetObject", false));
        assert!(m("iam:Pass?ole", "iam:PassRole", true));
        assert!(!m("iam:Pass?ole", "iam:PassRRole", true));
        assert!(m("*", "", true));
        assert!(m("a*b*c", "aXXbYYc", false));
        assert!(!m("a*b*c", "aXXbYY", false));
        assert!(m("[ab]", "[ab]", false), "brackets are literal in IAM");
        assert!(m("arn:aws:iam::*:role/**my-role**", "arn:aws:iam::1:role/x-my-role-y", false));
        assert!(m("caf\u{e9}?", "caf\u{e9}s", false));
    }

    #[test]
    fn hostile_pattern_is_fast() {
        let p = "a*".repeat(200) + "b";
        let t = "a".repeat(5000);
        assert!(!m(&p, &t, false));
    }
}
