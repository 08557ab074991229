//! iamlint: a static least-privilege linter for AWS IAM policies.
//!
//! The pipeline, one way: `discover` -> `formats` (load) -> `resolve` -> `rules` ->
//! `filter` (rule selection, threshold, verdict) -> `report` (render), orchestrated by
//! `lint` and driven by `cli`. Layers, bottom up (`tests/layers.rs` enforces them):
//! `source`, `diagnostic`, `config`, the pack loader; `catalogue`; `policy`; `discover`,
//! `formats`; `resolve`; `rules`; `lint`; `filter`; `diff`; `report`; `cli`.

pub mod catalogue;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod discover;
pub mod filter;
pub mod formats;
pub mod lint;
pub mod packs;
pub mod policy;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod source;
#[cfg(test)]
pub(crate) mod testing;
