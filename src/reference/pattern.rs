//! Small string matchers: IAM action globs and documented condition-key placeholders.

/// IAM glob match (`*` any run, `?` one character). Callers lowercase both
/// sides, since action names are case-insensitive. The simulator's matcher, so that `lint` and
/// `simulate` agree on what a glob covers.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    crate::simulate::glob_matches_text(pattern, text)
}

/// True when `name` fills the placeholders of a documented key `pattern`
/// (`${TagKey}` or `<key>`, each standing for one or more characters),
/// ignoring ASCII case. Allocates nothing: the linter asks this for every
/// key of a service while it looks one up.
pub fn key_pattern_matches(pattern: &str, name: &str) -> bool {
    // Most keys a lookup tries differ from the name within their literal start: compare bytes up
    // to the first `$` or `<` before looking for placeholders. Everything before that byte is
    // literal whatever follows, so a difference there is a definite no.
    let name_bytes = name.as_bytes();
    for (at, byte) in pattern.bytes().enumerate() {
        if matches!(byte, b'$' | b'<') {
            break;
        }
        if !name_bytes
            .get(at)
            .is_some_and(|b| b.eq_ignore_ascii_case(&byte))
        {
            return false;
        }
        if at + 1 == pattern.len() {
            return name_bytes.len() == pattern.len();
        }
    }
    if pattern.is_empty() {
        return name.is_empty();
    }
    let Some((literal, rest)) = next_hole(pattern) else {
        return pattern.eq_ignore_ascii_case(name);
    };
    let Some(after) = strip_prefix_ignore_case(name, literal) else {
        return false;
    };
    // The hole takes one or more characters.
    after
        .char_indices()
        .skip(1)
        .map(|(i, _)| i)
        .chain((!after.is_empty()).then_some(after.len()))
        .any(|i| key_pattern_matches(rest, &after[i..]))
}

