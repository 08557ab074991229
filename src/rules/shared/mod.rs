//! Analysis and wording that several rules share. Not rules: each module is named after
//! what it holds.

pub mod passrole;
pub mod suggest;
pub mod unscoped;
pub mod wording;
