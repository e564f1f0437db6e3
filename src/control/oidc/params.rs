//! Request parameters of the OAuth endpoints: a query string or an
//! `application/x-www-form-urlencoded` body; a parameter sent twice is refused (RFC 6749
//! §3.1), as is any other content type.

use std::collections::HashMap;

use http::HeaderMap;

use crate::idm::oidc::OidcError;

/// The most parameters one request may carry.
const MAX_PARAMS: usize = 64;

pub fn query_params(query: Option<&str>) -> Result<HashMap<String, String>, OidcError> {
    parse(query.unwrap_or("").as_bytes())
}

pub fn form_params(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, OidcError> {
    let ct = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OidcError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    }
    parse(body)
}

fn parse(raw: &[u8]) -> Result<HashMap<String, String>, OidcError> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        if out.len() >= MAX_PARAMS {
            return Err(OidcError::InvalidRequest("too many parameters".into()));
        }
        if v.is_empty() {
            // RFC 6749 §3.1: a parameter without a value is treated as omitted.
            continue;
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(OidcError::InvalidRequest(format!(
                "parameter {k} is given more than once"
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_and_other_content_types_are_refused() {
        assert!(query_params(Some("a=1&a=2")).is_err());
        assert_eq!(query_params(Some("a=1&b=")).unwrap().len(), 1);
        let mut h = HeaderMap::new();
        assert!(form_params(&h, b"a=1").is_err());
        h.insert(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=UTF-8"
                .parse()
                .unwrap(),
        );
        assert_eq!(form_params(&h, b"a=%20x").unwrap()["a"], " x");
    }
}
