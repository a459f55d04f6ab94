//! Words and their expansion (concept U3): a [`Word`] is the text of one shell word as the
//! lexer read it, split into parts that remember their quoting, so that parameters are
//! looked up only when the command runs and unquoted values can be split into fields.
//!
//! Invariants:
//! - adjacent [`WordPart::Literal`]s never have the same `quoted` flag (the lexer merges
//!   them), and a word has at least one part;
//! - expansion never fails: an unset parameter expands to nothing, as in the POSIX shell
//!   without `set -u`.

use alloc::string::String;
use alloc::vec::Vec;

/// A parameter that `$` can name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    /// `$NAME` or `${NAME}`: a shell variable.
    Var(String),
    /// `$?`: the exit status of the last pipeline.
    Status,
    /// `$$`: the shell's process id.
    ShellPid,
    /// `$!`: the process id of the last background job.
    LastBackground,
    /// `$#`: the number of positional parameters.
    ArgCount,
    /// `$0` .. `$9`, `${10}`, ...: the shell's (or script's) name and its positional
    /// parameters.
    Positional(usize),
    /// `$@`: the positional parameters from `$1`; inside double quotes each one is a field
    /// of its own.
    Args,
    /// `$*`: the positional parameters from `$1`, joined by spaces (one field when quoted).
    ArgsJoined,
}

/// One piece of a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WordPart {
    /// Text taken as it is. `quoted` when it came from quotes or a backslash escape, which
    /// keeps it from being read as an assignment or a descriptor number.
    Literal { text: String, quoted: bool },
    /// A parameter to look up; `quoted` (inside `"..."`) keeps its value one field.
    Param { param: Param, quoted: bool },
    /// An unquoted `~` at the start of a word, before `/` or the end: `$HOME`.
    Tilde,
}

/// One word of a command line, not yet expanded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    /// The parts, in order.
    pub parts: Vec<WordPart>,
}

/// Where expansion finds the values of parameters.
pub trait Environment {
    /// The value of `param`, or `None` when it is unset. For [`Param::Args`] and
    /// [`Param::ArgsJoined`] it is the positional parameters joined by spaces.
    fn value(&self, param: &Param) -> Option<String>;
}

impl Word {
    /// A word of one unquoted literal (tests and callers that build commands by hand).
    pub fn literal(text: &str) -> Word {
        Word {
            parts: alloc::vec![WordPart::Literal {
                text: String::from(text),
                quoted: false,
            }],
        }
    }

    /// Appends `text` as literal text with the given quoting, merging it with the last part
    /// when that has the same quoting.
    pub(crate) fn push_text(&mut self, text: &str, quoted: bool) {
        if let Some(WordPart::Literal {
            text: last,
            quoted: last_quoted,
        }) = self.parts.last_mut()
            && *last_quoted == quoted
        {
            last.push_str(text);
            return;
        }
        self.parts.push(WordPart::Literal {
            text: String::from(text),
            quoted,
        });
    }

    /// Appends one literal character.
    pub(crate) fn push_char(&mut self, c: char, quoted: bool) {
        let mut buf = [0u8; 4];
        self.push_text(c.encode_utf8(&mut buf), quoted);
    }

    /// The word's text when it is one unquoted literal (`None` if any part is quoted or a
    /// parameter): what decides whether a word is a descriptor number or an assignment.
    pub fn plain_text(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [
                WordPart::Literal {
                    text,
                    quoted: false,
                },
            ] => Some(text),
            _ => None,
        }
    }

    /// Expands the word into one string, without splitting it into fields: for redirection
    /// targets and assignment values.
    pub fn expand(&self, env: &impl Environment) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                WordPart::Literal { text, .. } => out.push_str(text),
                WordPart::Param { param, .. } => {
                    out.push_str(&env.value(param).unwrap_or_default());
                }
                WordPart::Tilde => out.push_str(&home(env)),
            }
        }
        out
    }

    /// Appends the fields of this word to `fields`: unquoted parameter values are split at
    /// blanks (space, tab, newline); everything else is glued to its neighbours. A word made
    /// only of unquoted parameters that are empty yields no field; `""` yields one empty
    /// field.
    fn expand_into(&self, env: &impl Environment, fields: &mut Vec<String>) {
        let mut current = String::new();
        // Whether `current` is a field even if it is empty (something quoted was seen).
        let mut started = false;
        for part in &self.parts {
            match part {
                WordPart::Literal { text, .. } => {
                    current.push_str(text);
                    started = true;
                }
                WordPart::Tilde => {
                    current.push_str(&home(env));
                    started = true;
                }
                WordPart::Param {
                    param: Param::Args,
                    quoted: true,
                } => {
                    // "$@": one field per parameter, the first and last glued to the text
                    // around them; no field at all when there are none.
                    for (index, arg) in positional_args(env).into_iter().enumerate() {
                        if index > 0 {
                            fields.push(core::mem::take(&mut current));
                        }
                        current.push_str(&arg);
                        started = true;
                    }
                }
                WordPart::Param {
                    param,
                    quoted: true,
                } => {
                    current.push_str(&env.value(param).unwrap_or_default());
                    started = true;
                }
                WordPart::Param {
                    param,
                    quoted: false,
                } => {
                    for c in env.value(param).unwrap_or_default().chars() {
                        if is_blank(c) {
                            if started {
                                fields.push(core::mem::take(&mut current));
                                started = false;
                            }
                        } else {
                            current.push(c);
                            started = true;
                        }
                    }
                }
            }
        }
        if started {
            fields.push(current);
        }
    }
}

