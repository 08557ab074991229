//! What the user tells iamlint about their environment and how to run: resolved
//! settings the stages read (the command line today; a config file is read into the
//! same settings).

/// What rules may know about the user's environment (facts rules read).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// 12-digit ids of accounts the user trusts (their own organisation's): a trust policy
    /// naming one is not a cross-account finding.
    pub known_accounts: Vec<String>,
}
