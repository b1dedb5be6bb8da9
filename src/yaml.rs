//! The one place that parses YAML. serde_yaml is archived upstream; keeping it behind this module
//! means swapping it for another parser touches nothing else.

use std::cell::RefCell;

use serde::de::DeserializeOwned;

/// A YAML problem: the parser's message without its location suffix, and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
    /// What to do about it, when the parser's message alone does not say.
    pub help: Option<&'static str>,
}

/// Parses one YAML (or JSON, which is YAML) document into `T`, refusing a key given twice in
/// any mapping.
///
/// serde_yaml keeps the last of two equal keys when it fills a map type (tags, a condition's
/// keys), so `cloudwatch:namespace` given twice would silently lose the narrower value. The
/// document is read once more first, comparing each mapping's keys as the strings a map gets.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let repeated = RefCell::new(None);
    let first_pass =
        crate::json_keys::refuse_repeats(serde_yaml::Deserializer::from_str(text), &repeated);
    let first_pass = match (first_pass, repeated.into_inner()) {
        (Err(error), Some(key)) => {
            let mut error = yaml_error(error);
            error.help =
                Some("a key may appear once in a mapping: keep one of them, or merge their values");
            error.line = error.line.map(|start| repeat_line(text, start, &key));
            return Err(error);
        }
        (first_pass, _) => first_pass,
    };
    // Another problem of the first pass counts only if `T` cannot be read either: that pass
    // reads every scalar by its own look (`!!int 12abc` fails there), where `T` may want text.
    // If both fail, the first pass's message is the one to show: it reads the document in
    // order, so a syntax error is reported as one rather than as the type error before it.
    serde_yaml::from_str(text).map_err(|typed| yaml_error(first_pass.err().unwrap_or(typed)))
}

