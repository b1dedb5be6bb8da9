//! ARN patterns for the `Resource`/`NotResource` elements and the `Arn*`
//! condition operators.
//!
//! IAM rules (IAM User Guide, "IAM JSON policy elements: Resource" and
//! "Condition operators > Amazon Resource Name (ARN)"):
//! - An ARN is `arn:partition:service:region:account-id:resource`; the
//!   resource part may itself contain `:` and `/`.
//! - Each of the six colon-delimited components is matched separately, so a
//!   wildcard in the region segment cannot swallow the account segment; a
//!   wildcard in the final (resource) segment may span `/` and `:`.
//! - Matching is case-sensitive.
//! - `*` alone matches every resource.
//!
//! A condition value of an `Arn*` operator that does not have six segments
//! (e.g. `arn:aws:sagemaker:*`) matches nothing: the operators compare the
//! six components one by one, and such a value has no sixth to compare. A
//! value with a policy variable (`${aws:PrincipalArn}`) is matched whole once
//! filled in, since the variable may stand for several segments.
//! Choice where the docs are silent: a `Resource` entry without six
//! segments (e.g. `arn:aws:s3*`) is matched as one glob against the whole
//! ARN text, as iam-simulate does.

use super::variables::{has_variable, Resolved, Template, VarSource};
use super::wildcard::{self, Glob, Shape};

/// A request ARN split into its six segments (borrowed, no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArnParts<'a> {
    pub(crate) segs: [&'a str; 6],
}

impl<'a> ArnParts<'a> {
    /// Splits an ARN; `None` unless it starts with `arn:` and has six segments.
    pub(crate) fn parse(s: &'a str) -> Option<ArnParts<'a>> {
        // Hand-rolled split at the first five colons: this runs for every
        // request and every ARN condition value.
        if !s.starts_with("arn:") {
            return None;
        }
        let b = s.as_bytes();
        let mut cuts = [0usize; 5];
        let mut n = 0;
        for (i, c) in b.iter().enumerate() {
            if *c == b':' {
                cuts[n] = i;
                n += 1;
                if n == 5 {
                    break;
                }
            }
        }
        if n < 5 {
            return None;
        }
        let segs = [
            s.get(..cuts[0])?,
            s.get(cuts[0] + 1..cuts[1])?,
            s.get(cuts[1] + 1..cuts[2])?,
            s.get(cuts[2] + 1..cuts[3])?,
            s.get(cuts[3] + 1..cuts[4])?,
            s.get(cuts[4] + 1..)?,
        ];
        Some(ArnParts { segs })
    }

    pub(crate) fn partition(&self) -> &'a str {
        self.segs[1]
    }
    pub(crate) fn service(&self) -> &'a str {
        self.segs[2]
    }
    pub(crate) fn account(&self) -> &'a str {
        self.segs[4]
    }
    pub(crate) fn resource(&self) -> &'a str {
        self.segs[5]
    }
}

/// One segment of a pattern: precompiled, or with variables to fill in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Static(Glob),
    Dynamic(Template),
}

/// A compiled ARN pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// `*`.
    Any,
    /// Six segments without policy variables, matched one by one.
    Plain(PlainSegments),
    /// Six segments compiled one by one: a pattern with a policy variable
    /// (or with `${` where variables do not apply), matched one by one.
    Segments(Box<[Seg; 6]>),
    /// A `Resource` entry without six segments: matched as one glob.
    Whole(Seg),
    /// An `Arn*` condition value without six segments: it matches nothing.
    Never,
}

/// The six segments of a pattern without variables, kept as the pattern's
/// text with the segment bounds and glob shapes: one allocation per ARN
/// instead of one per segment, which is most of what compiling a policy
/// costs when every batch line brings new policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlainSegments {
    text: Box<str>,
    shape: PlainShape,
}

impl PlainSegments {
    fn scan(pattern: &str, vars: bool) -> Option<PlainSegments> {
        let shape = PlainShape::scan(pattern, vars)?;
        Some(PlainSegments {
            text: pattern.into(),
            shape,
        })
    }

    fn matches(&self, arn: &ArnParts<'_>) -> bool {
        self.shape.matches(self.text.as_bytes(), arn)
    }
}

