//! `*` / `?` glob matching, compiled once per policy string.
//!
//! IAM wildcards: `*` matches any run of characters (including none, and
//! including `/` and `:`), `?` matches exactly one character. There is no
//! escape syntax inside the glob itself; a literal `*`/`?` is written with the
//! policy variables `${*}` / `${?}`, which the template layer turns into
//! [`Tok::Byte`] tokens before compiling.
//!
//! Matching works on bytes; `?` consumes a whole UTF-8 character so that
//! non-ASCII text behaves as IAM (which counts characters) does.

/// One token of a compiled glob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A literal byte.
    Byte(u8),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters.
    Star,
}

/// A compiled glob with fast paths for the shapes that dominate real policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Glob {
    /// `*` alone: matches everything.
    Any,
    /// No wildcard: byte equality.
    Exact(Box<[u8]>),
    /// `literal*`: prefix test.
    Prefix(Box<[u8]>),
    /// Anything else.
    General(Box<[Tok]>),
}

impl Glob {
    /// Compiles a glob from text where `*` and `?` are wildcards.
    pub(crate) fn new(pattern: &str) -> Glob {
        // Same shapes as `from_tokens(tokenize(pattern))`, straight from the
        // bytes (policy compilation runs this for every ARN segment).
        let b = pattern.as_bytes();
        if b == b"*" {
            return Glob::Any;
        }
        let wild = b.iter().filter(|c| matches!(c, b'*' | b'?')).count();
        if wild == 0 {
            return Glob::Exact(b.into());
        }
        if wild == 1 && b.last() == Some(&b'*') {
            return Glob::Prefix(b[..b.len() - 1].into());
        }
        Glob::from_tokens(tokenize(pattern))
    }

    /// Compiles a glob from ready tokens (literal wildcards already escaped).
    pub(crate) fn from_tokens(toks: Vec<Tok>) -> Glob {
        if toks.len() == 1 && toks[0] == Tok::Star {
            return Glob::Any;
        }
        let wild = toks.iter().filter(|t| !matches!(t, Tok::Byte(_))).count();
        if wild == 0 {
            return Glob::Exact(bytes_of(&toks).into());
        }
        if wild == 1 && toks.last() == Some(&Tok::Star) {
            return Glob::Prefix(bytes_of(&toks[..toks.len() - 1]).into());
        }
        Glob::General(toks.into())
    }

    /// Whether `text` matches the whole glob.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let t = text.as_bytes();
        match self {
            Glob::Any => true,
            Glob::Exact(b) => bytes_eq(b, t),
            Glob::Prefix(b) => t.len() >= b.len() && bytes_eq(b, &t[..b.len()]),
            Glob::General(toks) => match_tokens(toks, t),
        }
    }
}

/// Byte equality without a libc call: the slices here are short (ARN
/// segments, action names), where a `memcmp` call costs more than the loop.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Last byte first: cheap rejection of most near-misses (`Get*`/`Put*`).
    if a.last() != b.last() {
        return false;
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// Splits text into glob tokens, treating `*` and `?` as wildcards.
pub(crate) fn tokenize(pattern: &str) -> Vec<Tok> {
    pattern
        .bytes()
        .map(|b| match b {
            b'*' => Tok::Star,
            b'?' => Tok::One,
            _ => Tok::Byte(b),
        })
        .collect()
}

fn bytes_of(toks: &[Tok]) -> Vec<u8> {
    toks.iter()
        .filter_map(|t| match t {
            Tok::Byte(b) => Some(*b),
            _ => None,
        })
        .collect()
}

/// Length in bytes of the UTF-8 character that starts with `b`.
fn char_len(b: u8) -> usize {
    match b {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xFF => 4,
        // A continuation byte never starts a char in valid UTF-8; step one.
        _ => 1,
    }
}

/// Iterative glob match with single-star backtracking: linear in practice,
/// O(n·m) worst case, no recursion (so no stack blow-up on hostile input).
pub(crate) fn match_tokens(p: &[Tok], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Tok::Byte(b)) if *b == t[ti] => {
                pi += 1;
                ti += 1;
                continue;
            }
            Some(Tok::One) => {
                pi += 1;
                ti = (ti + char_len(t[ti])).min(t.len());
                continue;
            }
            Some(Tok::Star) => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                let next = (st + char_len(t[st])).min(t.len());
                star = Some((sp, next));
                pi = sp + 1;
                ti = next;
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|t| *t == Tok::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    // IAM User Guide, "Condition operators > String": `*` matches any
    // multi-character run, `?` any single character.
    #[test]
    fn star_and_question() {
        assert!(Glob::new("a*c").matches("abbbc"));
        assert!(Glob::new("a*c").matches("ac"));
        assert!(!Glob::new("a*c").matches("abd"));
        assert!(Glob::new("a?c").matches("abc"));
        assert!(!Glob::new("a?c").matches("ac"));
        assert!(!Glob::new("a?c").matches("abbc"));
        assert!(Glob::new("*").matches(""));
        assert!(Glob::new("**").matches("x"));
        assert!(Glob::new("*a*b*").matches("xxaxxbxx"));
        assert!(!Glob::new("*a*b*").matches("xxbxxaxx"));
    }

    // `*` spans `/` and `:` (Resource element: "a wildcard ... can span
    // slashes"); the matcher itself never treats separators specially.
    #[test]
    fn star_spans_separators() {
        assert!(Glob::new("bucket/*").matches("bucket/a/b:c"));
        assert!(Glob::new("Get*").matches("Get"));
    }

    // Matching is case-sensitive at this layer; case-insensitive callers
    // lowercase both sides.
    #[test]
    fn case_sensitive() {
        assert!(!Glob::new("ABC").matches("abc"));
        assert!(!Glob::new("A*").matches("abc"));
    }

    // `?` counts characters, not bytes.
    #[test]
    fn question_counts_chars() {
        assert!(Glob::new("caf?").matches("café"));
        assert!(Glob::new("?").matches("é"));
        assert!(!Glob::new("??").matches("é"));
    }

    #[test]
    fn fast_paths_are_chosen() {
        assert_eq!(Glob::new("*"), Glob::Any);
        assert!(matches!(Glob::new("abc"), Glob::Exact(_)));
        assert!(matches!(Glob::new("ab*"), Glob::Prefix(_)));
        assert!(matches!(Glob::new("a*b"), Glob::General(_)));
        assert!(Glob::new("ab*").matches("ab"));
        assert!(!Glob::new("ab*").matches("a"));
    }

    #[test]
    fn escaped_wildcards_are_literal() {
        let g = Glob::from_tokens(vec![Tok::Byte(b'a'), Tok::Byte(b'*')]);
        assert!(g.matches("a*"));
        assert!(!g.matches("ab"));
    }

    #[test]
    fn pathological_input_terminates() {
        let p = "*a".repeat(50);
        let t = "a".repeat(49) + "b";
        assert!(!Glob::new(&p).matches(&t));
    }
}
