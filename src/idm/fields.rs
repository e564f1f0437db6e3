//! Field rules shared by every way into the directory (admin API, CLI, SCIM, console):
//! lengths in characters, no control characters, names that are not blank and carry no
//! bidirectional controls (which can make a name display as another), email addresses,
//! trait names. Errors name the field by its path relative to the resource
//! (`traits.username`); the HTTP edge prefixes the body's key.

use super::IdmError;

/// Unicode's explicit bidirectional formatting characters: embeddings and overrides
/// (U+202A–U+202E), isolates (U+2066–U+2069), and the implicit marks LRM, RLM (U+200E,
/// U+200F) and ALM (U+061C).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Free text: at most `max` characters, no control characters.
pub fn text(field: &str, s: &str, max: usize) -> Result<(), IdmError> {
    if s.chars().count() > max {
        return Err(IdmError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(IdmError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A name people see (display names, usernames, passkey names): [`text`], not blank, and
/// without bidirectional controls.
pub fn name(field: &str, s: &str, max: usize) -> Result<(), IdmError> {
    text(field, s, max)?;
    if s.trim().is_empty() {
        return Err(IdmError::invalid(field, "must not be empty"));
    }
    if s.chars().any(is_bidi_control) {
        return Err(IdmError::invalid(
            field,
            "must not contain bidirectional control characters",
        ));
    }
    Ok(())
}

/// `local@domain`, no spaces.
pub fn email(field: &str, s: &str, max: usize) -> Result<(), IdmError> {
    text(field, s, max)?;
    let ok = s.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    }) && !s.chars().any(char::is_whitespace);
    if !ok {
        return Err(IdmError::invalid(field, "must be an email address"));
    }
    Ok(())
}

/// A free-form trait's name: a letter, then letters, digits and `_`; 64 at most.
pub fn is_trait_name(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A list of ids with `1..=max` entries of at most `max_len` characters each.
pub fn id_list(field: &str, ids: &[String], max: usize, max_len: usize) -> Result<(), IdmError> {
    if ids.is_empty() || ids.len() > max {
        return Err(IdmError::invalid(
            field,
            format!("must hold between 1 and {max} entries"),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        text(&format!("{field}[{i}]"), id, max_len)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: IdmError) -> String {
        match e {
            IdmError::Invalid { field, .. } => field,
            other => panic!("not an invalid-field error: {other:?}"),
        }
    }

    #[test]
    fn names_refuse_blank_control_and_bidi_characters() {
        assert!(name("n", "Alice Liddell", 64).is_ok());
        assert!(name("n", "Zoë ßtraße 李", 64).is_ok());
        for bad in [
            "",
            "   ",
            "a\u{7}b",
            "evil\u{202E}gpj.exe",
            "a\u{2066}b",
            "\u{200F}x",
            "x\u{061C}",
        ] {
            assert_eq!(field_of(name("n", bad, 64).unwrap_err()), "n", "{bad:?}");
        }
        assert!(name("n", &"x".repeat(65), 64).is_err());
        // Free text keeps bidi marks (an address may need them), not control characters.
        assert!(text("t", "a\u{200F}b", 64).is_ok());
        assert!(text("t", "a\nb", 64).is_err());
    }

    #[test]
    fn emails_trait_names_and_id_lists() {
        assert!(email("e", "a@b.c", 320).is_ok());
        for bad in ["nope", "@b", "a@", "a b@c", "a@b@c"] {
            assert!(email("e", bad, 320).is_err(), "{bad}");
        }
        assert!(is_trait_name("department") && is_trait_name("cost_center2"));
        assert!(!is_trait_name("bad key") && !is_trait_name("1x") && !is_trait_name(""));
        assert_eq!(field_of(id_list("ids", &[], 3, 5).unwrap_err()), "ids");
        let long = vec!["a".into(), "xxxxxx".into()];
        assert_eq!(field_of(id_list("ids", &long, 3, 5).unwrap_err()), "ids[1]");
    }
}
