//! The lexer (concept U3): splits a line into words and operators, the way the POSIX shell's
//! token recognition does, and resolves quoting while it goes.
//!
//! - Blanks separate words; a newline is a separator token like `;`.
//! - `'...'` keeps everything literally; `"..."` keeps everything but `$` parameters and the
//!   backslash escapes `\$ \" \\ \` \<newline>`; an unquoted backslash quotes the next
//!   character (`\<newline>` joins two lines).
//! - `#` at the start of a word starts a comment that runs to the end of the line.
//! - A word of unquoted digits directly followed by `<` or `>` is a descriptor number.
//!
//! Every token carries the byte range of the source it came from, so that the parser can
//! give each job the text the user typed.

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::ParseError;
use crate::word::{Param, Word, WordPart};

/// An operator token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operator {
    /// `|`
    Pipe,
    /// `||`
    OrIf,
    /// `&`
    Amp,
    /// `&&`
    AndIf,
    /// `;`
    Semi,
    /// A newline.
    Newline,
    /// `<`
    Less,
    /// `>` (or `>|`)
    Great,
    /// `>>`
    DoubleGreat,
    /// `<&`
    LessAnd,
    /// `>&`
    GreatAnd,
}

impl Operator {
    /// The operator as it is written (newline as the word `newline`, as shells say).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Operator::Pipe => "|",
            Operator::OrIf => "||",
            Operator::Amp => "&",
            Operator::AndIf => "&&",
            Operator::Semi => ";",
            Operator::Newline => "newline",
            Operator::Less => "<",
            Operator::Great => ">",
            Operator::DoubleGreat => ">>",
            Operator::LessAnd => "<&",
            Operator::GreatAnd => ">&",
        }
    }
}

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A word.
    Word(Word),
    /// A descriptor number right before a redirection operator (`2` in `2>err`).
    IoNumber(i32),
    /// An operator.
    Op(Operator),
}

