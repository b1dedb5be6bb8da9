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

/// `s.to_lowercase()`, without Unicode case mapping when `s` is ASCII (policy text nearly
/// always is), where both give the same text.
pub(crate) fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

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
        match Shape::of(b) {
            Shape::Any => Glob::Any,
            Shape::Exact => Glob::Exact(b.into()),
            Shape::Prefix => Glob::Prefix(b[..b.len() - 1].into()),
            Shape::General => Glob::General(tokenize(pattern).into()),
        }
    }

    /// [`Glob::new`] of the lowercase pattern, without the intermediate
    /// lowercase copy when the pattern is ASCII (action names always are).
    pub(crate) fn new_lowercase(pattern: &str) -> Glob {
        if !pattern.is_ascii() {
            return Glob::new(&pattern.to_lowercase());
        }
        let b = pattern.as_bytes();
        let lower = |b: &[u8]| -> Box<[u8]> { b.iter().map(u8::to_ascii_lowercase).collect() };
        match Shape::of(b) {
            Shape::Any => Glob::Any,
            Shape::Exact => Glob::Exact(lower(b)),
            Shape::Prefix => Glob::Prefix(lower(&b[..b.len() - 1])),
            Shape::General => Glob::General(
                b.iter()
                    .map(|c| Tok::from(c.to_ascii_lowercase()))
                    .collect(),
            ),
        }
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

/// Which fast path a glob written as text takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `*` alone.
    Any,
    /// No wildcard.
    Exact,
    /// One wildcard, a final `*`.
    Prefix,
    /// Anything else.
    General,
}

impl Shape {
    pub(crate) fn of(pattern: &[u8]) -> Shape {
        let wild = pattern.iter().filter(|c| matches!(c, b'*' | b'?')).count();
        Shape::with_wildcards(pattern, wild)
    }

    /// [`Shape::of`] a pattern whose wildcards (`*` and `?`) were counted
    /// while scanning it for something else.
    pub(crate) fn with_wildcards(pattern: &[u8], wild: usize) -> Shape {
        if pattern == b"*" {
            return Shape::Any;
        }
        if wild == 0 {
            Shape::Exact
        } else if wild == 1 && pattern.last() == Some(&b'*') {
            Shape::Prefix
        } else {
            Shape::General
        }
    }
}

/// Matches `text` against a glob kept as its text (`*`, `?` wildcards), so
/// a compiled pattern can hold many globs in one buffer. `shape` must be
/// [`Shape::of`] the same pattern; the result is that of
/// `Glob::new(pattern).matches(text)`.
pub(crate) fn matches_text(shape: Shape, pattern: &[u8], text: &[u8]) -> bool {
    match shape {
        Shape::Any => true,
        Shape::Exact => bytes_eq(pattern, text),
        Shape::Prefix => {
            let p = &pattern[..pattern.len().saturating_sub(1)];
            text.len() >= p.len() && bytes_eq(p, &text[..p.len()])
        }
        Shape::General => match_tokens(pattern, text),
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
    pattern.bytes().map(Tok::from).collect()
}

/// A pattern byte as a token: `*` and `?` are wildcards.
impl From<u8> for Tok {
    fn from(b: u8) -> Tok {
        match b {
            b'*' => Tok::Star,
            b'?' => Tok::One,
            _ => Tok::Byte(b),
        }
    }
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
/// Works on compiled tokens or straight on pattern text (each byte read as
/// [`Tok::from`]).
pub(crate) fn match_tokens<P: Copy + Into<Tok>>(p: &[P], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi).map(|&x| x.into()) {
            Some(Tok::Byte(b)) if b == t[ti] => {
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
    p[pi..].iter().all(|&x| x.into() == Tok::Star)
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

    proptest::proptest! {
        /// A glob matched as text agrees with the compiled glob, and the
        /// lowercasing constructor with compiling a lowercase copy.
        #[test]
        fn text_matching_agrees_with_compiled_glob(
            pattern in proptest::collection::vec(
                proptest::sample::select(vec!["a", "B", "*", "?", "/", ":", "é", "É"]), 0..8),
            text in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b", "B", "/", ":", "é", "*"]), 0..8),
        ) {
            let (pattern, text) = (pattern.concat(), text.concat());
            let compiled = Glob::new(&pattern);
            proptest::prop_assert_eq!(
                matches_text(Shape::of(pattern.as_bytes()), pattern.as_bytes(), text.as_bytes()),
                compiled.matches(&text),
                "{} vs {}", pattern, text
            );
            proptest::prop_assert_eq!(Glob::new_lowercase(&pattern), Glob::new(&pattern.to_lowercase()));
        }
    }

    #[test]
    fn pathological_input_terminates() {
        let p = "*a".repeat(50);
        let t = "a".repeat(49) + "b";
        assert!(!Glob::new(&p).matches(&t));
    }
}