/// The segment bounds and glob shapes of a [`PlainSegments`], without its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlainShape {
    /// Byte offset of the colon that ends each of the first five segments.
    colons: [u32; 5],
    shapes: [Shape; 6],
}

impl PlainShape {
    /// Splits `pattern` at its first five colons in one pass, counting each
    /// segment's wildcards on the way. `None` when the pattern has fewer
    /// than six segments, holds a policy variable (`vars` and `${`: the
    /// general path splits around it), or is too long to index with `u32`.
    fn scan(pattern: &str, vars: bool) -> Option<PlainShape> {
        let b = pattern.as_bytes();
        u32::try_from(b.len()).ok()?;
        let mut colons = [0u32; 5];
        let mut wild = [0usize; 6];
        let mut n = 0;
        let mut prev = 0u8;
        for (i, &c) in b.iter().enumerate() {
            match c {
                b':' if n < 5 => {
                    colons[n] = i as u32;
                    n += 1;
                }
                b'*' | b'?' => wild[n] += 1,
                b'{' if vars && prev == b'$' => return None,
                _ => {}
            }
            prev = c;
        }
        if n < 5 {
            return None;
        }
        let mut plain = PlainShape {
            colons,
            shapes: [Shape::Any; 6],
        };
        plain.shapes = std::array::from_fn(|i| Shape::with_wildcards(plain.segment(b, i), wild[i]));
        Some(plain)
    }

    /// Segment `i` of `text`, the pattern this shape was scanned from.
    fn segment<'t>(&self, text: &'t [u8], i: usize) -> &'t [u8] {
        let start = if i == 0 {
            0
        } else {
            self.colons[i - 1] as usize + 1
        };
        let end = self.colons.get(i).map_or(text.len(), |&c| c as usize);
        text.get(start..end).unwrap_or_default()
    }

    /// Whether `arn` matches `text`, the pattern this shape was scanned from.
    fn matches(&self, text: &[u8], arn: &ArnParts<'_>) -> bool {
        (0..6).all(|i| {
            wildcard::matches_text(
                self.shapes[i],
                self.segment(text, i),
                arn.segs[i].as_bytes(),
            )
        })
    }
}

/// A `Resource`/`NotResource` entry compiled without its own copy of the text where it is
/// plain (the statement keeps its entries' text): that copy was an allocation per entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResourcePattern {
    Plain(PlainShape),
    Other(ArnPattern),
}

impl ResourcePattern {
    /// Compiles `pattern` as [`ArnPattern::new_resource`] does.
    pub(crate) fn new(pattern: &str, vars: bool) -> ResourcePattern {
        if pattern == "*" {
            return ResourcePattern::Other(ArnPattern::Any);
        }
        match PlainShape::scan(pattern, vars) {
            Some(shape) => ResourcePattern::Plain(shape),
            None => ResourcePattern::Other(ArnPattern::build_split(pattern, vars, true)),
        }
    }

    /// [`ArnPattern::matches`] of the pattern compiled from `pattern`.
    pub(crate) fn matches(
        &self,
        pattern: &str,
        text: &str,
        arn: Option<&ArnParts<'_>>,
        src: &dyn VarSource,
    ) -> Resolved<bool> {
        match self {
            ResourcePattern::Plain(p) => {
                Resolved::Value(arn.is_some_and(|arn| p.matches(pattern.as_bytes(), arn)))
            }
            ResourcePattern::Other(p) => p.matches(text, arn, src),
        }
    }
}

impl ArnPattern {
    /// Compiles a pattern; `vars` enables policy variables (Version 2012-10-17).
    pub(crate) fn new(pattern: &str, vars: bool) -> ArnPattern {
        ArnPattern::build(pattern, vars, false)
    }

    /// Compiles a `Resource`/`NotResource` entry. "You can use a policy
    /// variable in the Resource element, but only in the resource portion of
    /// the ARN ... after the fifth colon": elsewhere `${...}` is literal text.
    pub(crate) fn new_resource(pattern: &str, vars: bool) -> ArnPattern {
        ArnPattern::build(pattern, vars, true)
    }

    fn build(pattern: &str, vars: bool, resource_only: bool) -> ArnPattern {
        if pattern == "*" {
            return ArnPattern::Any;
        }
        if let Some(plain) = PlainSegments::scan(pattern, vars) {
            return ArnPattern::Plain(plain);
        }
        ArnPattern::build_split(pattern, vars, resource_only)
    }