/// serde_yaml reports the line where the mapping starts; the line that repeats the key is the
/// one to edit. Found where each key starts a line (block mappings, JSON laid out one member per
/// line): the second line that names the key at the first one's indentation, outside brackets
/// opened after it. Otherwise (a mapping on one line) the mapping's line stays.
fn repeat_line(text: &str, mapping_line: usize, key: &str) -> usize {
    let spellings = [key.to_string(), format!("\"{key}\""), format!("'{key}'")];
    let names_key = |content: &str| {
        spellings.iter().any(|spelling| {
            content
                .strip_prefix(spelling.as_str())
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
    };
    let mut first: Option<usize> = None;
    let mut depth = 0usize;
    for (offset, line) in text
        .lines()
        .enumerate()
        .skip(mapping_line.saturating_sub(1))
    {
        // A key's column: after the indentation, a list item's `- ` and a JSON object's `{`.
        let content = line.trim_start_matches([' ', '\t', '-', '{']);
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let column = line.len() - content.len();
        match first {
            None if names_key(content) => first = Some(column),
            None => continue,
            Some(at) if column < at => break,
            Some(at) if depth == 0 && column == at && names_key(content) => return offset + 1,
            Some(_) => {}
        }
        depth = bracket_depth(depth, content);
    }
    mapping_line
}

/// `depth` after the flow brackets of `line` (outside quotes) open and close.
fn bracket_depth(mut depth: usize, line: &str) -> usize {
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => break,
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    depth
}

fn yaml_error(error: serde_yaml::Error) -> YamlError {
    let line = error.location().map(|location| location.line());
    let mut message = error.to_string();
    // serde_yaml appends " at line L column C"; the caller prints the line itself.
    if let Some(index) = message.rfind(" at line ") {
        message.truncate(index);
    }
    YamlError {
        message,
        line,
        help: None,
    }
}

/// Serialises a value as YAML (used for `--save-spec`-style output and `show`).
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, YamlError> {
    serde_yaml::to_string(value).map_err(|error| YamlError {
        message: error.to_string(),
        line: None,
        help: None,
    })
}

/// Checks that `text` is well-formed YAML (tags such as CloudFormation's `!Ref` allowed).
pub fn check_syntax(text: &str) -> Result<(), YamlError> {
    serde_yaml::from_str::<serde_yaml::Value>(text)
        .map(|_| ())
        .map_err(yaml_error)
}

/// Re-encodes a YAML document as compact JSON. build.rs uses it to store the built-in catalog
/// pre-parsed, because parsing YAML was most of `generate`'s run time; JSON parses many times
/// faster into the same types.
pub fn to_json(text: &str) -> Result<String, YamlError> {
    let value: serde_yaml::Value = from_str(text)?;
    serde_json::to_string(&value).map_err(|error| YamlError {
        message: error.to_string(),
        line: None,
        help: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_key_given_twice_is_refused_at_its_second_line_even_where_a_map_would_keep_one() {
        let text = "tags:\n  team: a\n  # a comment\n\n  team: b\n";
        let error = from_str::<BTreeMap<String, BTreeMap<String, String>>>(text).unwrap_err();
        assert_eq!(error.message, "tags: the key `team` is given twice");
        assert_eq!(error.line, Some(5));
        assert!(error.help.is_some());
    }

    #[test]
    fn the_repeat_is_found_in_list_items_and_with_quoted_spellings() {
        let text = "b:\n  - c: 1\n    d: 2\n    \"c\": 3\n";
        let error = from_str::<serde_yaml::Value>(text).unwrap_err();
        assert_eq!(error.line, Some(4));
    }

    #[test]
    fn a_key_of_a_nested_mapping_with_the_same_name_is_not_the_repeat() {
        let text = "a:\n  x: 1\n  y:\n    x: 2\n  x: 3\n";
        let error = from_str::<serde_yaml::Value>(text).unwrap_err();
        assert_eq!(error.line, Some(5));
    }

    #[test]
    fn a_flow_mapping_keeps_the_mapping_line() {
        let error = from_str::<serde_yaml::Value>("k: 0\ntags: {a: 1, a: 2}\n").unwrap_err();
        assert_eq!(error.message, "tags: the key `a` is given twice");
        assert_eq!(error.line, Some(2));
    }

    #[test]
    fn the_repeat_is_found_in_json_laid_out_one_member_per_line() {
        let text = "{\n  \"persona\": \"compute\",\n  \"tags\": {\n    \"team\": \"a\",\n    \"other\": {\"team\": 1},\n    \"team\": \"b\"\n  }\n}\n";
        let error = from_str::<serde_yaml::Value>(text).unwrap_err();
        assert_eq!(error.message, "tags: the key `team` is given twice");
        assert_eq!(error.line, Some(6));
    }

    #[test]
    fn a_key_inside_a_flow_collection_opened_after_the_first_is_not_the_repeat() {
        let text = "tags:\n  team: a\n  other: [\n  team: b]\n  team: c\n";
        let error = from_str::<serde_yaml::Value>(text).unwrap_err();
        assert_eq!(error.line, Some(5));
    }

    #[test]
    fn keys_are_compared_as_the_strings_a_map_gets() {
        // `1` and `"1"` are one tag key; `0x10` and `16` are two (serde_yaml's own check had
        // it the other way round, comparing them as numbers).
        let same =
            from_str::<BTreeMap<String, BTreeMap<String, String>>>("tags:\n  1: a\n  \"1\": b\n")
                .unwrap_err();
        assert_eq!(same.message, "tags: the key `1` is given twice");
        assert_eq!(same.line, Some(3));
        let distinct: BTreeMap<String, BTreeMap<String, String>> =
            from_str("tags:\n  0x10: a\n  16: b\n  1.0: c\n  1.00: d\n  true: e\n").unwrap();
        assert_eq!(distinct["tags"].len(), 5);
    }

    #[test]
    fn tagged_values_and_anchors_are_read_as_before() {
        let text = "a: &x {k: 1}\nb: *x\nc: !Ref y\n";
        assert!(from_str::<serde_yaml::Value>(text).is_ok());
    }

    #[test]
    fn a_repeat_inside_a_tagged_mapping_is_refused_too() {
        let error = from_str::<BTreeMap<String, BTreeMap<String, String>>>(
            "tags: !T\n  team: a\n  team: b\n",
        )
        .unwrap_err();
        assert_eq!(error.message, "tags: the key `team` is given twice");
    }

    #[test]
    fn scalars_the_first_pass_reads_differently_from_the_target_are_accepted() {
        // Found by review: read by their own look these are a 128-bit integer and broken
        // `!!int`/`!!float` values; a map of strings takes them as text, as before.
        let text = "tags:\n  big: 18446744073709551616\n  neg: -9223372036854775809\n  a: !!int 12abc\n  b: !!float x\n";
        let tags: BTreeMap<String, BTreeMap<String, String>> = from_str(text).unwrap();
        assert_eq!(tags["tags"]["big"], "18446744073709551616");
        assert_eq!(tags["tags"]["a"], "12abc");
    }

    #[test]
    fn equal_keys_in_different_mappings_are_fine() {
        let text = "a:\n  x: 1\nb:\n  x: 2\n";
        assert!(from_str::<serde_yaml::Value>(text).is_ok());
    }
}
