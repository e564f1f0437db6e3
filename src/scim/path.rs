//! PATCH paths (RFC 7644 §3.5.2): `attrPath` or `valuePath [ "." subAttr ]`, e.g.
//! `name.familyName`, `members[value eq "2819c223"]`, `emails[type eq "work"].value`,
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`.

use super::filter::{self, parse_attr_path, AttrPath, Filter, ParseError, Parser, Token};

/// A parsed PATCH path.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (with a sub-attribute when written `a.b` without a filter).
    pub attr: AttrPath,
    /// `[filter]` on a multi-valued attribute: the values it selects.
    pub filter: Option<Filter>,
    /// `.sub` after `[filter]`.
    pub sub: Option<String>,
}

impl std::fmt::Display for PatchPath {
    /// The canonical spelling (parses back to the same path).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

pub fn parse(input: &str) -> Result<PatchPath, ParseError> {
    let tokens = filter::tokenize(input)?;
    let mut it = tokens.iter();
    let Some(Token::Word(first)) = it.next() else {
        return Err(ParseError(format!("\"{input}\" is not a path")));
    };
    let attr = parse_attr_path(first)?;
    if tokens.len() == 1 {
        return Ok(PatchPath {
            attr,
            filter: None,
            sub: None,
        });
    }
    if tokens.get(1) != Some(&Token::OpenBracket) || attr.sub.is_some() {
        return Err(ParseError(format!("\"{input}\" is not a path")));
    }
    // Find the matching "]" (value filters do not nest, so the first one closes it).
    let close = tokens
        .iter()
        .position(|t| *t == Token::CloseBracket)
        .ok_or_else(|| ParseError("expected \"]\"".into()))?;
    let mut p = Parser::new(&tokens[2..close]);
    if p.at_end() {
        return Err(ParseError("an empty value filter".into()));
    }
    let f = p.parse_or(true)?;
    if let Some(t) = p.peek() {
        return Err(ParseError(format!(
            "unexpected {} in the value filter",
            filter::describe(t)
        )));
    }
    let sub = match &tokens[close + 1..] {
        [] => None,
        [Token::Word(w)] => {
            let s = w
                .strip_prefix('.')
                .filter(|s| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                })
                .ok_or_else(|| ParseError(format!("\"{w}\" is not a sub-attribute")))?;
            Some(s.to_string())
        }
        _ => return Err(ParseError(format!("\"{input}\" is not a path"))),
    };
    Ok(PatchPath {
        attr,
        filter: Some(f),
        sub,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_clients_send() {
        let p = parse("name.familyName").unwrap();
        assert_eq!(
            (p.attr.name.as_str(), p.attr.sub.as_deref()),
            ("name", Some("familyName"))
        );
        let p = parse("members[value eq \"2819c223\"]").unwrap();
        assert!(p.filter.is_some() && p.sub.is_none());
        let p = parse("emails[type eq \"work\"].value").unwrap();
        assert_eq!(p.sub.as_deref(), Some("value"));
        let p =
            parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").unwrap();
        assert_eq!(p.attr.name, "manager");
        for bad in [
            "",
            "members[",
            "members[]",
            "a.b[x eq 1]",
            "members[value eq 1].",
            "x y",
            "emails[type eq \"w\"]value",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
