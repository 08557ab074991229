//! Knowledge as data: the packs in `rules/packs/`, compiled in. `pack!("name.json")` is
//! the one loader (the text of `rules/packs/name.json`, parsed into the type the caller
//! asks for); each user keeps what it derives from a pack in its own `OnceLock`.
//! `tests/packs.rs` checks every pack's structure.

pub mod sensitive;

/// Parses the bundled pack `rules/packs/<name>` (borrowing from its text).
macro_rules! pack {
    ($name:literal) => {
        $crate::packs::parse($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/packs/", $name)))
    };
}
pub(crate) use pack;

/// The pack's text parsed; a pack that does not parse is a build defect, caught by
/// `tests/packs.rs` before it ships.
pub fn parse<T: serde::Deserialize<'static>>(name: &str, text: &'static str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("rules/packs/{name} is not valid: {e}"))
}
