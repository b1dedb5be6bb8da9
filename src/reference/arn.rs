//! Does a policy's resource ARN (with `*`, `?` and `${...}` variables) overlap
//! a resource type's documented ARN format (with `${Placeholder}`s)?
//!
//! Both sides are compiled to sequences of "one char of class C" and "any run
//! of class C", and a dynamic program decides whether some concrete ARN
//! matches both. This avoids false alarms on wildcards that span fields.

/// Character class: a literal, or any character except those in a mask.
#[derive(Clone, Copy, Debug)]
enum Cls {
    Lit(char),
    /// Any character except `/` (bit 1) and/or `:` (bit 2).
    Any(u8),
}

const NO_SLASH: u8 = 1;
const NO_COLON: u8 = 2;

#[derive(Clone, Copy, Debug)]
enum Tok {
    One(Cls),
    Star(Cls),
}

fn excluded(mask: u8, c: char) -> bool {
    (mask & NO_SLASH != 0 && c == '/') || (mask & NO_COLON != 0 && c == ':')
}

fn overlap(a: Cls, b: Cls) -> bool {
    match (a, b) {
        (Cls::Lit(x), Cls::Lit(y)) => x == y,
        (Cls::Lit(x), Cls::Any(m)) | (Cls::Any(m), Cls::Lit(x)) => !excluded(m, x),
        (Cls::Any(_), Cls::Any(_)) => true,
    }
}

