//! The parser (concept U3): tokens to the command tree `List -> AndOr -> Pipeline ->
//! Command`, after the POSIX shell grammar:
//!
//! ```text
//! list      := and_or ((';' | '&' | newline) and_or?)*
//! and_or    := pipeline (('&&' | '||') newline* pipeline)*
//! pipeline  := command ('|' newline* command)*
//! command   := (NAME=value | redirect)* (word | redirect)*      (at least one of them)
//! redirect  := [n] ('<' | '>' | '>>') word  |  [n] ('<&' | '>&') (digits | '-')
//! ```
//!
//! The parser only builds the tree; nothing is expanded or looked up. Each and-or list and
//! each pipeline keeps the source text it came from, which is how jobs are shown.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::ParseError;
use crate::lexer::{Operator, Token, TokenKind, tokenize};
use crate::variables::is_valid_name;
use crate::word::{Word, WordPart};

/// A whole line (or script): and-or lists run one after the other.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List {
    /// The and-or lists in order.
    pub items: Vec<ListItem>,
}

/// One and-or list of a [`List`] and how it was ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListItem {
    /// The commands.
    pub and_or: AndOr,
    /// Ended by `&`: run it as a background job and go on at once.
    pub background: bool,
}

/// Pipelines joined by `&&` and `||`: each runs only if the status so far allows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndOr {
    /// The first pipeline, which always runs.
    pub first: Pipeline,
    /// The others, each with the operator before it.
    pub rest: Vec<(Connector, Pipeline)>,
    /// The source text (without the `;` or `&` that ended it).
    pub text: String,
}

/// `&&` or `||`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: run the next pipeline if the last status was 0.
    And,
    /// `||`: run the next pipeline if the last status was not 0.
    Or,
}

/// Commands joined by `|`, each one's standard output feeding the next one's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// The commands, at least one.
    pub commands: Vec<Command>,
    /// The source text.
    pub text: String,
}

/// A simple command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// `NAME=value` words before the command name: the environment of this command only
    /// (or, without a command name, shell variables).
    pub assignments: Vec<Assignment>,
    /// The command name and its arguments (may be empty: `> file`, `A=1`).
    pub argv: Vec<Word>,
    /// The redirections, in the order they are done.
    pub redirects: Vec<Redirect>,
}

/// `NAME=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The variable's name.
    pub name: String,
    /// The value, expanded without field splitting.
    pub value: Word,
}

/// A redirection of one descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The descriptor redirected (0 for `<` and `<&`, 1 for `>`, `>>` and `>&` unless a
    /// number is written before the operator).
    pub fd: i32,
    /// What it is redirected to.
    pub kind: RedirectKind,
}

/// What a [`Redirect`] does to its descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    /// `< file`: open the file for reading.
    Input(Word),
    /// `> file`: create or truncate the file and write to it.
    Output(Word),
    /// `>> file`: create the file or append to it.
    Append(Word),
    /// `>&m` / `<&m`: make the descriptor a copy of descriptor `m`.
    Duplicate(i32),
    /// `>&-` / `<&-`: close the descriptor.
    Close,
}