/// A token and the byte range `start..end` of the source it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits `source` into tokens.
pub(crate) fn tokenize(source: &str) -> Result<Vec<Token>, ParseError> {
    let mut lexer = Lexer {
        source,
        pos: 0,
        tokens: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    source: &'a str,
    /// Byte offset of the next character.
    pos: usize,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.source[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.source[self.pos..].chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn run(&mut self) -> Result<(), ParseError> {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' => {
                    self.bump();
                }
                '#' => self.skip_comment(),
                '\\' if self.peek_second() == Some('\n') => self.join_lines()?,
                _ if is_operator_start(c) => self.operator()?,
                _ => self.word()?,
            }
        }
        Ok(())
    }

    /// At `\<newline>`, which joins two lines: skips both; the input must go on after them
    /// (else it is incomplete: the next line is still to come).
    fn join_lines(&mut self) -> Result<(), ParseError> {
        self.pos += 2;
        if self.pos == self.source.len() {
            return Err(ParseError::TrailingBackslash);
        }
        Ok(())
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            start,
            end: self.pos,
        });
    }

    fn operator(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        let first = self.bump().unwrap_or('\n');
        let next = self.peek();
        let (op, two) = match (first, next) {
            ('|', Some('|')) => (Operator::OrIf, true),
            ('|', _) => (Operator::Pipe, false),
            ('&', Some('&')) => (Operator::AndIf, true),
            ('&', Some('>')) => return Err(ParseError::Unsupported("&> (write > file 2>&1)")),
            ('&', _) => (Operator::Amp, false),
            (';', Some(';')) => return Err(ParseError::UnexpectedToken(";;")),
            (';', _) => (Operator::Semi, false),
            ('\n', _) => (Operator::Newline, false),
            ('<', Some('<')) => return Err(ParseError::Unsupported("here-documents (<<)")),
            ('<', Some('>')) => return Err(ParseError::Unsupported("read-write redirection (<>)")),
            ('<', Some('&')) => (Operator::LessAnd, true),
            ('<', _) => (Operator::Less, false),
            ('>', Some('>')) => (Operator::DoubleGreat, true),
            ('>', Some('&')) => (Operator::GreatAnd, true),
            ('>', Some('|')) => (Operator::Great, true),
            ('>', _) => (Operator::Great, false),
            _ => return Err(ParseError::Unsupported("subshells and groups ( )")),
        };
        if two {
            self.bump();
        }
        self.push(TokenKind::Op(op), start);
        Ok(())
    }

    fn word(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        let mut word = Word::default();
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' | '\n' => break,
                _ if is_operator_start(c) => break,
                '\'' => {
                    self.bump();
                    self.single_quoted(&mut word)?;
                }
                '"' => {
                    self.bump();
                    self.double_quoted(&mut word)?;
                }
                '\\' if self.peek_second() == Some('\n') => self.join_lines()?,
                '\\' => {
                    self.bump();
                    match self.bump() {
                        None => return Err(ParseError::TrailingBackslash),
                        Some(escaped) => word.push_char(escaped, true),
                    }
                }
                '$' => {
                    self.bump();
                    self.dollar(&mut word, false)?;
                }
                '`' => return Err(ParseError::Unsupported("command substitution (`...`)")),
                '~' if self.pos == start && self.tilde_ends_here() => {
                    self.bump();
                    word.parts.push(WordPart::Tilde);
                }
                _ => {
                    self.bump();
                    word.push_char(c, false);
                }
            }
        }
        let descriptor = match self.peek() {
            Some('<' | '>') => word
                .plain_text()
                .filter(|text| text.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|text| text.parse::<i32>().ok()),
            _ => None,
        };
        match descriptor {
            Some(fd) => self.push(TokenKind::IoNumber(fd), start),
            None => self.push(TokenKind::Word(word), start),
        }
        Ok(())
    }

    /// Whether the `~` at `pos` is followed by `/`, a blank, an operator or the end.
    fn tilde_ends_here(&self) -> bool {
        match self.peek_second() {
            None => true,
            Some(c) => c == '/' || matches!(c, ' ' | '\t' | '\r' | '\n') || is_operator_start(c),
        }
    }

    /// After an opening `'`.
    fn single_quoted(&mut self, word: &mut Word) -> Result<(), ParseError> {
        let rest = &self.source[self.pos..];
        let Some(close) = rest.find('\'') else {
            return Err(ParseError::UnterminatedQuote('\''));
        };
        word.push_text(&rest[..close], true);
        self.pos += close + 1;
        Ok(())
    }

    /// After an opening `"`.
    fn double_quoted(&mut self, word: &mut Word) -> Result<(), ParseError> {
        // `""` is still a (possibly empty) quoted word.
        word.push_text("", true);
        loop {
            match self.bump() {
                None => return Err(ParseError::UnterminatedQuote('"')),
                Some('"') => return Ok(()),
                Some('\\') => match self.bump() {
                    None => return Err(ParseError::UnterminatedQuote('"')),
                    Some('\n') => {}
                    Some(c @ ('$' | '`' | '"' | '\\')) => word.push_char(c, true),
                    Some(c) => {
                        word.push_char('\\', true);
                        word.push_char(c, true);
                    }
                },
                Some('$') => self.dollar(word, true)?,
                Some('`') => return Err(ParseError::Unsupported("command substitution (`...`)")),
                Some(c) => word.push_char(c, true),
            }
        }
    }

    /// After a `$`: a parameter, or a literal `$` when nothing that names one follows.
    fn dollar(&mut self, word: &mut Word, quoted: bool) -> Result<(), ParseError> {
        let param = match self.peek() {
            Some('{') => {
                self.bump();
                let rest = &self.source[self.pos..];
                let Some(close) = rest.find('}') else {
                    return Err(ParseError::UnterminatedBrace);
                };
                let name = &rest[..close];
                self.pos += close + 1;
                braced_param(name).ok_or_else(|| ParseError::BadSubstitution(String::from(name)))?
            }
            Some('(') => return Err(ParseError::Unsupported("command substitution $( )")),
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                let rest = &self.source[self.pos..];
                let len = rest
                    .find(|c: char| c != '_' && !c.is_ascii_alphanumeric())
                    .unwrap_or(rest.len());
                self.pos += len;
                Param::Var(String::from(&rest[..len]))
            }
            Some(c) => match special_param(c) {
                Some(param) => {
                    self.bump();
                    param
                }
                None => {
                    word.push_char('$', quoted);
                    return Ok(());
                }
            },
            None => {
                word.push_char('$', quoted);
                return Ok(());
            }
        };
        word.parts.push(WordPart::Param { param, quoted });
        Ok(())
    }
}

/// The one-character parameters: `$?`, `$$`, `$!`, `$#`, `$@`, `$*`, `$0`..`$9`.
fn special_param(c: char) -> Option<Param> {
    match c {
        '?' => Some(Param::Status),
        '$' => Some(Param::ShellPid),
        '!' => Some(Param::LastBackground),
        '#' => Some(Param::ArgCount),
        '@' => Some(Param::Args),
        '*' => Some(Param::ArgsJoined),
        _ => c
            .to_digit(10)
            .map(|digit| Param::Positional(digit as usize)),
    }
}

