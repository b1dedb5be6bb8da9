//! Policy variables: `${key}`, `${key, 'default'}` and the escapes
//! `${*}`, `${?}`, `${$}`.
//!
//! IAM rules implemented here (IAM User Guide, "IAM policy elements:
//! Variables and tags"):
//! - Variables are recognised only in policies with `"Version": "2012-10-17"`;
//!   in older or version-less policies `${...}` is literal text.
//! - Key names are case-insensitive.
//! - A default is written `${key, 'text'}`; whitespace around the key and the
//!   quoted text is ignored; `''` inside the quotes is a literal `'`.
//! - `${*}`, `${?}`, `${$}` stand for a literal `*`, `?`, `$` (so a literal
//!   asterisk can appear in a `Like` pattern or a Resource).
//! - A key that is absent (or multi-valued) has no value. Without a default,
//!   "any attempt to match it fails and causes the statement to be invalid"
//!   ("Principal key values"): the policy value never satisfies a comparison,
//!   positive or negated (so `StringNotEquals` against it is false, and a
//!   `NotResource` entry containing it keeps the statement from applying).
//!   Substitution happens once; the substituted text is literal (a `*`
//!   inside a user name is not a wildcard).

use super::wildcard::{lowercase as lower, tokenize, Glob, Tok};

/// One piece of a policy string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Text as written in the policy; `*`/`?` keep their wildcard meaning
    /// where the element supports wildcards.
    Text(String),
    /// A literal character produced by `${*}`, `${?}` or `${$}`.
    Literal(char),
    /// A context-key reference.
    Var {
        key_lc: String,
        default: Option<String>,
    },
}

/// A policy string split into text and variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub(crate) parts: Vec<Part>,
}

/// What a variable lookup found.
pub(crate) enum VarLookup<'a> {
    Value(&'a str),
    /// Absent or multi-valued: no usable value. (An empty value, such as a tag
    /// set to "", is a value: it substitutes as the empty string.)
    Missing,
    /// The caller declared this key's value unknown.
    Unknown,
}

/// Source of variable values (the request context).
pub(crate) trait VarSource {
    fn lookup_var(&self, key_lc: &str) -> VarLookup<'_>;
}

/// Result of substituting variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved<T> {
    Value(T),
    /// A variable had no value and no default: the policy value matches nothing.
    Missing,
    /// A variable refers to a key whose value is unknown.
    Unknown(String),
}

impl Template {
    /// Parses `s`; with `vars == false` (pre-2012 policies) it is all text.
    pub(crate) fn parse(s: &str, vars: bool) -> Template {
        // The first `${` found once, for both the test and the loop.
        let Some(mut pos) = find_variable(s).filter(|_| vars) else {
            return Template {
                parts: vec![Part::Text(s.to_string())],
            };
        };
        // Room for the usual text, variable, text without growing.
        let mut parts = Vec::with_capacity(4);
        let mut text = String::new();
        let mut rest = s;
        loop {
            text.push_str(&rest[..pos]);
            let after = &rest[pos + 2..];
            match parse_var(after) {
                Some((part, used)) => {
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(part);
                    rest = &after[used..];
                }
                None => {
                    // Not a well-formed variable: keep `${` as text.
                    text.push_str("${");
                    rest = after;
                }
            }
            match find_variable(rest) {
                Some(next) => pos = next,
                None => break,
            }
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Template { parts }
    }

    /// True when no part depends on the request.
    pub(crate) fn is_static(&self) -> bool {
        !self.parts.iter().any(|p| matches!(p, Part::Var { .. }))
    }

    /// Substitutes variables into a plain string (no wildcard meaning).
    pub(crate) fn resolve_string(&self, src: &dyn VarSource, lowercase: bool) -> Resolved<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Literal(c) => out.push(*c),
                Part::Var { key_lc, default } => match lookup(src, key_lc, default) {
                    Resolved::Value(v) => out.push_str(v),
                    Resolved::Missing => return Resolved::Missing,
                    Resolved::Unknown(k) => return Resolved::Unknown(k),
                },
            }
        }
        if lowercase {
            out = lower(&out);
        }
        Resolved::Value(out)
    }

    /// Substitutes variables into glob tokens: wildcards in policy text stay
    /// wildcards, substituted values and escapes are literal.
    pub(crate) fn resolve_glob(&self, src: &dyn VarSource, lowercase: bool) -> Resolved<Glob> {
        let mut toks = Vec::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => {
                    if lowercase {
                        toks.extend(tokenize(&lower(t)));
                    } else {
                        toks.extend(tokenize(t));
                    }
                }
                Part::Literal(c) => push_literal(&mut toks, &c.to_string(), lowercase),
                Part::Var { key_lc, default } => match lookup(src, key_lc, default) {
                    Resolved::Value(v) => push_literal(&mut toks, v, lowercase),
                    Resolved::Missing => return Resolved::Missing,
                    Resolved::Unknown(k) => return Resolved::Unknown(k),
                },
            }
        }
        Resolved::Value(Glob::from_tokens(toks))
    }

    /// Compiles a template without variables straight to a glob.
    pub(crate) fn static_glob(&self, lowercase: bool) -> Glob {
        struct NoVars;
        impl VarSource for NoVars {
            fn lookup_var(&self, _: &str) -> VarLookup<'_> {
                VarLookup::Missing
            }
        }
        match self.resolve_glob(&NoVars, lowercase) {
            Resolved::Value(g) => g,
            // Unreachable for static templates; an empty match set is the
            // safe reading of "no value".
            _ => Glob::Exact(Box::new([0xFF])),
        }
    }

    /// Text of a template without variables.
    pub(crate) fn static_string(&self, lowercase: bool) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Literal(c) => out.push(*c),
                Part::Var { .. } => {}
            }
        }
        if lowercase {
            lower(&out)
        } else {
            out
        }
    }
}

