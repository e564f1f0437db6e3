//! The identity list filter: `traits.<name> eq "<value>"` for `username`,
//! `primary_email_address` and `external_id` (`\"` and `\\` escape inside the quotes).

use super::IdmError;
use crate::store::IdentityFilter;

pub fn parse(raw: &str) -> Result<IdentityFilter, IdmError> {
    let bad = |msg: &str| IdmError::invalid("filter", msg.to_string());
    let s = raw.trim();
    let (field, rest) = s
        .split_once(char::is_whitespace)
        .ok_or_else(|| bad("expected: traits.<name> eq \"<value>\""))?;
    let rest = rest.trim_start();
    let (op, value) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(|| bad("expected: traits.<name> eq \"<value>\""))?;
    if !op.eq_ignore_ascii_case("eq") {
        return Err(bad("the only operator is eq"));
    }
    let value = unquote(value.trim()).ok_or_else(|| bad("the value must be a quoted string"))?;
    match field {
        "traits.username" => Ok(IdentityFilter::Username(value)),
        "traits.primary_email_address" => Ok(IdentityFilter::Email(value)),
        "traits.external_id" => Ok(IdentityFilter::ExternalId(value)),
        _ => Err(bad(
            "filter on traits.username, traits.primary_email_address or traits.external_id",
        )),
    }
}

fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                e @ ('"' | '\\') => out.push(e),
                _ => return None,
            },
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_fields() {
        assert_eq!(
            parse("traits.username eq \"alice\"").unwrap(),
            IdentityFilter::Username("alice".into())
        );
        assert_eq!(
            parse("  traits.external_id   EQ \"a \\\"b\\\"\" ").unwrap(),
            IdentityFilter::ExternalId("a \"b\"".into())
        );
        assert_eq!(
            parse("traits.primary_email_address eq \"a@b.c\"").unwrap(),
            IdentityFilter::Email("a@b.c".into())
        );
    }

    #[test]
    fn refuses_malformed_filters() {
        for bad in [
            "",
            "traits.username",
            "traits.username eq alice",
            "traits.username ne \"alice\"",
            "traits.display eq \"x\"",
            "traits.username eq \"a\"b\"",
            "traits.username eq \"abc",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
