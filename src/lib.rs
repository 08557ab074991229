//! iamlint: a static least-privilege linter for AWS IAM policies.
//!
//! The pipeline, one way: `discover` -> `formats` (load) -> `resolve` -> `rules` ->
//! filter (rule selection, threshold) -> `report` (render).

pub mod catalogue;
pub mod cli;
pub mod discover;
pub mod formats;
pub mod lint;
pub mod packs;
pub mod policy;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod source;