/// The literal text before the first placeholder and the pattern after it; `None` when there is
/// no placeholder (a lone `$`, or an unclosed `${` or `<`, is literal text).
fn next_hole(pattern: &str) -> Option<(&str, &str)> {
    let mut from = 0;
    while let Some(offset) = pattern[from..].find(['$', '<']) {
        let start = from + offset;
        let tail = &pattern[start..];
        let (open, close) = if tail.starts_with("${") {
            (2, '}')
        } else if tail.starts_with('<') {
            (1, '>')
        } else {
            from = start + 1;
            continue;
        };
        let end = tail[open..].find(close)?;
        return Some((&pattern[..start], &tail[open + end + 1..]));
    }
    None
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The splitting matcher `key_pattern_matches` replaced, kept to check it; both sides
    /// must be lowercase.
    fn key_pattern_matches_by_parts(pattern: &str, name: &str) -> bool {
        if !pattern.contains("${") && !pattern.contains('<') {
            return pattern == name;
        }
        let mut parts: Vec<&str> = Vec::new();
        let mut rest = pattern;
        while let Some(start) = rest.find(['$', '<']) {
            let (open, close) = if rest[start..].starts_with("${") {
                ("${", '}')
            } else if rest[start..].starts_with('<') {
                ("<", '>')
            } else {
                // A lone '$': literal text.
                parts.push(&rest[..start + 1]);
                rest = &rest[start + 1..];
                continue;
            };
            let Some(end) = rest[start + open.len()..].find(close) else {
                break;
            };
            parts.push(&rest[..start]);
            parts.push("\u{0}");
            rest = &rest[start + open.len() + end + 1..];
        }
        parts.push(rest);
        matches_parts(&parts, name)
    }

    /// Matches literal parts and "\0" holes (one or more characters).
    fn matches_parts(parts: &[&str], name: &str) -> bool {
        let Some((first, tail)) = parts.split_first() else {
            return name.is_empty();
        };
        if *first == "\u{0}" {
            let mut idx = name
                .char_indices()
                .skip(1)
                .map(|(i, _)| i)
                .collect::<Vec<_>>();
            idx.push(name.len());
            if name.is_empty() {
                return false;
            }
            return idx.into_iter().any(|i| matches_parts(tail, &name[i..]));
        }
        name.strip_prefix(first)
            .is_some_and(|rest| matches_parts(tail, rest))
    }

    #[test]
    fn globs() {
        assert!(glob_match("s3:get*", "s3:getobject"));
        assert!(glob_match("s3:*", "s3:getobject"));
        assert!(glob_match("*", "s3:getobject"));
        assert!(glob_match("s3:get?bject", "s3:getobject"));
        assert!(!glob_match("s3:put*", "s3:getobject"));
        assert!(glob_match("s3:*object", "s3:getobject"));
        assert!(!glob_match("s3:*objects", "s3:getobject"));
        // `?` is one character, not one byte, when either side is not ASCII.
        assert!(glob_match("team-?/*", "team-é/data"));
        assert!(!glob_match("team-??/*", "team-é/data"));
        assert!(glob_match("é*", "éa"));
        assert!(!glob_match("a?", "a"));
    }

    /// A glob's meaning, written as plainly as possible: `*` any run of characters, `?` one.
    fn glob_by_definition(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('*', rest)) => {
                (0..=text.len()).any(|skip| glob_by_definition(rest, &text[skip..]))
            }
            Some((&c, rest)) => text
                .split_first()
                .is_some_and(|(&t, more)| (c == '?' || c == t) && glob_by_definition(rest, more)),
        }
    }

    proptest::proptest! {
        /// `glob_match` (the simulator's matcher, whose `?` takes a whole character) means what a
        /// glob means, on ASCII and non-ASCII text.
        #[test]
        fn glob_match_agrees_with_the_definition(
            pattern in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b", ":", "/", "*", "?", "é", "日"]), 0..10),
            text in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b", ":", "/", "é", "日", "*"]), 0..12),
        ) {
            let (pattern, text) = (pattern.concat(), text.concat());
            let chars = |s: &str| s.chars().collect::<Vec<char>>();
            proptest::prop_assert_eq!(
                glob_match(&pattern, &text),
                glob_by_definition(&chars(&pattern), &chars(&text)),
                "{} vs {}", pattern, text
            );
        }
    }

    #[test]
    fn key_patterns() {
        assert!(key_pattern_matches(
            "aws:resourcetag/${tagkey}",
            "aws:resourcetag/team"
        ));
        assert!(!key_pattern_matches(
            "aws:resourcetag/${tagkey}",
            "aws:resourcetag/"
        ));
        assert!(key_pattern_matches(
            "s3:existingobjecttag/<key>",
            "s3:existingobjecttag/a"
        ));
        assert!(key_pattern_matches(
            "codebuild:secondarysources/${sourceidentifier}.auth.type",
            "codebuild:secondarysources/src1.auth.type"
        ));
        assert!(key_pattern_matches(
            "sagemaker:volumekmskey",
            "sagemaker:volumekmskey"
        ));
        assert!(!key_pattern_matches(
            "sagemaker:volumekmskey",
            "sagemaker:volumekms"
        ));
    }

    proptest::proptest! {
        /// The allocation-free matcher agrees with the splitting one on documented-key shapes, in
        /// any case.
        #[test]
        fn agrees_with_splitting_matcher(
            pattern in proptest::collection::vec(
                proptest::sample::select(vec!["a", "B", "/", ".", "$", "${k}", "<k>", "${", "<", "é"]), 0..8),
            name in proptest::collection::vec(
                proptest::sample::select(vec!["a", "A", "b", "/", ".", "$", "{", "}", "é", "k"]), 0..8),
        ) {
            let (pattern, name) = (pattern.concat(), name.concat());
            let expected = key_pattern_matches_by_parts(&pattern.to_ascii_lowercase(), &name.to_ascii_lowercase());
            proptest::prop_assert_eq!(key_pattern_matches(&pattern, &name), expected, "{} vs {}", pattern, name);
        }
    }

    #[test]
    fn key_patterns_ignore_case() {
        assert!(key_pattern_matches(
            "aws:ResourceTag/${TagKey}",
            "AWS:resourcetag/Team"
        ));
        assert!(!key_pattern_matches(
            "aws:ResourceTag/${TagKey}",
            "aws:RequestTag/team"
        ));
    }
}
