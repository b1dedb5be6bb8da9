//! IAM policy documents: size as IAM counts it, and packing statements into managed policies that
//! fit IAM's quotas (Role Manager makes one policy per activity and runs into the 10-policy limit).

use serde_json::Value;

use crate::compose::PlannedStatement;
use crate::error::{Error, Result};

/// Characters in one customer-managed policy (IAM does not count whitespace).
pub const MANAGED_POLICY_LIMIT: usize = 6144;
/// Characters in a role trust policy (default quota).
pub const TRUST_POLICY_LIMIT: usize = 2048;
/// Characters of all inline policies of one role together.
pub const INLINE_POLICIES_LIMIT: usize = 10240;
/// Managed policies attached to a role: the default quota; 20 after an increase.
pub const DEFAULT_MAX_POLICIES: usize = 10;

/// IAM's size of a policy document: its JSON without whitespace outside strings.
///
/// That is the character count of serde_json's compact form (IAM counts characters, not bytes),
/// computed from the value without writing the form: `generate` sizes every document it makes
/// for the quota check, the bundle and its own lint, and writing them out to count them was a
/// tenth of its instructions.
pub fn iam_size(document: &Value) -> usize {
    match document {
        Value::Null => 4,
        Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(number) => number_size(number),
        Value::String(text) => string_size(text),
        Value::Array(items) => {
            // Brackets, and a comma between items.
            2 + items.len().saturating_sub(1) + items.iter().map(iam_size).sum::<usize>()
        }
        Value::Object(members) => {
            // Braces, a colon per member, a comma between members.
            2 + members.len()
                + members.len().saturating_sub(1)
                + members
                    .iter()
                    .map(|(key, value)| string_size(key) + iam_size(value))
                    .sum::<usize>()
        }
    }
}

/// The deployment references CloudFormation and Terraform output leaves in its policies, each
/// with a sample value of its shape (what the linter checks in its place) and the length of the
/// longest value it takes once deployed: a 12-digit account, `us-isof-south-1`, `aws-us-gov`,
/// `amazonaws.com.cn`. Sized with these, a role accepted fits IAM's quotas in every account,
/// region and partition, and a role refused does not fit in some; sized as written (a Terraform
/// account reference is 46 characters) roles that fit everywhere were refused.
pub(crate) const DEPLOYMENT_REFERENCES: [(&str, &str, usize); 8] = [
    ("${AWS::AccountId}", "123456789012", 12),
    ("${AWS::Region}", "us-east-1", 15),
    ("${AWS::Partition}", "aws", 10),
    ("${AWS::URLSuffix}", "amazonaws.com", 16),
    (
        "${data.aws_caller_identity.current.account_id}",
        "123456789012",
        12,
    ),
    ("${data.aws_region.current.name}", "us-east-1", 15),
    ("${data.aws_partition.current.partition}", "aws", 10),
    (
        "${data.aws_partition.current.dns_suffix}",
        "amazonaws.com",
        16,
    ),
];

/// [`iam_size`] of a document once deployed, each deployment reference counted at the longest
/// value it takes (see [`DEPLOYMENT_REFERENCES`]). Equal to `iam_size` for documents without one,
/// such as every `--format json` role.
pub fn deployed_size(document: &Value) -> usize {
    iam_size(document).saturating_add_signed(deployed_difference(document))
}

fn deployed_difference(value: &Value) -> isize {
    match value {
        // One pass over the `$`s of the string: `generate` sizes every document this way, and
        // most strings hold none.
        Value::String(text) => memchr::memchr_iter(b'$', text.as_bytes())
            .filter_map(|at| {
                DEPLOYMENT_REFERENCES
                    .iter()
                    .find(|(reference, _, _)| text[at..].starts_with(reference))
                    .map(|(reference, _, longest)| *longest as isize - reference.len() as isize)
            })
            .sum(),
        Value::Array(items) => items.iter().map(deployed_difference).sum(),
        Value::Object(members) => members.values().map(deployed_difference).sum(),
        _ => 0,
    }
}

/// Characters of a JSON string as serde_json writes it: quotes, `\"` `\\` `\b` `\f` `\n` `\r`
/// `\t` for those characters, `\u00XX` for the other control characters, everything else as is.
fn string_size(text: &str) -> usize {
    let extra: isize = text
        .as_bytes()
        .iter()
        .map(|&byte| isize::from(EXTRA_CHARACTERS[usize::from(byte)]))
        .sum();
    (2 + text.len()).saturating_add_signed(extra)
}

