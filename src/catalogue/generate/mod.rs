//! Catalogue generator (owned by the generator work).