    /// [`ArnPattern::build`] of a pattern other than `*` that is not plain.
    fn build_split(pattern: &str, vars: bool, resource_only: bool) -> ArnPattern {
        let (segs, n) = split_pattern(pattern, vars);
        if n == 6 {
            let arr: [Seg; 6] =
                std::array::from_fn(|i| seg(segs[i], vars && (i == 5 || !resource_only)));
            ArnPattern::Segments(Box::new(arr))
        } else if resource_only {
            ArnPattern::Whole(seg(pattern, false))
        } else if vars && has_variable(pattern) {
            // A variable may stand for several segments (`${aws:PrincipalArn}`): the count is
            // only known once it is filled, so the value is matched whole, as before.
            ArnPattern::Whole(seg(pattern, true))
        } else {
            ArnPattern::Never
        }
    }

    /// Matches a request ARN. `arn` is the pre-split form of `text` (or
    /// `None` when `text` is not an ARN).
    pub(crate) fn matches(
        &self,
        text: &str,
        arn: Option<&ArnParts<'_>>,
        src: &dyn VarSource,
    ) -> Resolved<bool> {
        match self {
            ArnPattern::Any => Resolved::Value(true),
            ArnPattern::Whole(s) => seg_match(s, text, src),
            ArnPattern::Never => Resolved::Value(false),
            ArnPattern::Plain(p) => Resolved::Value(arn.is_some_and(|arn| p.matches(arn))),
            ArnPattern::Segments(segs) => {
                let Some(arn) = arn else {
                    return Resolved::Value(false);
                };
                let mut unknown = None;
                for (s, t) in segs.iter().zip(arn.segs.iter()) {
                    match seg_match(s, t, src) {
                        Resolved::Value(true) => {}
                        Resolved::Value(false) => return Resolved::Value(false),
                        Resolved::Missing => return Resolved::Missing,
                        Resolved::Unknown(k) => unknown = unknown.or(Some(k)),
                    }
                }
                match unknown {
                    Some(k) => Resolved::Unknown(k),
                    None => Resolved::Value(true),
                }
            }
        }
    }
}

/// Splits a pattern into at most six `:`-segments, never inside a `${...}`
/// variable (whose key, e.g. `aws:PrincipalAccount`, contains a colon).
fn split_pattern(p: &str, vars: bool) -> ([&str; 6], usize) {
    let b = p.as_bytes();
    let mut out = [""; 6];
    let mut n = 0;
    let (mut start, mut i) = (0, 0);
    while i < b.len() && n < 5 {
        if vars && b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            // Skip to the closing brace, honouring a quoted default.
            let mut j = i + 2;
            let mut quoted = false;
            while j < b.len() && (quoted || b[j] != b'}') {
                if b[j] == b'\'' {
                    quoted = !quoted;
                }
                j += 1;
            }
            if j < b.len() {
                i = j + 1;
                continue;
            }
        }
        if b[i] == b':' {
            out[n] = &p[start..i];
            n += 1;
            start = i + 1;
        }
        i += 1;
    }
    out[n] = &p[start..];
    (out, n + 1)
}

fn seg(s: &str, vars: bool) -> Seg {
    // Without `${` a template is one text part: compile the glob directly
    // (same result as the template route, without its intermediate buffers).
    if !vars || !has_variable(s) {
        return Seg::Static(Glob::new(s));
    }
    let t = Template::parse(s, vars);
    if t.is_static() {
        Seg::Static(t.static_glob(false))
    } else {
        Seg::Dynamic(t)
    }
}