/// What each byte adds to a string's size beyond one character: a short escape one, a `\u00XX`
/// escape five, a byte that continues a multi-byte character takes one back.
const EXTRA_CHARACTERS: [i8; 256] = {
    let mut table = [0i8; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = match byte as u8 {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0x00..=0x1f => 5,
            0x80..=0xbf => -1,
            _ => 0,
        };
        byte += 1;
    }
    table
};

/// Characters of a number as serde_json writes it (the same digits as its `Display`).
fn number_size(number: &serde_json::Number) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            self.0 += text.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    match std::fmt::write(&mut count, format_args!("{number}")) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

/// The statement as the built-in template renders it, for packing estimates.
pub fn statement_json(statement: &PlannedStatement) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("Sid".into(), Value::from(statement.sid.clone()));
    object.insert("Effect".into(), Value::from(statement.effect.as_str()));
    if let Some(principal) = &statement.principal {
        object.insert(
            "Principal".into(),
            serde_json::to_value(principal).unwrap_or(Value::Null),
        );
    }
    object.insert("Action".into(), Value::from(statement.actions.clone()));
    if !statement.resources.is_empty() {
        object.insert("Resource".into(), Value::from(statement.resources.clone()));
    }
    if !statement.conditions.is_empty() {
        object.insert(
            "Condition".into(),
            serde_json::to_value(&statement.conditions).unwrap_or(Value::Null),
        );
    }
    Value::Object(object)
}

/// `{"Version":"2012-10-17","Statement":[` + `]}`.
const DOCUMENT_OVERHEAD: usize = 39;

/// Packs statements into as few documents as fit `limit` characters each, at most `max_documents`.
///
/// Reviewers read policies top to bottom, so statements stay in catalog order and fill documents
/// one after another — unless first-fit decreasing (the better bin-packing heuristic) needs fewer
/// documents, in which case it wins; each document still lists its statements in catalog order.
pub fn pack(
    statements: &[PlannedStatement],
    limit: usize,
    max_documents: usize,
) -> Result<Vec<Vec<PlannedStatement>>> {
    let sizes: Vec<usize> = statements
        .iter()
        .map(|s| deployed_size(&statement_json(s)))
        .collect();
    if let Some(index) = sizes
        .iter()
        .position(|size| DOCUMENT_OVERHEAD + size > limit)
    {
        return Err(Error::Quota {
            message: format!(
                "statement `{}` alone has {} characters, over IAM's {limit}-character policy limit",
                statements[index].sid,
                sizes[index] + DOCUMENT_OVERHEAD
            ),
            help: "split the activity's statement in the catalog, or list fewer resources".into(),
        });
    }
    let in_order: Vec<usize> = (0..statements.len()).collect();
    let sequential = fill(&in_order, &sizes, limit, false);
    let mut decreasing_order = in_order;
    decreasing_order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let decreasing = fill(&decreasing_order, &sizes, limit, true);
    let mut documents = if decreasing.len() < sequential.len() {
        decreasing
    } else {
        sequential
    };
    if documents.len() > max_documents {
        return Err(Error::Quota {
            message: format!(
                "the role needs {} managed policies of at most {limit} characters, more than the {max_documents} allowed",
                documents.len()
            ),
            help: "raise `--max-policies` (IAM allows up to 20 after a quota increase) or select fewer activities".into(),
        });
    }
    for members in &mut documents {
        members.sort();
    }
    documents.sort_by_key(|members| members[0]);
    Ok(documents
        .into_iter()
        .map(|members| members.into_iter().map(|i| statements[i].clone()).collect())
        .collect())
}