/// The parameter named inside `${...}`: a variable name, a number or a special character.
fn braced_param(name: &str) -> Option<Param> {
    if crate::variables::is_valid_name(name) {
        return Some(Param::Var(String::from(name)));
    }
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return name.parse().ok().map(Param::Positional);
    }
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => special_param(c),
        _ => None,
    }
}

/// Characters that end a word and start an operator (`(` and `)` only to be refused).
fn is_operator_start(c: char) -> bool {
    matches!(c, '|' | '&' | ';' | '<' | '>' | '\n' | '(' | ')')
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn kinds(source: &str) -> Vec<TokenKind> {
        tokenize(source)
            .unwrap()
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    fn lit(text: &str, quoted: bool) -> WordPart {
        WordPart::Literal {
            text: text.to_string(),
            quoted,
        }
    }

    fn word(parts: Vec<WordPart>) -> TokenKind {
        TokenKind::Word(Word { parts })
    }

    fn plain(text: &str) -> TokenKind {
        TokenKind::Word(Word::literal(text))
    }

    fn var(name: &str, quoted: bool) -> WordPart {
        WordPart::Param {
            param: Param::Var(name.to_string()),
            quoted,
        }
    }

    #[test]
    fn words_and_operators() {
        use Operator::*;
        assert_eq!(
            kinds("a|b||c&d&&e;f\ng"),
            [
                plain("a"),
                TokenKind::Op(Pipe),
                plain("b"),
                TokenKind::Op(OrIf),
                plain("c"),
                TokenKind::Op(Amp),
                plain("d"),
                TokenKind::Op(AndIf),
                plain("e"),
                TokenKind::Op(Semi),
                plain("f"),
                TokenKind::Op(Newline),
                plain("g"),
            ]
        );
    }

    #[test]
    fn redirection_operators_and_descriptor_numbers() {
        use Operator::*;
        assert_eq!(
            kinds("<a >b >>c 2>d 2>>e 2>&1 >&2 3<&0 >|f 12>g"),
            [
                TokenKind::Op(Less),
                plain("a"),
                TokenKind::Op(Great),
                plain("b"),
                TokenKind::Op(DoubleGreat),
                plain("c"),
                TokenKind::IoNumber(2),
                TokenKind::Op(Great),
                plain("d"),
                TokenKind::IoNumber(2),
                TokenKind::Op(DoubleGreat),
                plain("e"),
                TokenKind::IoNumber(2),
                TokenKind::Op(GreatAnd),
                plain("1"),
                TokenKind::Op(GreatAnd),
                plain("2"),
                TokenKind::IoNumber(3),
                TokenKind::Op(LessAnd),
                plain("0"),
                TokenKind::Op(Great),
                plain("f"),
                TokenKind::IoNumber(12),
                TokenKind::Op(Great),
                plain("g"),
            ]
        );
    }

    #[test]
    fn quoted_or_spaced_digits_are_words() {
        use Operator::*;
        assert_eq!(
            kinds("2 >a '2'>b a2>c"),
            [
                plain("2"),
                TokenKind::Op(Great),
                plain("a"),
                word(vec![lit("2", true)]),
                TokenKind::Op(Great),
                plain("b"),
                plain("a2"),
                TokenKind::Op(Great),
                plain("c"),
            ]
        );
    }

    #[test]
    fn single_quotes_keep_everything() {
        assert_eq!(
            kinds(r#"'a $b \c "d"'"#),
            [word(vec![lit(r#"a $b \c "d""#, true)])]
        );
    }

    #[test]
    fn double_quotes_expand_and_escape() {
        assert_eq!(
            kinds(r#""x $HOME ${A}\$ \" \\ \n""#),
            [word(vec![
                lit("x ", true),
                var("HOME", true),
                lit(" ", true),
                var("A", true),
                lit("$ \" \\ \\n", true),
            ])]
        );
    }

    #[test]
    fn backslash_quotes_one_character() {
        assert_eq!(
            kinds(r"a\ b \$x \|"),
            [
                word(vec![lit("a", false), lit(" ", true), lit("b", false)]),
                word(vec![lit("$", true), lit("x", false)]),
                word(vec![lit("|", true)]),
            ]
        );
    }

    #[test]
    fn backslash_newline_joins_lines() {
        assert_eq!(
            kinds("ec\\\nho a\\\n b"),
            [plain("echo"), plain("a"), plain("b")]
        );
        assert_eq!(tokenize("echo a\\\n"), Err(ParseError::TrailingBackslash));
        assert_eq!(tokenize("echo a \\\n"), Err(ParseError::TrailingBackslash));
    }

    #[test]
    fn empty_quotes_make_a_word() {
        assert_eq!(kinds("''"), [word(vec![lit("", true)])]);
        assert_eq!(kinds("\"\""), [word(vec![lit("", true)])]);
    }

    #[test]
    fn parameters() {
        let special = |param| WordPart::Param {
            param,
            quoted: false,
        };
        assert_eq!(
            kinds("$a_1x $? $$ $! $# $0 $12 ${HOME}/ ${3} ${?} $@ $*"),
            [
                word(vec![var("a_1x", false)]),
                word(vec![special(Param::Status)]),
                word(vec![special(Param::ShellPid)]),
                word(vec![special(Param::LastBackground)]),
                word(vec![special(Param::ArgCount)]),
                word(vec![special(Param::Positional(0))]),
                word(vec![special(Param::Positional(1)), lit("2", false)]),
                word(vec![var("HOME", false), lit("/", false)]),
                word(vec![special(Param::Positional(3))]),
                word(vec![special(Param::Status)]),
                word(vec![special(Param::Args)]),
                word(vec![special(Param::ArgsJoined)]),
            ]
        );
    }

    #[test]
    fn lone_dollar_is_literal() {
        assert_eq!(
            kinds("$ a$ \"$\" $-"),
            [
                plain("$"),
                plain("a$"),
                word(vec![lit("$", true)]),
                plain("$-"),
            ]
        );
    }

    #[test]
    fn comments_run_to_the_end_of_the_line() {
        assert_eq!(
            kinds("#!/bin/sh\necho a#b # c\nx"),
            [
                TokenKind::Op(Operator::Newline),
                plain("echo"),
                plain("a#b"),
                TokenKind::Op(Operator::Newline),
                plain("x"),
            ]
        );
    }

    #[test]
    fn tilde_only_at_the_start_of_a_word() {
        assert_eq!(
            kinds("~ ~/x a~ ~x '~'"),
            [
                word(vec![WordPart::Tilde]),
                word(vec![WordPart::Tilde, lit("/x", false)]),
                plain("a~"),
                plain("~x"),
                word(vec![lit("~", true)]),
            ]
        );
    }

    #[test]
    fn tokens_carry_their_source_range() {
        let source = "  sleep 'a b'  &&x";
        let tokens = tokenize(source).unwrap();
        let ranges: Vec<&str> = tokens.iter().map(|t| &source[t.start..t.end]).collect();
        assert_eq!(ranges, ["sleep", "'a b'", "&&", "x"]);
    }

    #[test]
    fn errors() {
        assert_eq!(
            tokenize("echo 'a"),
            Err(ParseError::UnterminatedQuote('\''))
        );
        assert_eq!(
            tokenize("echo \"a"),
            Err(ParseError::UnterminatedQuote('"'))
        );
        assert_eq!(
            tokenize("echo \"a\\"),
            Err(ParseError::UnterminatedQuote('"'))
        );
        assert_eq!(tokenize("echo a\\"), Err(ParseError::TrailingBackslash));
        assert_eq!(tokenize("echo ${a"), Err(ParseError::UnterminatedBrace));
        assert_eq!(
            tokenize("echo ${1a}"),
            Err(ParseError::BadSubstitution("1a".to_string()))
        );
        assert_eq!(
            tokenize("echo ${}"),
            Err(ParseError::BadSubstitution(String::new()))
        );
        assert!(matches!(
            tokenize("cat <<EOF"),
            Err(ParseError::Unsupported(_))
        ));
        assert!(matches!(
            tokenize("echo $(ls)"),
            Err(ParseError::Unsupported(_))
        ));
        assert!(matches!(
            tokenize("echo `ls`"),
            Err(ParseError::Unsupported(_))
        ));
        assert!(matches!(tokenize("(ls)"), Err(ParseError::Unsupported(_))));
        assert_eq!(tokenize("a;;b"), Err(ParseError::UnexpectedToken(";;")));
    }

    #[test]
    fn operator_names() {
        assert_eq!(Operator::DoubleGreat.as_str(), ">>");
        assert_eq!(Operator::Newline.as_str(), "newline");
    }
}
