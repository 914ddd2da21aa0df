//! Why a detection cannot be compiled.

/// A compile-time error of an SPL detection; the message is the rejection reason users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplError {
    /// A command the engine does not run.
    #[error("unsupported command `{0}`")]
    UnsupportedCommand(String),
    /// An eval or stats function the engine does not implement.
    #[error("unsupported function `{0}`")]
    UnsupportedFunction(String),
    /// Another unsupported feature (subsearch, datamodel, command option...).
    #[error("unsupported {0}")]
    Unsupported(String),
    /// The SPL text does not parse.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// A macro is undefined or its expansion is invalid or too large.
    #[error("macro: {0}")]
    Macro(String),
    /// A regular expression the regex engine does not accept (PCRE-only syntax).
    #[error("regex not supported: {0}")]
    Regex(String),
    /// A lookup is missing or unusable.
    #[error("lookup: {0}")]
    Lookup(String),
    /// The detection file itself is invalid.
    #[error("invalid detection: {0}")]
    Detection(String),
}

/// Shorthand for results of the SPL compiler.
pub type SplResult<T> = Result<T, SplError>;

/// A syntax error.
pub fn syntax(msg: impl Into<String>) -> SplError {
    SplError::Syntax(msg.into())
}
