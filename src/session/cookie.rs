//! Finding one cookie in the request's `Cookie` headers without allocating.

use http::HeaderMap;

/// The value of cookie `name`, from any `Cookie` header; the first occurrence wins.
pub fn find<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.trim_matches('"'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_named_cookie_among_others_and_headers() {
        let mut h = HeaderMap::new();
        h.append(
            "cookie",
            "a=1; passgate_session=tok.en.sig; b=2".parse().unwrap(),
        );
        assert_eq!(find(&h, "passgate_session"), Some("tok.en.sig"));
        assert_eq!(find(&h, "passgate"), None);
        let mut h2 = HeaderMap::new();
        h2.append("cookie", "x=1".parse().unwrap());
        h2.append("cookie", "passgate_session=\"q\"".parse().unwrap());
        assert_eq!(find(&h2, "passgate_session"), Some("q"));
        h2.append("cookie", "garbage-without-equals".parse().unwrap());
        assert_eq!(find(&h2, "garbage-without-equals"), None);
    }
}
