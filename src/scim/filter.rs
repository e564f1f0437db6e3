//! The SCIM filter language of RFC 7644 §3.4.2.2: the AST ([`Filter`], [`AttrPath`],
//! [`CompValue`]) and a recursive-descent parser with a nesting limit, so a filter nested
//! 1,000 deep is refused with an error instead of exhausting the stack. `and` binds tighter
//! than `or`; `not` applies to a parenthesised filter; operators and keywords are
//! case-insensitive; string values are JSON strings.

use std::fmt;

/// Deepest nesting of parentheses, `not` and value filters a filter may have.
pub const MAX_DEPTH: usize = 32;
/// Longest filter accepted, in bytes.
pub const MAX_LEN: usize = 8 * 1024;
/// Most comparisons one filter may hold.
pub const MAX_TERMS: usize = 200;

/// Why a filter (or PATCH path) does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// `[schema URN ":"] name ["." sub]`, e.g. `name.givenName` or
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub schema: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.schema {
            write!(f, "{s}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(s) = &self.sub {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(s: &str) -> Option<CompareOp> {
        Some(match s.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }
}

/// A comparison's right-hand side.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            // The shorter of the plain and the exponent spelling (both JSON numbers that
            // parse back to the same f64): `1e-300` stays 6 bytes, not 302.
            CompValue::Number(n) => {
                let plain = n.to_string();
                let exp = format!("{n:e}");
                f.write_str(if exp.len() < plain.len() {
                    &exp
                } else {
                    &plain
                })
            }
            CompValue::Str(s) => f.write_str(&serde_json::to_string(s).map_err(|_| fmt::Error)?),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr[filter]`: some value of the multi-valued `attr` matches `filter` (whose paths
    /// are relative to that value).
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// How tightly a filter binds when printed: `or` loosest, then `and`, then a term.
#[derive(PartialEq, PartialOrd)]
enum Binding {
    Or,
    And,
    Term,
}

impl Filter {
    fn binding(&self) -> Binding {
        match self {
            Filter::Or(..) => Binding::Or,
            Filter::And(..) => Binding::And,
            _ => Binding::Term,
        }
    }

    /// Prints `self` where the grammar needs at least `need`: in parentheses when it binds
    /// looser, bare otherwise (so printing adds no nesting the parser would count).
    fn fmt_at(&self, f: &mut fmt::Formatter<'_>, need: Binding) -> fmt::Result {
        if self.binding() < need {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }

    /// The nesting the parser counts for the canonical spelling ([`fmt::Display`]):
    /// parentheses and value filters one level each, `not (…)` two. The parser refuses a
    /// filter whose nesting exceeds [`MAX_DEPTH`].
    pub fn nesting(&self) -> usize {
        match self {
            Filter::Compare { .. } | Filter::Present(_) => 0,
            Filter::Or(a, b) => a
                .nesting()
                .max(b.nesting() + usize::from(b.binding() < Binding::And)),
            Filter::And(a, b) => (a.nesting() + usize::from(a.binding() < Binding::And))
                .max(b.nesting() + usize::from(b.binding() < Binding::Term)),
            Filter::Not(a) => a.nesting() + 2,
            Filter::ValuePath { filter, .. } => filter.nesting() + 1,
        }
    }
}

impl fmt::Display for Filter {
    /// The canonical spelling: parses back to the same filter, with parentheses only where
    /// the grammar needs them (`and` binds tighter than `or`, both group to the left).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {} {value}", op.as_str()),
            Filter::Present(p) => write!(f, "{p} pr"),
            Filter::Or(a, b) => {
                a.fmt_at(f, Binding::Or)?;
                f.write_str(" or ")?;
                b.fmt_at(f, Binding::And)
            }
            Filter::And(a, b) => {
                a.fmt_at(f, Binding::And)?;
                f.write_str(" and ")?;
                b.fmt_at(f, Binding::Term)
            }
            Filter::Not(a) => write!(f, "not ({a})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    /// A bare word: an attribute path, operator, keyword or literal.
    Word(String),
    Str(String),
}

/// Splits `input` into tokens (strings decoded as JSON strings).
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, ParseError> {
    if input.len() > MAX_LEN {
        return err(format!("the filter is longer than {MAX_LEN} bytes"));
    }
    let bytes = input.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b')' => {
                out.push(Token::Close);
                i += 1;
            }
            b'[' => {
                out.push(Token::OpenBracket);
                i += 1;
            }
            b']' => {
                out.push(Token::CloseBracket);
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return err("a string is not closed"),
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                let raw = &input[start..i];
                let s: String = serde_json::from_str(raw)
                    .map_err(|_| ParseError(format!("{raw} is not a valid JSON string")))?;
                out.push(Token::Str(s));
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' | b'[' | b']' | b'"'
                    )
                {
                    i += 1;
                }
                out.push(Token::Word(input[start..i].to_string()));
            }
        }
    }
    Ok(out)
}

fn is_attr_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Parses an attribute path (`name`, `name.sub`, `urn:…:name[.sub]`).
pub fn parse_attr_path(word: &str) -> Result<AttrPath, ParseError> {
    let (schema, rest) = match word.rfind(':') {
        Some(i) => (Some(word[..i].to_string()), &word[i + 1..]),
        None => (None, word),
    };
    if let Some(s) = &schema {
        if !s.to_ascii_lowercase().starts_with("urn:") {
            return err(format!("\"{word}\" is not an attribute path"));
        }
    }
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if !is_attr_name(name) || sub.is_some_and(|s| !is_attr_name(s)) {
        return err(format!("\"{word}\" is not an attribute path"));
    }
    Ok(AttrPath {
        schema,
        name: name.to_string(),
        sub: sub.map(str::to_string),
    })
}

fn comp_value(t: Option<&Token>) -> Result<CompValue, ParseError> {
    match t {
        Some(Token::Str(s)) => Ok(CompValue::Str(s.clone())),
        Some(Token::Word(w)) => match w.as_str() {
            "null" => Ok(CompValue::Null),
            "true" => Ok(CompValue::Bool(true)),
            "false" => Ok(CompValue::Bool(false)),
            // JSON numbers only (no "inf", "NaN", "+1"), read correctly rounded: serde_json's
            // default float reading can be one unit in the last place off, so a number did not
            // print back as itself.
            n => match serde_json::from_str::<serde_json::Number>(n) {
                Ok(_) => n
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(CompValue::Number)
                    .ok_or_else(|| ParseError(format!("\"{n}\" is not a number"))),
                Err(_) => err(format!(
                    "\"{n}\" is not a value: use a quoted string, a number, true, false or null"
                )),
            },
        },
        _ => err("a comparison needs a value"),
    }
}

/// The parser over a token list.
pub(crate) struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    depth: usize,
    terms: usize,
}

impl<'t> Parser<'t> {
    pub(crate) fn new(tokens: &'t [Token]) -> Self {
        Parser {
            tokens,
            pos: 0,
            depth: 0,
            terms: 0,
        }
    }

    pub(crate) fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.pos)
    }

    pub(crate) fn next(&mut self) -> Option<&'t Token> {
        let t = self.tokens.get(self.pos);
        self.pos += 1;
        t
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err(format!(
                "the filter is nested deeper than {MAX_DEPTH} levels"
            ));
        }
        Ok(())
    }

    /// `or`-separated terms (`in_value`: inside `attr[…]`, where no value path may nest).
    pub(crate) fn parse_or(&mut self, in_value: bool) -> Result<Filter, ParseError> {
        let mut left = self.parse_and(in_value)?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.parse_and(in_value)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self, in_value: bool) -> Result<Filter, ParseError> {
        let mut left = self.parse_unary(in_value)?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.parse_unary(in_value)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parenthesised(&mut self, in_value: bool) -> Result<Filter, ParseError> {
        if self.next() != Some(&Token::Open) {
            return err("expected \"(\"");
        }
        self.enter()?;
        let inner = self.parse_or(in_value)?;
        if self.next() != Some(&Token::Close) {
            return err("expected \")\"");
        }
        self.depth -= 1;
        Ok(inner)
    }

    fn parse_unary(&mut self, in_value: bool) -> Result<Filter, ParseError> {
        match self.peek() {
            Some(Token::Open) => self.parenthesised(in_value),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("not") => {
                self.pos += 1;
                self.enter()?;
                let inner = self.parenthesised(in_value)?;
                self.depth -= 1;
                Ok(Filter::Not(Box::new(inner)))
            }
            Some(Token::Word(w)) => {
                self.pos += 1;
                self.terms += 1;
                if self.terms > MAX_TERMS {
                    return err(format!("the filter has more than {MAX_TERMS} terms"));
                }
                let path = parse_attr_path(w)?;
                if self.peek() == Some(&Token::OpenBracket) {
                    if in_value {
                        return err("value filters do not nest");
                    }
                    if path.sub.is_some() {
                        return err(format!("\"{w}\" cannot take a value filter"));
                    }
                    self.pos += 1;
                    self.enter()?;
                    let inner = self.parse_or(true)?;
                    if self.next() != Some(&Token::CloseBracket) {
                        return err("expected \"]\"");
                    }
                    self.depth -= 1;
                    return Ok(Filter::ValuePath {
                        path,
                        filter: Box::new(inner),
                    });
                }
                let op = match self.next() {
                    Some(Token::Word(op)) => op,
                    _ => return err(format!("expected an operator after \"{w}\"")),
                };
                if op.eq_ignore_ascii_case("pr") {
                    return Ok(Filter::Present(path));
                }
                let op = CompareOp::parse(op)
                    .ok_or_else(|| ParseError(format!("\"{op}\" is not an operator")))?;
                let value = comp_value(self.next())?;
                Ok(Filter::Compare { path, op, value })
            }
            Some(t) => err(format!("unexpected {}", describe(t))),
            None => err("the filter ends too early"),
        }
    }
}

pub(crate) fn describe(t: &Token) -> String {
    match t {
        Token::Open => "\"(\"".into(),
        Token::Close => "\")\"".into(),
        Token::OpenBracket => "\"[\"".into(),
        Token::CloseBracket => "\"]\"".into(),
        Token::Word(w) => format!("\"{w}\""),
        Token::Str(s) => format!("string {s:?}"),
    }
}

/// Parses a whole filter.
pub fn parse(input: &str) -> Result<Filter, ParseError> {
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return err("the filter is empty");
    }
    let mut p = Parser::new(&tokens);
    let f = p.parse_or(false)?;
    match p.peek() {
        None => Ok(f),
        Some(t) => err(format!("unexpected {} after the filter", describe(t))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Filter {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_operator_and_value_kind() {
        for op in ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"] {
            let f = p(&format!("userName {op} \"bjensen\""));
            assert!(matches!(f, Filter::Compare { .. }), "{op}");
        }
        assert_eq!(
            p("title pr"),
            Filter::Present(AttrPath {
                schema: None,
                name: "title".into(),
                sub: None
            })
        );
        assert!(matches!(
            p("active EQ true"),
            Filter::Compare {
                op: CompareOp::Eq,
                value: CompValue::Bool(true),
                ..
            }
        ));
        assert!(matches!(
            p("x eq null"),
            Filter::Compare {
                value: CompValue::Null,
                ..
            }
        ));
        assert!(matches!(
            p("x gt -1.5e2"),
            Filter::Compare { value: CompValue::Number(n), .. } if n == -150.0
        ));
        assert!(matches!(
            p(r#"x eq "a\"b\u00e9""#),
            Filter::Compare { value: CompValue::Str(s), .. } if s == "a\"bé"
        ));
    }

    #[test]
    fn precedence_grouping_not_and_value_paths() {
        let f = p("a eq 1 or b eq 2 and c eq 3");
        assert!(matches!(f, Filter::Or(_, ref r) if matches!(**r, Filter::And(..))));
        let f = p("(a eq 1 or b eq 2) and c eq 3");
        assert!(matches!(f, Filter::And(ref l, _) if matches!(**l, Filter::Or(..))));
        let f = p("userType eq \"Employee\" and not (emails.value co \"example.org\")");
        assert!(matches!(f, Filter::And(_, ref r) if matches!(**r, Filter::Not(_))));
        let f = p(r#"emails[type eq "work" and value co "@example.com"]"#);
        assert!(matches!(f, Filter::ValuePath { ref path, .. } if path.name == "emails"));
        let f = p("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName co \"O'Malley\"");
        let Filter::Compare { path, .. } = f else {
            panic!()
        };
        assert_eq!(
            path.schema.as_deref(),
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        );
        assert_eq!(
            (path.name.as_str(), path.sub.as_deref()),
            ("name", Some("familyName"))
        );
        // Round trip through the canonical spelling.
        for s in [
            "a eq 1 or b eq 2 and not (c pr)",
            r#"emails[type eq "work" or value ew ".org"] and meta.lastModified gt "2011-05-13T04:42:34Z""#,
        ] {
            let f = p(s);
            assert_eq!(p(&f.to_string()), f, "{s}");
        }
    }

    #[test]
    fn malformed_filters_are_refused() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName zz \"x\"",
            "userName eq bjensen",
            "userName eq \"x",
            "(userName eq \"x\"",
            "userName eq \"x\")",
            "userName eq \"x\" and",
            "not userName eq \"x\"",
            "emails[type eq \"work\"",
            "emails[a[b eq 1]]",
            "1abc eq 1",
            "a eq 1 b eq 2",
            "a eq NaN",
            "http://x eq 1",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let deep = format!("{}a eq 1{}", "(".repeat(1000), ")".repeat(1000));
        let e = parse(&deep).unwrap_err();
        assert!(e.0.contains("nested deeper"), "{e}");
        let nots = "not (".repeat(1000) + "a pr" + &")".repeat(1000);
        assert!(parse(&nots).is_err());
        let ok = format!("{}a eq 1{}", "(".repeat(20), ")".repeat(20));
        assert!(parse(&ok).is_ok());
        // A long flat chain is fine (no recursion per term).
        let long = vec!["a eq 1"; 200].join(" and ");
        assert!(parse(&long).is_ok());
        let longer = vec!["a eq 1"; 201].join(" or ");
        assert!(parse(&longer).unwrap_err().0.contains("terms"));
    }

    /// Random inputs from the grammar's pieces (a fixed-seed generator, so a failure
    /// repeats): the parser never panics, and whatever parses prints back to itself.
    #[test]
    fn random_inputs_never_panic_and_round_trip() {
        const PIECES: &[&str] = &[
            "userName",
            "emails",
            "name.givenName",
            "urn:ietf:params:scim:schemas:core:2.0:User:userName",
            "eq",
            "ne",
            "co",
            "sw",
            "ew",
            "gt",
            "ge",
            "lt",
            "le",
            "pr",
            "and",
            "or",
            "not",
            "AND",
            "(",
            ")",
            "[",
            "]",
            "\"a\"",
            "\"x\\\"y\"",
            "\"",
            "true",
            "false",
            "null",
            "1.5",
            "-2",
            "1e400",
            ".",
            ":",
            "\\",
            "value",
            "type",
            " ",
            "  ",
            "é",
            "\u{0}",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut parsed = 0;
        for _ in 0..50_000 {
            let n = (next() % 12) as usize + 1;
            let mut input = String::new();
            for _ in 0..n {
                input.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
                if next() % 3 > 0 {
                    input.push(' ');
                }
            }
            let _ = super::super::path::parse(&input);
            if let Ok(f) = parse(&input) {
                parsed += 1;
                let again = parse(&f.to_string())
                    .unwrap_or_else(|e| panic!("{input:?} printed as {f} does not parse: {e}"));
                assert_eq!(again, f, "{input:?}");
            }
        }
        assert!(
            parsed > 50,
            "the generator should hit valid filters ({parsed})"
        );
    }
}