/// Assigns statement indexes to documents: into the first document with room (`first_fit`), or
/// only into the last one opened (keeping neighbours together).
fn fill(order: &[usize], sizes: &[usize], limit: usize, first_fit: bool) -> Vec<Vec<usize>> {
    let mut bins: Vec<(usize, Vec<usize>)> = Vec::new();
    for &index in order {
        let size = sizes[index];
        let candidates = if first_fit {
            bins.len()
        } else {
            bins.len().min(1)
        };
        let start = bins.len() - candidates;
        match bins[start..]
            .iter_mut()
            .find(|(used, _)| used + 1 + size <= limit)
        {
            Some(bin) => {
                bin.0 += 1 + size;
                bin.1.push(index);
            }
            None => bins.push((DOCUMENT_OVERHEAD + size, vec![index])),
        }
    }
    bins.into_iter().map(|(_, members)| members).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Effect;
    use crate::compose::Conditions;

    /// Review of 2026-11-29: IaC sizes were taken on the references as written, so roles that fit
    /// everywhere were refused. The deployed size is the size with the longest values in place.
    #[test]
    fn deployed_size_counts_references_at_their_longest_value() {
        let written = serde_json::json!({"Statement": [{"Resource": [
            "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model/*",
            "arn:${data.aws_partition.current.partition}:s3:::b-${data.aws_caller_identity.current.account_id}",
            "s3.${data.aws_region.current.name}.${data.aws_partition.current.dns_suffix}",
            "https://x.${AWS::URLSuffix}/${aws:username}"
        ]}]});
        let longest = serde_json::json!({"Statement": [{"Resource": [
            "arn:aws-us-gov:sagemaker:us-isof-south-1:123456789012:model/*",
            "arn:aws-us-gov:s3:::b-123456789012",
            "s3.us-isof-south-1.amazonaws.com.cn",
            "https://x.amazonaws.com.cn/${aws:username}"
        ]}]});
        assert_eq!(deployed_size(&written), iam_size(&longest));
        assert!(deployed_size(&written) < iam_size(&written));
        assert_eq!(deployed_size(&longest), iam_size(&longest));
    }

    fn statement(sid: &str, resources: usize) -> PlannedStatement {
        PlannedStatement {
            sid: sid.into(),
            effect: Effect::Allow,
            principal: None,
            actions: vec!["s3:GetObject".into()],
            resources: (0..resources)
                .map(|i| format!("arn:aws:s3:::bucket-{i:04}/*"))
                .collect(),
            conditions: Conditions::new(),
            sources: vec![],
        }
    }

    #[test]
    fn size_ignores_whitespace() {
        let pretty: Value =
            serde_json::from_str("{ \"Version\" : \"2012-10-17\",\n  \"Statement\": [] }").unwrap();
        assert_eq!(
            iam_size(&pretty),
            "{\"Version\":\"2012-10-17\",\"Statement\":[]}".len()
        );
    }

    /// IAM counts characters: multi-byte ones count once, escapes as written. The count of the
    /// value and the count of its pretty text (the linter's) agree.
    #[test]
    fn size_counts_characters_as_the_text_count_does() {
        let doc =
            serde_json::json!({"Sid": "é—ü", "Condition": {"k": ["ä\"b", "\\", "\u{1F600}"]}});
        let compact = serde_json::to_string(&doc).unwrap();
        assert_eq!(iam_size(&doc), compact.chars().count());
        assert!(iam_size(&doc) < compact.len());
        let pretty = serde_json::to_string_pretty(&doc).unwrap();
        assert_eq!(iam_size(&doc), crate::lint::size_of(&pretty));
    }

    proptest::proptest! {
        /// Any string, plain ASCII or not, is as long as serde_json writes it.
        #[test]
        fn a_strings_size_is_its_written_length(text in "\\PC*|[ -~]*|[\\x00-\\x7f]*") {
            let written = serde_json::to_string(&text).unwrap();
            proptest::prop_assert_eq!(string_size(&text), written.chars().count());
        }
    }

    /// The size computed from the value is the character count of serde_json's compact text, for
    /// every kind of value, escape and number.
    #[test]
    fn size_is_the_compact_texts_character_count() {
        let control: String = (0u8..0x20).map(char::from).collect();
        let doc = serde_json::json!({
            "null": null, "t": true, "f": false, "empty": {}, "none": [],
            "numbers": [0, -1, 7, u64::MAX, i64::MIN, 0.5, -2.25e-300, 1e300, 123456.789],
            "escapes": ["\"\\/\u{7f}", control, "tab\there", "\u{2028}\u{FEFF}"],
            "unicode": ["é", "—", "\u{1F600}", "日本語"],
            "nested": [[[{"k": [{}]}]], {"a": {"b": {"c": ""}}}],
            "ключ \"q\"": "value",
        });
        for value in [
            doc.clone(),
            doc["numbers"].clone(),
            doc["escapes"].clone(),
            Value::Null,
        ] {
            let compact = serde_json::to_string(&value).unwrap();
            assert_eq!(iam_size(&value), compact.chars().count(), "{compact}");
        }
    }

    #[test]
    fn packs_into_few_documents_within_the_limit() {
        let statements: Vec<_> = (0..6).map(|i| statement(&format!("S{i}"), 60)).collect();
        let documents = pack(&statements, MANAGED_POLICY_LIMIT, 10).unwrap();
        let total: usize = documents.iter().map(Vec::len).sum();
        assert_eq!(total, 6);
        for document in &documents {
            let json = serde_json::json!({"Version": "2012-10-17", "Statement": document.iter().map(statement_json).collect::<Vec<_>>()});
            assert!(iam_size(&json) <= MANAGED_POLICY_LIMIT);
        }
        assert!(documents.len() < 6, "statements share documents");
        assert!(pack(&statements, MANAGED_POLICY_LIMIT, 1).is_err());
    }
}
