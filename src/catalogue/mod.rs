//! The bundled AWS action catalogue: loading, lookup, wildcard expansion.

pub mod generate;
pub mod model;