/// Parses `source` (one or more lines) into a [`List`]. An empty line or a comment is an
/// empty list.
pub fn parse(source: &str) -> Result<List, ParseError> {
    let mut parser = Parser {
        source,
        tokens: tokenize(source)?,
        pos: 0,
    };
    parser.list()
}

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    /// Index of the next token.
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&TokenKind> {
        self.tokens.get(self.pos).map(|token| &token.kind)
    }

    fn peek_op(&self) -> Option<Operator> {
        match self.peek() {
            Some(TokenKind::Op(op)) => Some(*op),
            _ => None,
        }
    }

    /// Where the next token starts (the end of the source if there is none).
    fn next_start(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.source.len(), |token| token.start)
    }

    /// Where the last consumed token ends.
    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|last| self.tokens.get(last))
            .map_or(0, |token| token.end)
    }

    fn text_from(&self, start: usize) -> String {
        String::from(&self.source[start..self.last_end().max(start)])
    }

    fn skip_newlines(&mut self) {
        while self.peek_op() == Some(Operator::Newline) {
            self.pos += 1;
        }
    }

    fn list(&mut self) -> Result<List, ParseError> {
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            if self.peek().is_none() {
                return Ok(List { items });
            }
            let and_or = self.and_or()?;
            let background = match self.peek_op() {
                Some(Operator::Amp) => true,
                Some(Operator::Semi | Operator::Newline) | None => false,
                Some(op) => return Err(ParseError::UnexpectedToken(op.as_str())),
            };
            if self.peek().is_some() {
                self.pos += 1;
            }
            items.push(ListItem { and_or, background });
        }
    }

    fn and_or(&mut self) -> Result<AndOr, ParseError> {
        let start = self.next_start();
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let connector = match self.peek_op() {
                Some(Operator::AndIf) => Connector::And,
                Some(Operator::OrIf) => Connector::Or,
                _ => break,
            };
            self.pos += 1;
            let operator = if connector == Connector::And {
                "&&"
            } else {
                "||"
            };
            self.command_follows(operator)?;
            rest.push((connector, self.pipeline()?));
        }
        Ok(AndOr {
            first,
            rest,
            text: self.text_from(start),
        })
    }

    /// After an operator that needs a command: skips newlines and fails if the input ends.
    fn command_follows(&mut self, operator: &'static str) -> Result<(), ParseError> {
        self.skip_newlines();
        if self.peek().is_none() {
            return Err(ParseError::MissingCommand(operator));
        }
        Ok(())
    }

    fn pipeline(&mut self) -> Result<Pipeline, ParseError> {
        let start = self.next_start();
        let mut commands = alloc::vec![self.command()?];
        while self.peek_op() == Some(Operator::Pipe) {
            self.pos += 1;
            self.command_follows("|")?;
            commands.push(self.command()?);
        }
        Ok(Pipeline {
            commands,
            text: self.text_from(start),
        })
    }

    fn command(&mut self) -> Result<Command, ParseError> {
        let mut command = Command::default();
        loop {
            match self.peek() {
                Some(TokenKind::Word(word)) => {
                    let assignment = if command.argv.is_empty() {
                        as_assignment(word)
                    } else {
                        None
                    };
                    match assignment {
                        Some(assignment) => command.assignments.push(assignment),
                        None => command.argv.push(word.clone()),
                    }
                    self.pos += 1;
                }
                Some(TokenKind::IoNumber(fd)) => {
                    let fd = *fd;
                    self.pos += 1;
                    command.redirects.push(self.redirect(Some(fd))?);
                }
                Some(TokenKind::Op(
                    Operator::Less
                    | Operator::Great
                    | Operator::DoubleGreat
                    | Operator::LessAnd
                    | Operator::GreatAnd,
                )) => command.redirects.push(self.redirect(None)?),
                _ => break,
            }
        }
        let empty = command.assignments.is_empty()
            && command.argv.is_empty()
            && command.redirects.is_empty();
        if empty {
            let found = self.peek_op().map_or("newline", Operator::as_str);
            return Err(ParseError::UnexpectedToken(found));
        }
        Ok(command)
    }

    /// A redirection: the operator is the next token, `fd` the number written before it.
    fn redirect(&mut self, fd: Option<i32>) -> Result<Redirect, ParseError> {
        let op = self
            .peek_op()
            .ok_or(ParseError::UnexpectedToken("newline"))?;
        self.pos += 1;
        let fd = fd.unwrap_or(match op {
            Operator::Less | Operator::LessAnd => 0,
            _ => 1,
        });
        let written = || match fd {
            0 if matches!(op, Operator::Less | Operator::LessAnd) => String::from(op.as_str()),
            1 if !matches!(op, Operator::Less | Operator::LessAnd) => String::from(op.as_str()),
            _ => format!("{fd}{}", op.as_str()),
        };
        let Some(Token {
            kind: TokenKind::Word(target),
            start,
            end,
        }) = self.tokens.get(self.pos)
        else {
            return Err(ParseError::MissingRedirectTarget(written()));
        };
        let (target, target_text) = (target.clone(), &self.source[*start..*end]);
        self.pos += 1;
        let kind = match op {
            Operator::Less => RedirectKind::Input(target),
            Operator::Great => RedirectKind::Output(target),
            Operator::DoubleGreat => RedirectKind::Append(target),
            _ => match target.plain_text() {
                Some("-") => RedirectKind::Close,
                Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => digits
                    .parse()
                    .map(RedirectKind::Duplicate)
                    .map_err(|_| ParseError::BadDuplicationTarget(String::from(target_text)))?,
                _ => return Err(ParseError::BadDuplicationTarget(String::from(target_text))),
            },
        };
        Ok(Redirect { fd, kind })
    }
}

