//! Did-you-mean for names that are not in the catalogue (`unknown-action`,
//! `unknown-service`): which suggestions are plausible, and what the mistake does to
//! its statement.

use crate::catalogue::{Catalogue, Expansion};
use crate::policy::{Effect, Statement, ValueList};
use crate::resolve::ResolvedStatement;
use crate::source::{Span, Spanned};

/// Whether a suggested name is close enough to the typed one to be worth offering: the
/// catalogue's similarity score favours a shared beginning (`kms:DeleteKey` scores high
/// against `kms:DeleteCustomKeyStore`), so also bound the number of edits.
pub fn plausible(typed: &str, suggested: &str) -> bool {
    let edits = strsim::levenshtein(&typed.to_ascii_lowercase(), &suggested.to_ascii_lowercase());
    edits <= (typed.chars().count() / 3).max(2)
}

/// The value without surrounding whitespace, when that is a catalogue action or pattern.
pub fn trimmed_fix(value: &str, catalogue: &Catalogue) -> Option<String> {
    let trimmed = value.trim();
    if trimmed == value {
        return None;
    }
    matches!(catalogue.expand(trimmed), Expansion::Actions(_)).then(|| trimmed.to_string())
}

/// What a value that names no action does to its statement, as a label on the Effect
/// (a Deny that blocks nothing) or on the NotAction key (an exclusion that excludes nothing).
pub fn consequence(
    st: &Statement,
    rs: &ResolvedStatement,
    list: &ValueList,
    value: &Spanned<String>,
) -> Option<(Span, String)> {
    let effect = st.effect.as_ref()?;
    let names_nothing = rs.values.iter().all(|v| !matches!(v.expansion, Expansion::Actions(_)));
    match (effect.value, list.negated) {
        (Effect::Allow, false) => None,
        (Effect::Deny, false) if names_nothing => {
            Some((effect.span.clone(), "this Deny protects nothing: none of its actions exists".to_string()))
        }
        (Effect::Deny, false) => {
            Some((effect.span.clone(), format!("this Deny does not block what `{}` was meant to block", value.value)))
        }
        (Effect::Allow, true) => Some((
            list.key_span.clone(),
            format!("`{}` excludes nothing: this Allow still grants what it was meant to leave out", value.value),
        )),
        (Effect::Deny, true) => Some((
            list.key_span.clone(),
            format!("`{}` exempts nothing: this Deny still denies what it was meant to leave out", value.value),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_suggestions_are_a_few_edits_away() {
        assert!(plausible("GetObjects", "GetObject"));
        assert!(plausible("ec", "ec2"));
        assert!(plausible("organisations", "organizations"));
        assert!(plausible("PasRole", "PassRole"));
        assert!(!plausible("DeleteKey", "DeleteCustomKeyStore"));
    }

    #[test]
    fn whitespace_fix_only_when_it_resolves() {
        let c = Catalogue::bundled();
        assert_eq!(trimmed_fix(" s3:GetObject ", c).as_deref(), Some("s3:GetObject"));
        assert_eq!(trimmed_fix("s3:GetObject", c), None);
        assert_eq!(trimmed_fix(" s3:GetObjectz", c), None);
    }
}
