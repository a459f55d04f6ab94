//! Syntax errors (concept U3): what [`crate::parse`] reports for a line it cannot read, worded
//! as a shell user expects (`syntax error near unexpected token '|'`).

use alloc::string::String;
use core::fmt;

/// Why a line is not a valid command list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A `'` or `"` quote is not closed before the end of the input.
    UnterminatedQuote(char),
    /// The input ends with a backslash, which escapes nothing.
    TrailingBackslash,
    /// `${` without its `}`.
    UnterminatedBrace,
    /// `${...}` holds something that is not a parameter name (`${1a}`, `${}`).
    BadSubstitution(String),
    /// A redirection operator (`>`, `2>>`, ...) is not followed by a word to redirect to.
    MissingRedirectTarget(String),
    /// `N>&M` / `N<&M` names something other than a descriptor number or `-`.
    BadDuplicationTarget(String),
    /// The input ends right after an operator that needs a command after it (`|`, `&&`,
    /// `||`).
    MissingCommand(&'static str),
    /// An operator where a command should start (`| wc`, `a ;; b`, `&& b`).
    UnexpectedToken(&'static str),
    /// Syntax of the POSIX shell that this shell does not implement.
    Unsupported(&'static str),
}

impl ParseError {
    /// Whether the input could become valid by appending more of it: an open quote, a
    /// trailing backslash or an operator waiting for its command. A shell reading lines then
    /// reads the next one and parses both together.
    pub fn is_incomplete(&self) -> bool {
        matches!(
            self,
            ParseError::UnterminatedQuote(_)
                | ParseError::TrailingBackslash
                | ParseError::MissingCommand(_)
        )
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnterminatedQuote(quote) => {
                let kind = if *quote == '\'' { "single" } else { "double" };
                write!(f, "syntax error: unterminated {kind} quote")
            }
            ParseError::TrailingBackslash => {
                write!(f, "syntax error: backslash at the end of the input")
            }
            ParseError::UnterminatedBrace => write!(f, "syntax error: missing '}}' after '${{'"),
            ParseError::BadSubstitution(text) => write!(f, "${{{text}}}: bad substitution"),
            ParseError::MissingRedirectTarget(operator) => {
                write!(f, "syntax error: no file name after '{operator}'")
            }
            ParseError::BadDuplicationTarget(target) => write!(
                f,
                "syntax error: '{target}' is not a file descriptor number or '-'"
            ),
            ParseError::MissingCommand(operator) => {
                write!(f, "syntax error: no command after '{operator}'")
            }
            ParseError::UnexpectedToken(operator) => {
                write!(f, "syntax error near unexpected token '{operator}'")
            }
            ParseError::Unsupported(what) => write!(f, "{what} not supported"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn messages_name_the_problem() {
        assert_eq!(
            ParseError::UnterminatedQuote('"').to_string(),
            "syntax error: unterminated double quote"
        );
        assert_eq!(
            ParseError::UnterminatedQuote('\'').to_string(),
            "syntax error: unterminated single quote"
        );
        assert_eq!(
            ParseError::MissingRedirectTarget("2>>".into()).to_string(),
            "syntax error: no file name after '2>>'"
        );
        assert_eq!(
            ParseError::UnexpectedToken("|").to_string(),
            "syntax error near unexpected token '|'"
        );
        assert_eq!(
            ParseError::BadSubstitution("1a".into()).to_string(),
            "${1a}: bad substitution"
        );
        assert_eq!(
            ParseError::UnterminatedBrace.to_string(),
            "syntax error: missing '}' after '${'"
        );
    }

    #[test]
    fn only_open_constructs_are_incomplete() {
        assert!(ParseError::UnterminatedQuote('\'').is_incomplete());
        assert!(ParseError::TrailingBackslash.is_incomplete());
        assert!(ParseError::MissingCommand("|").is_incomplete());
        assert!(!ParseError::UnexpectedToken("|").is_incomplete());
        assert!(!ParseError::MissingRedirectTarget(">".into()).is_incomplete());
        assert!(!ParseError::UnterminatedBrace.is_incomplete());
    }
}