/// The word as `NAME=value` if it starts with a valid name and an unquoted `=`.
fn as_assignment(word: &Word) -> Option<Assignment> {
    let Some(WordPart::Literal {
        text,
        quoted: false,
    }) = word.parts.first()
    else {
        return None;
    };
    let (name, first_value) = text.split_once('=')?;
    if !is_valid_name(name) {
        return None;
    }
    let mut value = Word::default();
    if !first_value.is_empty() {
        value.push_text(first_value, false);
    }
    value.parts.extend(word.parts[1..].iter().cloned());
    Some(Assignment {
        name: String::from(name),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::word::Param;
    use alloc::string::ToString;
    use alloc::vec;

    fn words(texts: &[&str]) -> Vec<Word> {
        texts.iter().map(|text| Word::literal(text)).collect()
    }

    fn simple(texts: &[&str]) -> Command {
        Command {
            argv: words(texts),
            ..Command::default()
        }
    }

    /// The commands of a one-pipeline line.
    fn pipeline_of(source: &str) -> Vec<Command> {
        let list = parse(source).unwrap();
        assert_eq!(list.items.len(), 1, "{source}");
        let item = &list.items[0];
        assert!(item.and_or.rest.is_empty(), "{source}");
        item.and_or.first.commands.clone()
    }

    /// The redirections of a one-command line.
    fn redirects_of(source: &str) -> Vec<Redirect> {
        let commands = pipeline_of(source);
        assert_eq!(commands.len(), 1);
        commands[0].redirects.clone()
    }

    fn redirect(fd: i32, kind: RedirectKind) -> Redirect {
        Redirect { fd, kind }
    }

    #[test]
    fn empty_lines_and_comments_are_empty_lists() {
        for source in ["", "   ", "\n\n", "# only a comment", "#!/bin/sh"] {
            assert_eq!(parse(source), Ok(List::default()), "{source:?}");
        }
    }

    #[test]
    fn simple_command() {
        assert_eq!(
            pipeline_of("echo  hello world"),
            [simple(&["echo", "hello", "world"])]
        );
    }

    #[test]
    fn pipelines_of_any_length() {
        assert_eq!(pipeline_of("a|b"), [simple(&["a"]), simple(&["b"])]);
        let long = pipeline_of("cat f | grep x | sort | uniq -c | head -n 3");
        assert_eq!(long.len(), 5);
        assert_eq!(long[3], simple(&["uniq", "-c"]));
        assert_eq!(pipeline_of("a |\n b").len(), 2);
    }

    #[test]
    fn lists_and_background() {
        let list = parse("a; b & c\nd &").unwrap();
        let shape: Vec<(String, bool)> = list
            .items
            .iter()
            .map(|item| (item.and_or.text.clone(), item.background))
            .collect();
        assert_eq!(
            shape,
            [
                ("a".to_string(), false),
                ("b".to_string(), true),
                ("c".to_string(), false),
                ("d".to_string(), true),
            ]
        );
    }

    #[test]
    fn and_or_lists() {
        let list = parse("make && ./run || echo failed").unwrap();
        let and_or = &list.items[0].and_or;
        assert_eq!(and_or.first.commands, [simple(&["make"])]);
        assert_eq!(
            and_or.rest,
            [
                (
                    Connector::And,
                    Pipeline {
                        commands: vec![simple(&["./run"])],
                        text: "./run".to_string()
                    }
                ),
                (
                    Connector::Or,
                    Pipeline {
                        commands: vec![simple(&["echo", "failed"])],
                        text: "echo failed".to_string()
                    }
                ),
            ]
        );
        assert_eq!(and_or.text, "make && ./run || echo failed");
        assert_eq!(parse("a &&\n\n b").unwrap().items[0].and_or.rest.len(), 1);
    }

    #[test]
    fn job_text_is_the_source_text() {
        let list = parse("  sleep 10 | cat  &  echo 'x  y' ;").unwrap();
        assert_eq!(list.items[0].and_or.text, "sleep 10 | cat");
        assert_eq!(list.items[0].and_or.first.text, "sleep 10 | cat");
        assert_eq!(list.items[1].and_or.text, "echo 'x  y'");
    }

    #[test]
    fn file_redirections() {
        assert_eq!(
            redirects_of("cmd < in > out 2> err"),
            [
                redirect(0, RedirectKind::Input(Word::literal("in"))),
                redirect(1, RedirectKind::Output(Word::literal("out"))),
                redirect(2, RedirectKind::Output(Word::literal("err"))),
            ]
        );
        assert_eq!(
            redirects_of("cmd >> log 2>> errlog 5<input"),
            [
                redirect(1, RedirectKind::Append(Word::literal("log"))),
                redirect(2, RedirectKind::Append(Word::literal("errlog"))),
                redirect(5, RedirectKind::Input(Word::literal("input"))),
            ]
        );
    }

    #[test]
    fn duplications_and_closes() {
        assert_eq!(
            redirects_of("cmd 2>&1 >&2 3<&0 4>&- <&-"),
            [
                redirect(2, RedirectKind::Duplicate(1)),
                redirect(1, RedirectKind::Duplicate(2)),
                redirect(3, RedirectKind::Duplicate(0)),
                redirect(4, RedirectKind::Close),
                redirect(0, RedirectKind::Close),
            ]
        );
    }

    #[test]
    fn redirections_may_come_anywhere() {
        let commands = pipeline_of(">out echo a 2>&1 b");
        assert_eq!(commands[0].argv, words(&["echo", "a", "b"]));
        assert_eq!(commands[0].redirects.len(), 2);
        let only = pipeline_of("> created");
        assert!(only[0].argv.is_empty());
        assert_eq!(only[0].redirects.len(), 1);
    }

    #[test]
    fn assignments_before_the_command_name_only() {
        let commands = pipeline_of("A=1 B= C=x$HOME cmd D=2");
        let command = &commands[0];
        assert_eq!(command.argv, words(&["cmd", "D=2"]));
        assert_eq!(
            command.assignments,
            [
                Assignment {
                    name: "A".to_string(),
                    value: Word::literal("1"),
                },
                Assignment {
                    name: "B".to_string(),
                    value: Word::default(),
                },
                Assignment {
                    name: "C".to_string(),
                    value: Word {
                        parts: vec![
                            WordPart::Literal {
                                text: "x".to_string(),
                                quoted: false
                            },
                            WordPart::Param {
                                param: Param::Var("HOME".to_string()),
                                quoted: false
                            },
                        ]
                    },
                },
            ]
        );
    }

    #[test]
    fn quoted_or_invalid_names_are_not_assignments() {
        for source in [
            "'A=1' cmd",
            "\"A\"=1 cmd",
            "1A=2 cmd",
            "=x cmd",
            "A\\=1 cmd",
        ] {
            let commands = pipeline_of(source);
            assert!(commands[0].assignments.is_empty(), "{source}");
            assert_eq!(commands[0].argv.len(), 2, "{source}");
        }
        let only = pipeline_of("PATH=/bin");
        assert!(only[0].argv.is_empty());
        assert_eq!(only[0].assignments[0].name, "PATH");
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(parse("| wc"), Err(ParseError::UnexpectedToken("|")));
        assert_eq!(parse("echo hi |"), Err(ParseError::MissingCommand("|")));
        assert_eq!(parse("echo hi | \n"), Err(ParseError::MissingCommand("|")));
        assert_eq!(parse("a &&"), Err(ParseError::MissingCommand("&&")));
        assert_eq!(parse("a ||"), Err(ParseError::MissingCommand("||")));
        assert_eq!(parse("a | | b"), Err(ParseError::UnexpectedToken("|")));
        assert_eq!(parse("; a"), Err(ParseError::UnexpectedToken(";")));
        assert_eq!(parse("a ; ; b"), Err(ParseError::UnexpectedToken(";")));
        assert_eq!(parse("& a"), Err(ParseError::UnexpectedToken("&")));
        assert_eq!(parse("a && || b"), Err(ParseError::UnexpectedToken("||")));
    }

    #[test]
    fn missing_redirect_targets() {
        let missing = |text: &str| Err(ParseError::MissingRedirectTarget(text.to_string()));
        assert_eq!(parse("echo >"), missing(">"));
        assert_eq!(parse("cat <"), missing("<"));
        assert_eq!(parse("echo 2>>"), missing("2>>"));
        assert_eq!(parse("echo > | wc"), missing(">"));
        assert_eq!(parse("echo 2>&"), missing("2>&"));
        assert_eq!(parse("cat 0< ; x"), missing("<"));
    }

    #[test]
    fn bad_duplication_targets() {
        assert_eq!(
            parse("echo 2>&file"),
            Err(ParseError::BadDuplicationTarget("file".to_string()))
        );
        assert_eq!(
            parse("echo 2>&'1'"),
            Err(ParseError::BadDuplicationTarget("'1'".to_string()))
        );
        assert_eq!(
            parse("echo >&99999999999"),
            Err(ParseError::BadDuplicationTarget("99999999999".to_string()))
        );
    }

    #[test]
    fn lexer_errors_pass_through() {
        assert_eq!(parse("echo 'a"), Err(ParseError::UnterminatedQuote('\'')));
        assert!(parse("echo \"a").unwrap_err().is_incomplete());
        assert!(parse("echo a |").unwrap_err().is_incomplete());
        assert!(!parse("| a").unwrap_err().is_incomplete());
    }

    #[test]
    fn multi_line_input_after_continuation() {
        let list = parse("echo 'a\nb' |\nwc\n").unwrap();
        assert_eq!(list.items.len(), 1);
        let commands = &list.items[0].and_or.first.commands;
        assert_eq!(commands.len(), 2);
        assert_eq!(
            commands[0].argv[1].parts,
            [WordPart::Literal {
                text: "a\nb".to_string(),
                quoted: true
            }]
        );
    }
}