/// Compiles a policy ARN: `*` and `${var}` match any run, `?` one character.
/// `${*}`, `${?}` and `${$}` are the escaped literals.
fn policy_tokens(arn: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(arn.len());
    let mut rest = arn;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("${") {
            if let Some(end) = after.find('}') {
                match &after[..end] {
                    "*" => out.push(Tok::One(Cls::Lit('*'))),
                    "?" => out.push(Tok::One(Cls::Lit('?'))),
                    "$" => out.push(Tok::One(Cls::Lit('$'))),
                    _ => out.push(Tok::Star(Cls::Any(0))),
                }
                rest = &after[end + 1..];
                continue;
            }
        }
        out.push(match c {
            '*' => Tok::Star(Cls::Any(0)),
            '?' => Tok::One(Cls::Any(0)),
            other => Tok::One(Cls::Lit(other)),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Compiles a documented ARN format. Placeholders match one or more
/// characters; in the first five fields never a `:`. In the resource field a
/// placeholder stops at the separator that follows it (`${BucketName}/...`
/// cannot contain `/`), a placeholder that is the whole field holds neither
/// `/` nor `:`, and a trailing placeholder after a prefix (`role/${Name}`)
/// matches anything, since names such as role paths contain `/`.
fn pattern_tokens(pattern: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut fields = pattern.splitn(6, ':').peekable();
    let mut index = 0;
    while let Some(field) = fields.next() {
        field_tokens(field, index == 5, &mut out);
        if fields.peek().is_some() {
            out.push(Tok::One(Cls::Lit(':')));
        }
        index += 1;
    }
    out
}

/// Compiles one field of a documented ARN format (see [`pattern_tokens`]).
fn field_tokens(field: &str, resource_field: bool, out: &mut Vec<Tok>) {
    let mut rest = field;
    let mut at_field_start = true;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("${") {
            if let Some(end) = after.find('}') {
                let following = &after[end + 1..];
                let mask = if !resource_field {
                    NO_COLON
                } else {
                    match following.chars().next() {
                        Some('/') => NO_SLASH,
                        Some(':') => NO_COLON,
                        Some(_) => 0,
                        None if at_field_start => NO_SLASH | NO_COLON,
                        None => 0,
                    }
                };
                out.push(Tok::One(Cls::Any(mask)));
                out.push(Tok::Star(Cls::Any(mask)));
                rest = following;
                at_field_start = false;
                continue;
            }
        }
        out.push(Tok::One(Cls::Lit(c)));
        rest = &rest[c.len_utf8()..];
        at_field_start = false;
    }
}

/// The literal text before the first wildcard or variable.
fn literal_prefix(s: &str) -> &str {
    // Bytes, not a `char` pattern: all three are ASCII, and this runs for every ARN and format.
    let end = s
        .bytes()
        .position(|b| matches!(b, b'*' | b'?' | b'$'))
        .unwrap_or(s.len());
    &s[..end]
}

/// False when the literal starts of two fields already disagree.
fn prefixes_compatible(policy: &str, pattern: &str) -> bool {
    let (a, b) = (literal_prefix(policy), literal_prefix(pattern));
    let n = a.len().min(b.len());
    a.as_bytes()[..n] == b.as_bytes()[..n]
}

/// True when some string matches both token sequences.
///
/// Equal literal characters at the start of both (or at the end of both) are matched first:
/// a string matches both exactly when what is left of it matches what is left of them, and
/// an ARN and its format mostly share their literal parts (`training-job/`). The rest is a
/// search: state `(i, j)` means "`a[i..]` and `b[j..]` still have to match the same rest";
/// each step consumes a token or a character, so the states form a DAG and the question is
/// whether `(len a, len b)` is reachable from `(0, 0)`. A depth-first search that tries the
/// step consuming both sides first answers the usual "yes" after about `len a + len b` states,
/// where filling the whole table took `len a × len b`.
fn intersects(a: &[Tok], b: &[Tok]) -> bool {
    let (a, b) = strip_equal_literals(a, b);
    let (n, m) = (a.len(), b.len());
    let w = m + 1;
    let words = ((n + 1) * w).div_ceil(64);
    // Short fields, the usual case, keep their visited set on the stack.
    let mut on_stack = [0u64; 32];
    let mut on_heap = Vec::new();
    let seen: &mut [u64] = if words <= on_stack.len() {
        &mut on_stack[..words]
    } else {
        on_heap.resize(words, 0);
        &mut on_heap
    };
    let mut stack = vec![(0usize, 0usize)];
    let mut visit = |state: (usize, usize), stack: &mut Vec<(usize, usize)>| {
        let bit = state.0 * w + state.1;
        if seen[bit / 64] & (1 << (bit % 64)) == 0 {
            seen[bit / 64] |= 1 << (bit % 64);
            stack.push(state);
        }
    };
    while let Some((i, j)) = stack.pop() {
        if i == n && j == m {
            return true;
        }
        let (ta, tb) = (a.get(i).copied(), b.get(j).copied());
        // Pushed last-preferred first: a star matching nothing is tried after real progress.
        if let Some(Tok::Star(_)) = tb {
            visit((i, j + 1), &mut stack);
        }
        if let Some(Tok::Star(_)) = ta {
            visit((i + 1, j), &mut stack);
        }
        if let (Some(ta), Some(tb)) = (ta, tb) {
            match (ta, tb) {
                (Tok::One(x), Tok::One(y)) if overlap(x, y) => visit((i + 1, j + 1), &mut stack),
                (Tok::Star(x), Tok::One(y)) if overlap(x, y) => visit((i, j + 1), &mut stack),
                (Tok::One(x), Tok::Star(y)) if overlap(x, y) => visit((i + 1, j), &mut stack),
                _ => {}
            }
        }
    }
    false
}

/// Both sequences without the literal characters they share at the front and at the back.
fn strip_equal_literals<'t>(mut a: &'t [Tok], mut b: &'t [Tok]) -> (&'t [Tok], &'t [Tok]) {
    let same = |x: Option<&Tok>, y: Option<&Tok>| match (x, y) {
        (Some(Tok::One(Cls::Lit(x))), Some(Tok::One(Cls::Lit(y)))) => x == y,
        _ => false,
    };
    while same(a.first(), b.first()) {
        (a, b) = (&a[1..], &b[1..]);
    }
    while same(a.last(), b.last()) {
        (a, b) = (&a[..a.len() - 1], &b[..b.len() - 1]);
    }
    (a, b)
}

/// Splits an ARN into at most six fields at the colons that are not inside
/// a `${...}` policy variable (`${aws:PrincipalAccount}` holds a colon).
pub fn arn_fields(arn: &str) -> Vec<&str> {
    let (head, count, rest) = split_fields(arn, true);
    let mut fields = Vec::with_capacity(count + 1);
    fields.extend_from_slice(&head[..count]);
    fields.push(rest);
    fields
}

/// The first five `:`-separated fields of `text` (as many as it has) and the rest after them.
/// With `skip_variables`, a colon inside `${...}` does not separate. Returns the fields, how
/// many of them were found, and the rest: no allocation, since the ARN check runs for every
/// resource of every statement against every ARN format of its actions.
fn split_fields(text: &str, skip_variables: bool) -> ([&str; 5], usize, &str) {
    let mut fields = [""; 5];
    let mut count = 0;
    let (mut start, mut depth) = (0, 0usize);
    let bytes = text.as_bytes();
    if !skip_variables || memchr::memchr(b'$', bytes).is_none() {
        // Every colon separates: let memchr find them.
        for colon in memchr::memchr_iter(b':', bytes).take(5) {
            fields[count] = &text[start..colon];
            count += 1;
            start = colon + 1;
        }
        return (fields, count, &text[start..]);
    }
    let mut i = 0;
    while i < bytes.len() && count < 5 {
        match bytes[i] {
            b'$' if skip_variables && bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                fields[count] = &text[start..i];
                count += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    (fields, count, &text[start..])
}

/// All six fields of an ARN or ARN format, the last holding the rest; `None` when it has fewer
/// than five separating colons.
fn six_fields(text: &str, skip_variables: bool) -> Option<[&str; 6]> {
    let (head, count, rest) = split_fields(text, skip_variables);
    (count == 5).then(|| [head[0], head[1], head[2], head[3], head[4], rest])
}

fn has_wildcard(text: &str) -> bool {
    text.bytes().any(|b| b == b'*' || b == b'?')
}

/// Decides the common field shapes without building automata: a literal
/// against a literal, or anything against a lone `${Placeholder}` outside the
/// resource field. `None` means "run the full match".
fn quick_field_match(user: &str, doc: &str, resource_field: bool) -> Option<bool> {
    let user_literal = !user.bytes().any(|b| matches!(b, b'*' | b'?' | b'$'));
    if !doc.contains("${") {
        return user_literal.then(|| user == doc);
    }
    let lone_placeholder =
        doc.starts_with("${") && doc.bytes().position(|b| b == b'}') == Some(doc.len() - 1);
    if !resource_field && lone_placeholder {
        // Placeholders need at least one character and never hold `:`.
        return Some(!user.is_empty() && (!user_literal || !user.contains(':')));
    }
    None
}

/// A policy ARN split into its fields once, to be matched against the many ARN formats of a
/// statement's actions.
pub struct PolicyArn<'a> {
    text: &'a str,
    /// The six fields, when the ARN has them.
    fields: Option<[&'a str; 6]>,
    /// Whether a wildcard sits in the first five fields: it may then span fields, and only the
    /// whole text decides a mismatch.
    spans_fields: bool,
}

impl<'a> PolicyArn<'a> {
    pub fn new(text: &'a str) -> Self {
        let fields = six_fields(text, true);
        let spans_fields = fields.is_some_and(|f| f[..5].iter().any(|f| has_wildcard(f)));
        PolicyArn {
            text,
            fields,
            spans_fields,
        }
    }

    /// True when this ARN can name a resource of the documented `pattern`.
    /// Policy variables and wildcards match any value.
    pub fn matches_pattern(&self, pattern: &str) -> bool {
        let whole = || intersects(&policy_tokens(self.text), &pattern_tokens(pattern));
        let Some((user, doc)) = self.fields.zip(six_fields(pattern, false)) else {
            return whole();
        };
        if !self.spans_fields {
            return fields_match(&user, &doc);
        }
        // A string that matches both field by field matches both whole texts, so a match found
        // that way is an answer; a wildcard such as the region's `*` seldom needs to span fields
        // to match, and the whole texts take a search ten times as long.
        fields_match(&user, &doc) || whole()
    }
}

/// Whether some ARN matches both the policy ARN's and the documented format's fields, each
/// field on its own: exact when no wildcard sits in the first five fields.
fn fields_match(user: &[&str; 6], doc: &[&str; 6]) -> bool {
    // Cheap rejections first, then the resource part.
    let service_variable = user[2].contains('$');
    if (!service_variable && user[2] != doc[2]) || !prefixes_compatible(user[5], doc[5]) {
        return false;
    }
    let mut doc_tokens = Vec::new();
    for i in [0, 1, 2, 3, 4, 5] {
        if i == 2 && !service_variable {
            continue;
        }
        if let Some(answer) = quick_field_match(user[i], doc[i], i == 5) {
            if !answer {
                return false;
            }
            continue;
        }
        doc_tokens.clear();
        field_tokens(doc[i], i == 5, &mut doc_tokens);
        if !intersects(&policy_tokens(user[i]), &doc_tokens) {
            return false;
        }
    }
    true
}

/// True when a policy ARN can name a resource of the documented `pattern`.
/// Policy variables and wildcards match any value.
pub fn arn_matches_pattern(arn: &str, pattern: &str) -> bool {
    PolicyArn::new(arn).matches_pattern(pattern)
}

#[cfg(test)]
mod tests {
    use super::arn_matches_pattern as m;
    use super::{intersects, overlap, pattern_tokens, policy_tokens, Tok};

    const BUCKET: &str = "arn:${Partition}:s3:::${BucketName}";
    const OBJECT: &str = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
    const JOB: &str =
        "arn:${Partition}:sagemaker:${Region}:${Account}:training-job/${TrainingJobName}";
    const ROLE: &str = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
    const STREAM: &str =
        "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}";

    #[test]
    fn s3_bucket_versus_object() {
        assert!(m("arn:aws:s3:::my-bucket", BUCKET));
        assert!(!m("arn:aws:s3:::my-bucket", OBJECT));
        assert!(!m("arn:aws:s3:::my-bucket/*", BUCKET));
        assert!(m("arn:aws:s3:::my-bucket/*", OBJECT));
        assert!(m("arn:aws:s3:::my-bucket/a/b/c.txt", OBJECT));
        assert!(m("arn:aws:s3:::my-bucket*", BUCKET));
        assert!(m("arn:aws:s3:::my-bucket*", OBJECT));
        assert!(!m("arn:aws:s3:us-east-1:123456789012:my-bucket", BUCKET));
    }

    #[test]
    fn sagemaker_and_variables() {
        assert!(m(
            "arn:aws:sagemaker:us-east-1:123456789012:training-job/*",
            JOB
        ));
        assert!(m("arn:aws:sagemaker:*:*:training-job/*", JOB));
        assert!(m(
            "arn:aws:sagemaker:*:${aws:PrincipalAccount}:training-job/x",
            JOB
        ));
        assert!(!m(
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/*",
            JOB
        ));
        assert!(!m("arn:aws:sagemaker::123456789012:training-job/x", JOB));
        assert!(m("arn:aws:*", JOB));
        assert!(m("*", JOB));
    }

    #[test]
    fn fields_skip_colons_in_variables() {
        assert_eq!(
            super::arn_fields("arn:aws:sagemaker:us-east-1:${aws:PrincipalAccount}:user-profile/${sagemaker:DomainId}/x"),
            ["arn", "aws", "sagemaker", "us-east-1", "${aws:PrincipalAccount}", "user-profile/${sagemaker:DomainId}/x"]
        );
        assert_eq!(
            super::arn_fields("arn:aws:logs:r:a:log-group:x:log-stream:y").len(),
            6
        );
        assert_eq!(super::arn_fields("bucket"), ["bucket"]);
        // Without a variable every colon separates (memchr); a lone `$` is not a variable.
        assert_eq!(
            super::arn_fields("arn:aws:logs:r:a:log-group:x:*"),
            ["arn", "aws", "logs", "r", "a", "log-group:x:*"]
        );
        assert_eq!(
            super::arn_fields("arn:aws:s3:::a$b:c"),
            ["arn", "aws", "s3", "", "", "a$b:c"]
        );
        assert_eq!(super::arn_fields("a:b"), ["a", "b"]);
        assert!(m(
            "arn:aws:sagemaker:us-east-1:${aws:PrincipalAccount}:user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}",
            "arn:${Partition}:sagemaker:${Region}:${Account}:user-profile/${DomainId}/${UserProfileName}"
        ));
    }

    #[test]
    fn paths_and_colons() {
        assert!(m(
            "arn:aws:iam::123456789012:role/service-role/SageMaker*",
            ROLE
        ));
        assert!(m(
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/TrainingJobs:log-stream:*",
            STREAM
        ));
        assert!(!m("arn:aws:iam::123456789012:user/bob", ROLE));
    }

    /// The table-filling program `intersects` replaced: every state, bottom-up.
    fn intersects_by_table(a: &[Tok], b: &[Tok]) -> bool {
        let (n, m) = (a.len(), b.len());
        let w = m + 1;
        let mut dp = vec![false; (n + 1) * w];
        dp[n * w + m] = true;
        for i in (0..=n).rev() {
            for j in (0..=m).rev() {
                if i == n && j == m {
                    continue;
                }
                let mut ok = matches!(a.get(i), Some(Tok::Star(_))) && dp[(i + 1) * w + j]
                    || matches!(b.get(j), Some(Tok::Star(_))) && dp[i * w + j + 1];
                if let (false, Some(&ta), Some(&tb)) = (ok, a.get(i), b.get(j)) {
                    ok = match (ta, tb) {
                        (Tok::One(x), Tok::One(y)) => overlap(x, y) && dp[(i + 1) * w + j + 1],
                        (Tok::Star(x), Tok::One(y)) => overlap(x, y) && dp[i * w + j + 1],
                        (Tok::One(x), Tok::Star(y)) => overlap(x, y) && dp[(i + 1) * w + j],
                        (Tok::Star(_), Tok::Star(_)) => false,
                    };
                }
                dp[i * w + j] = ok;
            }
        }
        dp[0]
    }

    proptest::proptest! {
        /// The search and the full table agree on policy ARNs and documented formats built from the
        /// pieces that matter: letters, separators, wildcards, variables and placeholders.
        #[test]
        fn search_agrees_with_the_full_table(
            policy in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b", ":", "/", "*", "?", "${v}", "${*}"]), 0..14),
            format in proptest::collection::vec(
                proptest::sample::select(vec!["a", "b", ":", "/", "${P}"]), 0..14),
        ) {
            let (policy, format) = (policy.concat(), format.concat());
            let (a, b) = (policy_tokens(&policy), pattern_tokens(&format));
            proptest::prop_assert_eq!(intersects(&a, &b), intersects_by_table(&a, &b), "{} vs {}", policy, format);
        }

        /// With a wildcard in its first five fields, a policy ARN's answer is the whole-text
        /// search's: the field-by-field match taken first only ever answers "yes".
        #[test]
        fn a_field_match_never_changes_the_whole_texts_answer(
            policy in proptest::collection::vec(proptest::collection::vec(
                proptest::sample::select(vec!["a", "b", "/", "*", "?", "${v}", ""]), 0..4), 6),
            format in proptest::collection::vec(proptest::collection::vec(
                proptest::sample::select(vec!["a", "b", "/", "${P}", ""]), 0..4), 6),
            policy_tail in proptest::sample::select(vec!["", ":a", ":*", ":${v}"]),
            format_tail in proptest::sample::select(vec!["", ":b", ":${P}"]),
        ) {
            let join = |fields: &[Vec<&str>], tail: &str| {
                fields.iter().map(|f| f.concat()).collect::<Vec<_>>().join(":") + tail
            };
            let (policy, format) = (join(&policy, policy_tail), join(&format, format_tail));
            let arn = super::PolicyArn::new(&policy);
            if arn.spans_fields {
                let whole = intersects(&policy_tokens(&policy), &pattern_tokens(&format));
                proptest::prop_assert_eq!(arn.matches_pattern(&format), whole, "{} vs {}", policy, format);
            }
        }
    }
}