/// Expands argument words into the fields that become `argv`.
pub fn expand_fields(words: &[Word], env: &impl Environment) -> Vec<String> {
    let mut fields = Vec::new();
    for word in words {
        word.expand_into(env, &mut fields);
    }
    fields
}

/// `$1`, `$2`, ... up to `$#`.
fn positional_args(env: &impl Environment) -> Vec<String> {
    let count = env
        .value(&Param::ArgCount)
        .and_then(|count| count.parse::<usize>().ok())
        .unwrap_or(0);
    (1..=count)
        .map(|index| env.value(&Param::Positional(index)).unwrap_or_default())
        .collect()
}

/// What `~` stands for: `$HOME`, or `~` itself when `HOME` is unset.
fn home(env: &impl Environment) -> String {
    env.value(&Param::Var(String::from("HOME")))
        .unwrap_or_else(|| String::from("~"))
}

/// The characters that separate fields (the default `IFS`).
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    /// A fixed environment: `X=" b  c "`, `E=""`, `HOME=/home/ada`, status 3, pid 42, and
    /// the positional parameters `"one"`, `"two  words"`.
    struct Fixed;

    impl Environment for Fixed {
        fn value(&self, param: &Param) -> Option<String> {
            match param {
                Param::ArgCount => Some("2".to_string()),
                Param::Positional(1) => Some("one".to_string()),
                Param::Positional(2) => Some("two  words".to_string()),
                Param::Args | Param::ArgsJoined => Some("one two  words".to_string()),
                Param::Var(name) if name == "X" => Some(" b  c ".to_string()),
                Param::Var(name) if name == "E" => Some(String::new()),
                Param::Var(name) if name == "HOME" => Some("/home/ada".to_string()),
                Param::Status => Some("3".to_string()),
                Param::ShellPid => Some("42".to_string()),
                _ => None,
            }
        }
    }

    fn var(name: &str, quoted: bool) -> WordPart {
        WordPart::Param {
            param: Param::Var(name.to_string()),
            quoted,
        }
    }

    fn lit(text: &str, quoted: bool) -> WordPart {
        WordPart::Literal {
            text: text.to_string(),
            quoted,
        }
    }

    fn word(parts: Vec<WordPart>) -> Word {
        Word { parts }
    }

    #[test]
    fn unquoted_values_split_into_fields() {
        let w = word(vec![lit("a", false), var("X", false), lit("d", false)]);
        assert_eq!(expand_fields(&[w], &Fixed), ["a", "b", "c", "d"]);
    }

    #[test]
    fn quoted_values_stay_one_field() {
        let w = word(vec![lit("a", false), var("X", true)]);
        assert_eq!(
            expand_fields(core::slice::from_ref(&w), &Fixed),
            ["a b  c "]
        );
        assert_eq!(w.expand(&Fixed), "a b  c ");
    }

    #[test]
    fn empty_and_unset_values_vanish_unless_quoted() {
        let fields = expand_fields(
            &[
                word(vec![var("E", false)]),
                word(vec![var("UNSET", false)]),
                word(vec![var("E", true)]),
                word(vec![lit("", true)]),
            ],
            &Fixed,
        );
        assert_eq!(fields, ["", ""]);
    }

    #[test]
    fn special_parameters_and_tilde() {
        let w = word(vec![
            WordPart::Tilde,
            lit("/", false),
            WordPart::Param {
                param: Param::Status,
                quoted: false,
            },
            WordPart::Param {
                param: Param::ShellPid,
                quoted: true,
            },
        ]);
        assert_eq!(expand_fields(&[w], &Fixed), ["/home/ada/342"]);
    }

    #[test]
    fn quoted_at_keeps_each_parameter_whole() {
        let at = |quoted| WordPart::Param {
            param: Param::Args,
            quoted,
        };
        let star = WordPart::Param {
            param: Param::ArgsJoined,
            quoted: true,
        };
        assert_eq!(
            expand_fields(
                &[word(vec![lit("<", true), at(true), lit(">", true)])],
                &Fixed
            ),
            ["<one", "two  words>"]
        );
        assert_eq!(
            expand_fields(&[word(vec![at(false)])], &Fixed),
            ["one", "two", "words"]
        );
        assert_eq!(
            expand_fields(&[word(vec![star])], &Fixed),
            ["one two  words"]
        );
    }

    #[test]
    fn quoted_at_without_parameters_is_no_field() {
        struct NoArgs;
        impl Environment for NoArgs {
            fn value(&self, param: &Param) -> Option<String> {
                match param {
                    Param::ArgCount => Some("0".to_string()),
                    _ => None,
                }
            }
        }
        let at = WordPart::Param {
            param: Param::Args,
            quoted: true,
        };
        assert!(expand_fields(&[word(vec![at])], &NoArgs).is_empty());
    }

    #[test]
    fn tilde_without_home_stays() {
        struct Empty;
        impl Environment for Empty {
            fn value(&self, _: &Param) -> Option<String> {
                None
            }
        }
        assert_eq!(word(vec![WordPart::Tilde]).expand(&Empty), "~");
    }

    #[test]
    fn pushes_merge_same_quoting() {
        let mut w = Word::default();
        w.push_char('a', false);
        w.push_text("bc", false);
        w.push_char('d', true);
        w.push_text("", true);
        assert_eq!(w.parts, [lit("abc", false), lit("d", true)]);
        assert_eq!(w.plain_text(), None);
        assert_eq!(Word::literal("2").plain_text(), Some("2"));
    }
}
