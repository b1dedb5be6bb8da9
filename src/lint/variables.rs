//! Policy variables (`${aws:username}`) inside strings: find malformed ones.

use crate::reference::Reference;

/// Describes the first problem with the `${...}` variables in `text`, if any.
/// Accepts `${*}`, `${?}`, `${$}` escapes and `${key, 'default'}` forms; the
/// key must be a known condition key.
pub(crate) fn problem(text: &str, reference: &Reference) -> Option<String> {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Some(format!("`{}` has no closing brace", &rest[start..]));
        };
        let inner = &after[..end];
        rest = &after[end + 1..];
        if matches!(inner, "*" | "?" | "$") {
            continue;
        }
        let (key, default) = match inner.split_once(',') {
            Some((k, d)) => (k, Some(d.trim())),
            None => (inner, None),
        };
        if key.trim().is_empty() {
            return Some("`${}` names no variable".to_string());
        }
        if key.contains(char::is_whitespace) {
            return Some(format!(
                "`${{{inner}}}` has a space inside the variable name"
            ));
        }
        if key.contains("${") {
            return Some(format!("`${{{inner}}}` nests a variable"));
        }
        if let Some(d) = default {
            if !(d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'')) {
                return Some(format!(
                    "the default value in `${{{inner}}}` must be in single quotes"
                ));
            }
        }
        if reference.condition_key(key).is_none() {
            return Some(format!("`${{{key}}}` is not a known condition key"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::problem;
    use crate::reference;

    #[test]
    fn variables() {
        let r = reference::get();
        assert_eq!(problem("arn:aws:s3:::b/${aws:username}/*", r), None);
        assert_eq!(problem("${aws:PrincipalAccount}", r), None);
        assert_eq!(
            problem("${sagemaker:DomainId}/${sagemaker:UserProfileName}", r),
            None
        );
        assert_eq!(problem("${aws:PrincipalTag/team, 'none'}", r), None);
        assert_eq!(problem("a${*}b", r), None);
        assert!(problem("${aws:username", r).is_some());
        assert!(problem("${}", r).is_some());
        assert!(problem("${ aws:username}", r).is_some());
        assert!(problem("${aws:NoSuchVariable}", r).is_some());
    }
}
