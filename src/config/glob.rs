//! The `public_paths` glob matcher: `*` within one segment, `**` across segments, over the
//! whole path. Iterative (a set of live pattern positions stepped over the path), so a
//! pattern with many stars against a long path costs pattern × path, never exponential.

/// Whether `s` matches the glob `pat`: `*` (not across `/`) and `**` (anything), over the
/// whole path. The set of
/// pattern positions still alive is stepped over the path one byte at a time (an NFA), so
/// the cost is at most pattern × path whatever the stars, with no backtracking. No
/// allocation for patterns under 256 bytes.
pub fn matches(pat: &[u8], s: &[u8]) -> bool {
    const INLINE: usize = 4;
    // Positions 0..=pat.len(): one bit each.
    let words = pat.len() / 64 + 1;
    if words <= INLINE {
        let (mut cur, mut next) = ([0u64; INLINE], [0u64; INLINE]);
        glob_steps(pat, s, &mut cur[..words], &mut next[..words])
    } else {
        glob_steps(pat, s, &mut vec![0; words], &mut vec![0; words])
    }
}

/// What the pattern holds at position `i`.
#[derive(Clone, Copy)]
enum Token {
    End,
    Byte(u8),
    /// `*`, one byte.
    Star,
    /// `**`, two bytes.
    Stars,
}

fn token(pat: &[u8], i: usize) -> Token {
    match pat.get(i) {
        None => Token::End,
        Some(b'*') if pat.get(i + 1) == Some(&b'*') => Token::Stars,
        Some(b'*') => Token::Star,
        Some(&c) => Token::Byte(c),
    }
}

fn has(set: &[u64], i: usize) -> bool {
    set[i / 64] & (1 << (i % 64)) != 0
}

fn add(set: &mut [u64], i: usize) {
    set[i / 64] |= 1 << (i % 64);
}

/// Adds what the stars in `set` reach by matching nothing (positions only move forward,
/// so one pass in order suffices).
fn close(pat: &[u8], set: &mut [u64]) {
    for i in 0..pat.len() {
        if has(set, i) {
            match token(pat, i) {
                Token::Star => add(set, i + 1),
                Token::Stars => add(set, i + 2),
                Token::End | Token::Byte(_) => {}
            }
        }
    }
}

fn glob_steps<'a>(pat: &[u8], s: &[u8], mut cur: &'a mut [u64], mut next: &'a mut [u64]) -> bool {
    add(cur, 0);
    close(pat, cur);
    for &c in s {
        next.fill(0);
        let mut alive = false;
        for (w, &bits) in cur.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                match token(pat, i) {
                    Token::Byte(b) if b == c => add(next, i + 1),
                    Token::Star if c != b'/' => add(next, i),
                    Token::Stars => add(next, i),
                    _ => continue,
                }
                alive = true;
            }
        }
        if !alive {
            return false;
        }
        close(pat, next);
        std::mem::swap(&mut cur, &mut next);
    }
    has(cur, pat.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_double_stars() {
        assert!(matches(b"/api/*/health", b"/api/v1/health"));
        assert!(!matches(b"/api/*/health", b"/api/v1/x/health"));
        assert!(matches(b"/**.css", b"/a/b/c.css"));
        assert!(!matches(b"/*.css", b"/a/b.css"));
        assert!(matches(b"/*.css", b"/b.css"));
        assert!(matches(b"/api/**/public/**", b"/api/a/b/public/c/d"));
        assert!(matches(b"/api/**/public/**", b"/api//public/"));
        assert!(!matches(b"/api/**/public/**", b"/api/a/b/publicx/c"));
        assert!(matches(b"/a/*", b"/a/") && !matches(b"/a/*", b"/a"));
        assert!(matches(b"/**", b"/") && matches(b"**", b""));
        assert!(matches(b"/***.css", b"/a/b.css") && matches(b"/***.css", b"/b.css"));
        assert!(!matches(b"/x*", b"/x/y") && matches(b"/x*/y", b"/xab/y"));
    }

    /// The matcher before it was made iterative (exponential in the worst case): the
    /// reference for the documented semantics.
    fn reference(pat: &[u8], s: &[u8]) -> bool {
        match pat.first() {
            None => s.is_empty(),
            Some(b'*') if pat.get(1) == Some(&b'*') => {
                (0..=s.len()).any(|i| reference(&pat[2..], &s[i..]))
            }
            Some(b'*') => {
                for i in 0..=s.len() {
                    if reference(&pat[1..], &s[i..]) {
                        return true;
                    }
                    if i < s.len() && s[i] == b'/' {
                        break;
                    }
                }
                false
            }
            Some(c) => s.first() == Some(c) && reference(&pat[1..], &s[1..]),
        }
    }

    /// Every string over `alphabet` up to `len` bytes.
    fn strings(alphabet: &[u8], len: usize) -> Vec<Vec<u8>> {
        let mut all = vec![Vec::new()];
        let mut layer = vec![Vec::new()];
        for _ in 0..len {
            layer = layer
                .iter()
                .flat_map(|s: &Vec<u8>| {
                    alphabet.iter().map(move |c| {
                        let mut t = s.clone();
                        t.push(*c);
                        t
                    })
                })
                .collect();
            all.extend(layer.iter().cloned());
        }
        all
    }

    #[test]
    fn glob_agrees_with_the_reference_matcher() {
        let patterns = strings(b"*/a", 5);
        let paths = strings(b"/ab", 6);
        for p in &patterns {
            for s in &paths {
                assert_eq!(
                    matches(p, s),
                    reference(p, s),
                    "{:?} against {:?}",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(s)
                );
            }
        }
    }

    #[test]
    fn long_patterns_use_a_heap_set() {
        let seg = "/s".repeat(200);
        let pat = format!("{seg}/**/x");
        assert!(matches(pat.as_bytes(), format!("{seg}/a/b/x").as_bytes()));
        assert!(!matches(pat.as_bytes(), format!("{seg}/a/b/y").as_bytes()));
    }

    #[test]
    fn pathological_paths_are_answered() {
        // Exponential for a backtracking matcher: a long path that almost matches.
        let g = |s: String| matches(b"/api/**/public/**", s.as_bytes());
        assert!(g(format!("/api{}", "/public".repeat(15_000))));
        assert!(!g(format!("/api/{}/publi", "public".repeat(16_000))));
        let miss = format!("/api/{}", "a/".repeat(50_000));
        assert!(!g(miss.clone()));
        assert!(g(format!("{miss}public/x")));
        assert!(!matches(
            b"/**a**a**a**a**b",
            "a".repeat(100_000).as_bytes()
        ));
    }
}