fn push_literal(toks: &mut Vec<Tok>, s: &str, lowercase: bool) {
    if lowercase {
        toks.extend(lower(s).bytes().map(Tok::Byte));
    } else {
        toks.extend(s.bytes().map(Tok::Byte));
    }
}

fn lookup<'a>(
    src: &'a dyn VarSource,
    key_lc: &str,
    default: &'a Option<String>,
) -> Resolved<&'a str> {
    match src.lookup_var(key_lc) {
        VarLookup::Value(v) => Resolved::Value(v),
        VarLookup::Unknown => Resolved::Unknown(key_lc.to_string()),
        VarLookup::Missing => match default {
            Some(d) => Resolved::Value(d.as_str()),
            None => Resolved::Missing,
        },
    }
}

/// Whether `s` holds `${`: a byte scan, cheaper than a substring search on
/// the short strings of a policy (this runs for every ARN segment and
/// condition value compiled).
pub(crate) fn has_variable(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w == b"${")
}

/// The byte offset of the first `${` in `s`: a byte search, where `str::find`'s substring
/// searcher cost more to set up than the short strings of a policy take to scan.
fn find_variable(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    memchr::memchr_iter(b'$', b).find(|&i| b.get(i + 1) == Some(&b'{'))
}

/// Parses the inside of `${...}` (input starts right after `${`). Returns the
/// part and the number of bytes consumed including the closing `}`.
fn parse_var(s: &str) -> Option<(Part, usize)> {
    let end_key = s.bytes().position(|b| b == b',' || b == b'}')?;
    let key = s[..end_key].trim();
    if key.is_empty() {
        return None;
    }
    if s.as_bytes()[end_key] == b'}' {
        let part = match key {
            "*" => Part::Literal('*'),
            "?" => Part::Literal('?'),
            "$" => Part::Literal('$'),
            _ => Part::Var {
                key_lc: lower(key),
                default: None,
            },
        };
        return Some((part, end_key + 1));
    }
    // `, 'default'}`
    let after_comma = &s[end_key + 1..];
    let lead = after_comma.len() - after_comma.trim_start().len();
    let body = after_comma.trim_start().strip_prefix('\'')?;
    let mut default = String::new();
    let mut chars = body.char_indices().peekable();
    let mut close = None;
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if let Some((_, '\'')) = chars.peek() {
                chars.next();
                default.push('\'');
                continue;
            }
            close = Some(i);
            break;
        }
        default.push(c);
    }
    let close = close?;
    let tail = &body[close + 1..];
    let ws = tail.len() - tail.trim_start().len();
    if !tail[ws..].starts_with('}') {
        return None;
    }
    let used = end_key + 1 + lead + 1 + close + 1 + ws + 1;
    Some((
        Part::Var {
            key_lc: lower(key),
            default: Some(default),
        },
        used,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn variable_marker_is_found_anywhere() {
        for (text, expected) in [
            ("", false),
            ("$", false),
            ("{$", false),
            ("$ {", false),
            ("${", true),
            ("a$${b}", true),
            ("é${aws:username}", true),
            ("arn:aws:s3:::b/x$", false),
        ] {
            assert_eq!(has_variable(text), expected, "{text}");
            assert_eq!(has_variable(text), text.contains("${"), "{text}");
        }
    }

    struct Map(HashMap<&'static str, Option<&'static str>>);
    impl VarSource for Map {
        fn lookup_var(&self, key: &str) -> VarLookup<'_> {
            match self.0.get(key) {
                Some(Some(v)) => VarLookup::Value(v),
                Some(None) => VarLookup::Unknown,
                None => VarLookup::Missing,
            }
        }
    }
    fn ctx() -> Map {
        Map(HashMap::from([
            ("aws:username", Some("alice")),
            ("aws:principaltag/team", Some("ml")),
            ("sagemaker:domainid", Some("d-123")),
            ("aws:sourceip", None),
        ]))
    }

    // "Using variables in policies": `${aws:username}` is replaced by the
    // request's value; key names are case-insensitive.
    #[test]
    fn substitutes_case_insensitive_key() {
        let t = Template::parse("home/${AWS:UserName}/*", true);
        assert_eq!(
            t.resolve_string(&ctx(), false),
            Resolved::Value("home/alice/*".into())
        );
        let t = Template::parse("${aws:PrincipalTag/team}-${sagemaker:DomainId}", true);
        assert_eq!(
            t.resolve_string(&ctx(), false),
            Resolved::Value("ml-d-123".into())
        );
    }

    // "Specifying default values": `${key, 'default'}`, whitespace ignored,
    // `''` is a literal quote.
    #[test]
    fn defaults() {
        let t = Template::parse("${aws:missing, 'anon'}", true);
        assert_eq!(
            t.resolve_string(&ctx(), false),
            Resolved::Value("anon".into())
        );
        let t = Template::parse("${ aws:missing ,  'it''s' }", true);
        assert_eq!(
            t.resolve_string(&ctx(), false),
            Resolved::Value("it's".into())
        );
        let t = Template::parse("${aws:username, 'anon'}", true);
        assert_eq!(
            t.resolve_string(&ctx(), false),
            Resolved::Value("alice".into())
        );
        let t = Template::parse("${aws:missing, 'a}b'}x", true);
        assert_eq!(
            t.resolve_string(&ctx(), false),
            Resolved::Value("a}bx".into())
        );
    }

    // "Policy variables with no value": no value and no default → no match.
    #[test]
    fn missing_without_default() {
        let t = Template::parse("home/${aws:missing}", true);
        assert_eq!(t.resolve_string(&ctx(), false), Resolved::Missing);
    }

    #[test]
    fn unknown_is_reported() {
        let t = Template::parse("${aws:SourceIp}", true);
        assert_eq!(
            t.resolve_string(&ctx(), false),
            Resolved::Unknown("aws:sourceip".into())
        );
    }

    // "Special characters": `${*}`, `${?}`, `${$}` are literal characters,
    // so `${*}` is not a wildcard in a Like pattern.
    #[test]
    fn escapes_are_literal() {
        let t = Template::parse("a${*}b${?}${$}", true);
        assert!(t.is_static());
        assert_eq!(t.static_string(false), "a*b?$");
        let g = t.static_glob(false);
        assert!(g.matches("a*b?$"));
        assert!(!g.matches("axb?$"));
    }

    // Substituted values are literal text, never wildcards.
    #[test]
    fn substituted_value_is_literal() {
        struct Star;
        impl VarSource for Star {
            fn lookup_var(&self, _: &str) -> VarLookup<'_> {
                VarLookup::Value("*")
            }
        }
        let t = Template::parse("x/${aws:username}/*", true);
        let Resolved::Value(g) = t.resolve_glob(&Star, false) else {
            panic!("expected a value");
        };
        assert!(g.matches("x/*/anything"));
        assert!(!g.matches("x/bob/anything"));
    }

    // Variables need Version 2012-10-17; otherwise `${...}` is literal.
    #[test]
    fn old_version_is_literal() {
        let t = Template::parse("${aws:username}", false);
        assert!(t.is_static());
        assert_eq!(t.static_string(false), "${aws:username}");
    }

    #[test]
    fn malformed_variable_is_text() {
        for s in ["${", "${}", "${a", "${a, 'x}", "${a, x}", "${a, 'x' y}"] {
            let t = Template::parse(s, true);
            assert!(t.is_static(), "{s}");
            assert_eq!(t.static_string(false), s);
        }
    }
}
