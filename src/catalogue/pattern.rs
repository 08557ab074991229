//! IAM's wildcard matching: `*` is any run of characters, `?` exactly one. Nothing else
//! is special (globset's `[..]`, `{a,b}` and `\` are not IAM syntax).

/// Matches `text` against an IAM wildcard `pattern`. Actions and service prefixes are
/// compared case-insensitively by AWS; ARNs are case-sensitive.
pub fn wildcard_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        match_units(
            pattern.as_bytes(),
            text.as_bytes(),
            |a, b| {
                if case_insensitive { a.eq_ignore_ascii_case(&b) } else { a == b }
            },
            b'*',
            b'?',
        )
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        match_units(
            &p,
            &t,
            |a, b| {
                if case_insensitive { a.to_lowercase().eq(b.to_lowercase()) } else { a == b }
            },
            '*',
            '?',
        )
    }
}

/// Linear-time glob matching with single-star backtracking (no exponential blow-up on
/// hostile patterns such as `a*a*a*a*b`).
fn match_units<T: Copy + PartialEq>(p: &[T], t: &[T], eq: impl Fn(T, T) -> bool, star: T, any: T) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == star {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && (p[pi] == any || eq(p[pi], t[ti])) {
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

#[cfg(test)]
mod tests {
    use super::wildcard_match as m;

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
