//! Resource patterns against the catalogue's ARN formats
//! (`arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`): can a policy's
//! Resource value name a resource of a given type, and does it name all of them.

use super::{has_wildcard, wildcard_match};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Char(char),
    /// IAM `?`: any one character.
    One,
    /// IAM `*`: any run of characters.
    Any,
    /// A `${...}` placeholder of an ARN format or a policy variable: a run without `:`.
    Segment,
}

impl Unit {
    fn repeats(self) -> bool {
        matches!(self, Unit::Any | Unit::Segment)
    }
}

fn units(text: &str, wildcards: bool) -> Vec<Unit> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(var) = rest.strip_prefix("${")
            && let Some(end) = var.find('}')
        {
            out.push(match &var[..end] {
                // Policy variables that stand for the special characters themselves.
                "*" | "?" | "$" if wildcards => Unit::Char(var.as_bytes()[0] as char),
                _ => Unit::Segment,
            });
            rest = &var[end + 1..];
            continue;
        }
        out.push(match c {
            '*' if wildcards => Unit::Any,
            '?' if wildcards => Unit::One,
            c => Unit::Char(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether some character can be read by both units.
fn overlap(a: Unit, b: Unit) -> bool {
    match (a, b) {
        (Unit::Char(x), Unit::Char(y)) => x == y,
        (Unit::Char(x), Unit::Segment) | (Unit::Segment, Unit::Char(x)) => x != ':',
        _ => true,
    }
}

/// Longer than any ARN IAM accepts; such a value is treated as matching.
const MAX_ARN: usize = 4096;

/// Whether the Resource pattern `pattern` matches at least one ARN of `format`: a search
/// over pairs of positions in both (linear in their product, no backtracking blow-up).
pub fn may_match(pattern: &str, format: &str) -> bool {
    if pattern.len() > MAX_ARN {
        return true;
    }
    let (p, q) = (units(pattern, true), units(format, false));
    let (n, m) = (p.len(), q.len());
    let mut seen = vec![false; (n + 1) * (m + 1)];
    let mut stack = vec![(0, 0)];
    while let Some((i, j)) = stack.pop() {
        let slot = &mut seen[i * (m + 1) + j];
        if *slot {
            continue;
        }
        *slot = true;
        if i == n && j == m {
            return true;
        }
        let (a, b) = (p.get(i).copied(), q.get(j).copied());
        if a.is_some_and(Unit::repeats) {
            stack.push((i + 1, j));
        }
        if b.is_some_and(Unit::repeats) {
            stack.push((i, j + 1));
        }
        if let (Some(a), Some(b)) = (a, b)
            && overlap(a, b)
        {
            let next = (if a.repeats() { i } else { i + 1 }, if b.repeats() { j } else { j + 1 });
            if next != (i, j) {
                stack.push(next);
            }
        }
    }
    false
}

/// Whether the pattern matches every ARN of `format` (a NotResource value that excludes
/// them all): it must match the format written with `*` for each placeholder, the
/// partition taken from the pattern when it names one.
pub fn covers(pattern: &str, format: &str) -> bool {
    let partition = pattern.split(':').nth(1).filter(|p| !p.is_empty() && !has_wildcard(p)).unwrap_or("aws");
    let mut text = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        text.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else { break };
        text.push_str(if &rest[start..start + end + 1] == "${Partition}" { partition } else { "*" });
        rest = &rest[start + end + 1..];
    }
    text.push_str(rest);
    wildcard_match(pattern, &text, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
    const SUBNET: &str = "arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}";

    #[test]
    fn arn_patterns_match_formats() {
        assert!(may_match("*", ROLE));
        assert!(may_match("arn:*:iam::*:*", ROLE));
        assert!(may_match("arn:aws:iam::123456789012:role/deployer", ROLE));
        assert!(may_match("arn:aws:iam::*:role/${aws:username}", ROLE));
        assert!(may_match("arn:aws:ec2:*:*:*", SUBNET));
        assert!(may_match("arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0abc", SUBNET));
        assert!(!may_match("arn:aws:iam::123456789012:user/deployer", ROLE));
        assert!(!may_match("arn:aws:s3:::bucket/*", ROLE));
        assert!(!may_match("arn:aws:ec2:us-east-1:1:instance/*", SUBNET), "an account has no `:`");
        assert!(!may_match("arn:aws:ec2:*:*:image/*", SUBNET));
    }

    #[test]
    fn not_resource_coverage() {
        assert!(covers("*", ROLE));
        assert!(covers("arn:aws:iam::*:role/*", ROLE));
        assert!(covers("arn:*:iam::*:*", ROLE));
        assert!(!covers("arn:aws:iam::123456789012:role/*", ROLE), "other accounts stay granted");
        assert!(!covers("arn:aws:iam::*:role/admin", ROLE));
    }

    #[test]
    fn hostile_values_are_fast() {
        let value = "*:".repeat(2000);
        assert!(!may_match(&value, ROLE));
    }
}
