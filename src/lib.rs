//! iamlint: a static least-privilege linter for AWS IAM policies.

pub mod catalogue;
