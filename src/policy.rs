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
pub fn iam_size(document: &Value) -> usize {
    // serde_json's compact form has no insignificant whitespace; non-ASCII counts as characters.
    serde_json::to_string(document)
        .map(|s| s.chars().count())
        .unwrap_or(usize::MAX)
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
        .map(|s| iam_size(&statement_json(s)))
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