fn seg_match(s: &Seg, text: &str, src: &dyn VarSource) -> Resolved<bool> {
    match s {
        Seg::Static(g) => Resolved::Value(g.matches(text)),
        Seg::Dynamic(t) => match t.resolve_glob(src, false) {
            Resolved::Value(g) => Resolved::Value(g.matches(text)),
            Resolved::Missing => Resolved::Missing,
            Resolved::Unknown(k) => Resolved::Unknown(k),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::variables::VarLookup;
    use super::*;

    struct Vars;
    impl VarSource for Vars {
        fn lookup_var(&self, key: &str) -> VarLookup<'_> {
            match key {
                "aws:username" => VarLookup::Value("alice"),
                "aws:unknownkey" => VarLookup::Unknown,
                _ => VarLookup::Missing,
            }
        }
    }

    fn m(p: &str, t: &str) -> bool {
        let pat = ArnPattern::new(p, true);
        pat.matches(t, ArnParts::parse(t).as_ref(), &Vars) == Resolved::Value(true)
    }

    // Resource element: `*` matches all resources.
    #[test]
    fn star_matches_everything() {
        assert!(m("*", "arn:aws:s3:::b"));
        assert!(m("*", "not-an-arn"));
    }

    // "Each of the six colon-delimited components ... is checked separately":
    // a `*` in the region segment does not span into the account segment.
    #[test]
    fn per_segment() {
        assert!(m(
            "arn:aws:sagemaker:*:123456789012:training-job/*",
            "arn:aws:sagemaker:us-east-1:123456789012:training-job/x"
        ));
        assert!(!m(
            "arn:aws:sagemaker:*:123456789012:*",
            "arn:aws:sagemaker:us-east-1:999999999999:training-job/x"
        ));
        assert!(!m("arn:aws:iam::*:role/x", "arn:aws:iam::1:2:role/x"));
        assert!(m("arn:aws:*:*:*:*", "arn:aws:s3:::b"));
        assert!(!m("arn:aws:*:*:*:*", "arn:aws-cn:s3:::b"));
    }

    // The final segment's wildcard spans `/` and `:`.
    #[test]
    fn resource_segment_spans_separators() {
        assert!(m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c"));
        assert!(m(
            "arn:aws:logs:us-east-1:1:log-group:*",
            "arn:aws:logs:us-east-1:1:log-group:/aws/x:log-stream:y"
        ));
    }

    // ARN matching is case-sensitive.
    #[test]
    fn case_sensitive() {
        assert!(!m("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x"));
        assert!(!m("arn:AWS:s3:::bucket/*", "arn:aws:s3:::bucket/x"));
    }

    #[test]
    fn pattern_arn_against_non_arn() {
        assert!(!m("arn:aws:s3:::b", "b"));
    }

    // Variables in the Resource element ("Using variables in policies").
    #[test]
    fn variables() {
        assert!(m(
            "arn:aws:s3:::home/${aws:username}/*",
            "arn:aws:s3:::home/alice/x"
        ));
        assert!(!m(
            "arn:aws:s3:::home/${aws:username}/*",
            "arn:aws:s3:::home/bob/x"
        ));
        let pat = ArnPattern::new("arn:aws:s3:::home/${aws:nokey}/*", true);
        let t = "arn:aws:s3:::home/alice/x";
        assert_eq!(
            pat.matches(t, ArnParts::parse(t).as_ref(), &Vars),
            Resolved::Missing
        );
        let pat = ArnPattern::new("arn:aws:s3:::home/${aws:unknownkey}/*", true);
        assert_eq!(
            pat.matches(t, ArnParts::parse(t).as_ref(), &Vars),
            Resolved::Unknown("aws:unknownkey".into())
        );
    }

    #[test]
    fn variable_with_colon_stays_in_its_segment() {
        struct Acct;
        impl VarSource for Acct {
            fn lookup_var(&self, _: &str) -> VarLookup<'_> {
                VarLookup::Value("123456789012")
            }
        }
        let pat = ArnPattern::new("arn:aws:s3:*:${aws:PrincipalAccount}:x/*", true);
        let t = "arn:aws:s3:us-east-1:123456789012:x/y";
        assert_eq!(
            pat.matches(t, ArnParts::parse(t).as_ref(), &Acct),
            Resolved::Value(true)
        );
        let (segs, n) = split_pattern("a:${k, 'x:}y'}:c", true);
        assert_eq!(&segs[..n], ["a", "${k, 'x:}y'}", "c"]);
    }

    // "Where you can use policy variables": in a Resource only after the
    // fifth colon; before it `${...}` is literal.
    #[test]
    fn resource_variables_only_in_resource_segment() {
        struct Acct;
        impl VarSource for Acct {
            fn lookup_var(&self, _: &str) -> VarLookup<'_> {
                VarLookup::Value("123456789012")
            }
        }
        let t = "arn:aws:s3:us-east-1:123456789012:x/123456789012";
        let parts = ArnParts::parse(t);
        let pat = ArnPattern::new_resource("arn:aws:s3:*:${aws:PrincipalAccount}:x/*", true);
        assert_eq!(
            pat.matches(t, parts.as_ref(), &Acct),
            Resolved::Value(false)
        );
        let pat = ArnPattern::new_resource("arn:aws:s3:*:*:x/${aws:PrincipalAccount}", true);
        assert_eq!(pat.matches(t, parts.as_ref(), &Acct), Resolved::Value(true));
    }

    proptest::proptest! {
        /// A pattern without variables, kept in one buffer, matches exactly
        /// what the same six segments compiled one by one match.
        #[test]
        fn plain_segments_agree_with_compiled_segments(
            pattern in proptest::collection::vec(proptest::collection::vec(
                proptest::sample::select(vec!["arn", "aws", "*", "?", "s3", "/", "x", "é", "${k}"]), 0..3), 6),
            text in proptest::collection::vec(proptest::collection::vec(
                proptest::sample::select(vec!["arn", "aws", "s3", "/", "x", "é", "${k}", "?", ":"]), 0..3), 5),
            derived in proptest::bool::ANY,
        ) {
            let pattern = pattern.iter().map(|s| s.concat()).collect::<Vec<_>>().join(":");
            // Half the texts are instances of the pattern, so that matches are
            // compared as often as misses.
            let text = if derived {
                format!("arn:{}", pattern.split_once(':').map_or("", |(_, rest)| rest).replace('*', "x/").replace('?', "é"))
            } else {
                format!("arn:{}", text.iter().map(|s| s.concat()).collect::<Vec<_>>().join(":"))
            };
            let (segs, n) = split_pattern(&pattern, false);
            proptest::prop_assert_eq!(n, 6);
            let plain = ArnPattern::new(&pattern, false);
            proptest::prop_assert!(matches!(plain, ArnPattern::Plain(_)));
            let compiled = ArnPattern::Segments(Box::new(std::array::from_fn(|i| seg(segs[i], false))));
            let parts = ArnParts::parse(&text);
            proptest::prop_assert_eq!(
                plain.matches(&text, parts.as_ref(), &Vars),
                compiled.matches(&text, parts.as_ref(), &Vars),
                "{} vs {}", pattern, text
            );
        }

        /// A resource entry compiled without its text matches what `new_resource` matches.
        #[test]
        fn resource_patterns_agree_with_arn_patterns(
            pattern in proptest::collection::vec(proptest::collection::vec(
                proptest::sample::select(vec!["arn", "aws", "*", "?", "s3", "/", "x", "é", "${k}", "${"]), 0..3), 0..8),
            text in proptest::collection::vec(proptest::collection::vec(
                proptest::sample::select(vec!["arn", "aws", "s3", "/", "x", "é", "v", "?", ":"]), 0..3), 0..7),
            vars in proptest::bool::ANY,
        ) {
            let pattern = pattern.iter().map(|s| s.concat()).collect::<Vec<_>>().join(":");
            let text = text.iter().map(|s| s.concat()).collect::<Vec<_>>().join(":");
            let parts = ArnParts::parse(&text);
            proptest::prop_assert_eq!(
                ResourcePattern::new(&pattern, vars).matches(&pattern, &text, parts.as_ref(), &Vars),
                ArnPattern::new_resource(&pattern, vars).matches(&text, parts.as_ref(), &Vars),
                "{} vs {}", pattern, text
            );
        }
    }

    #[test]
    fn short_resource_pattern_is_whole_glob_and_short_condition_value_matches_nothing() {
        let resource = |p: &str, t: &str| {
            ArnPattern::new_resource(p, true).matches(t, ArnParts::parse(t).as_ref(), &Vars)
                == Resolved::Value(true)
        };
        assert!(resource("arn:aws:s3*", "arn:aws:s3:::b"));
        assert!(!resource("arn:aws:ec2*", "arn:aws:s3:::b"));
        // Review of 2026-11-29: `ArnLike aws:SourceArn arn:aws:sagemaker:*` matched every
        // SageMaker ARN; IAM compares six components, and this value has four.
        assert!(!m("arn:aws:s3*", "arn:aws:s3:::b"));
        assert!(!m(
            "arn:aws:sagemaker:*",
            "arn:aws:sagemaker:us-east-1:111122223333:training-job/x"
        ));
        assert!(m("*", "arn:aws:s3:::b"));
    }
}
