//! `mlrole bucket-policy`: the resource-based policy of an S3 bucket that execution roles —
//! possibly of other accounts — read training data from and write artifacts to.
//!
//! A cross-account role needs both sides: its own identity policy (`mlrole generate
//! --read-bucket/--bucket`) and this bucket policy. Statements:
//!
//! - `ReadObjects` / `ListBucket`: `s3:GetObject` on the objects and `s3:ListBucket` on the bucket,
//!   for `--read-principal`s;
//! - `WriteArtifacts`: `s3:PutObject` and `s3:AbortMultipartUpload` on `<bucket>/<prefix>/*` only,
//!   for `--write-principal`s;
//! - `DenyInsecureTransport`: every S3 action over plain HTTP is denied to everyone. This is the only
//!   statement with the wildcard principal, and it is a Deny.
//!
//! The document is rendered through `bucket-policy.json.tera` (overridable with `--templates`), then
//! parsed and re-checked here against the validated request, so that a custom template can change
//! the layout but cannot grant anyone else anything.

use serde::Serialize;
use serde_json::{json, Value};
use tera::Context;

use crate::error::{Error, Result};
use crate::principal;
use crate::render::Renderer;
use crate::validate::{self, Partition};

/// S3's limit for a bucket policy, in bytes.
pub const BUCKET_POLICY_LIMIT: usize = 20 * 1024;

pub const TEMPLATE: &str = "bucket-policy.json.tera";

/// What the user asked for, unvalidated (flags).
#[derive(Debug, Clone, Default)]
pub struct BucketPolicySpec {
    pub bucket: String,
    pub read_principals: Vec<String>,
    pub write_principals: Vec<String>,
    pub write_prefix: Option<String>,
    pub partition: Option<String>,
}

/// A validated request: principals as ARNs, sorted and unique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketPolicyRequest {
    pub bucket: String,
    pub partition: Partition,
    pub read_principals: Vec<String>,
    pub write_principals: Vec<String>,
    pub write_prefix: Option<String>,
}

/// One statement, as the template receives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketStatement {
    pub sid: &'static str,
    pub effect: &'static str,
    /// `"*"` or `{"AWS": [ARNs]}`.
    pub principal: Value,
    pub actions: Vec<&'static str>,
    pub resources: Vec<String>,
    /// `operator → key → values`; empty when there is none.
    pub conditions: Value,
}

impl BucketPolicySpec {
    pub fn resolve(&self) -> Result<BucketPolicyRequest> {
        let bucket = validate::bucket_name(&self.bucket, "`--bucket`")?;
        let partition = match &self.partition {
            Some(p) => Partition::parse(p, "`--partition`")?,
            None => Partition::Aws,
        };
        let principals = |values: &[String], field: &str| -> Result<Vec<String>> {
            let mut arns = values
                .iter()
                .map(|v| principal::principal(v, field, partition, principal::Use::Grant))
                .collect::<Result<Vec<_>>>()?;
            arns.sort();
            arns.dedup();
            Ok(arns)
        };
        let read_principals = principals(&self.read_principals, "`--read-principal`")?;
        let write_principals = principals(&self.write_principals, "`--write-principal`")?;
        let write_prefix = self
            .write_prefix
            .as_deref()
            .map(|p| principal::key_prefix(p, "`--write-prefix`"))
            .transpose()?;
        if read_principals.is_empty() && write_principals.is_empty() {
            return Err(Error::Missing {
                what: "`--read-principal` or `--write-principal`".into(),
                needed_by: "a bucket policy".into(),
                help: "add `--read-principal ARN` (reads the training data) and/or `--write-principal ARN` with `--write-prefix PREFIX` (writes artifacts there)".into(),
            });
        }
        match (&write_prefix, write_principals.is_empty()) {
            (None, false) => {
                return Err(Error::Missing {
                    what: "`--write-prefix`".into(),
                    needed_by: "`--write-principal`".into(),
                    help: "add `--write-prefix PREFIX` (e.g. `models`): writers get only `<bucket>/<prefix>/*`, never the whole bucket".into(),
                })
            }
            (Some(_), true) => {
                return Err(Error::Usage {
                    message: "`--write-prefix` was given but no `--write-principal`".into(),
                    help: Some(
                        "add `--write-principal ARN` for the roles that write there, or drop `--write-prefix`".into(),
                    ),
                })
            }
            _ => {}
        }
        Ok(BucketPolicyRequest {
            bucket,
            partition,
            read_principals,
            write_principals,
            write_prefix,
        })
    }
}

impl BucketPolicyRequest {
    fn bucket_arn(&self) -> String {
        format!("arn:{}:s3:::{}", self.partition, self.bucket)
    }

    fn objects_arn(&self) -> String {
        format!("{}/*", self.bucket_arn())
    }

    fn write_arn(&self) -> Option<String> {
        self.write_prefix
            .as_ref()
            .map(|prefix| format!("{}/{prefix}/*", self.bucket_arn()))
    }

    /// The statements, in a fixed order.
    pub fn statements(&self) -> Vec<BucketStatement> {
        let aws = |arns: &[String]| json!({ "AWS": arns });
        let mut statements = Vec::new();
        if !self.read_principals.is_empty() {
            statements.push(BucketStatement {
                sid: "ReadObjects",
                effect: "Allow",
                principal: aws(&self.read_principals),
                actions: vec!["s3:GetObject"],
                resources: vec![self.objects_arn()],
                conditions: json!({}),
            });
            statements.push(BucketStatement {
                sid: "ListBucket",
                effect: "Allow",
                principal: aws(&self.read_principals),
                actions: vec!["s3:ListBucket"],
                resources: vec![self.bucket_arn()],
                conditions: json!({}),
            });
        }
        if let Some(write_arn) = self.write_arn() {
            statements.push(BucketStatement {
                sid: "WriteArtifacts",
                effect: "Allow",
                principal: aws(&self.write_principals),
                actions: vec!["s3:AbortMultipartUpload", "s3:PutObject"],
                resources: vec![write_arn],
                conditions: json!({}),
            });
        }
        statements.push(BucketStatement {
            sid: "DenyInsecureTransport",
            effect: "Deny",
            principal: json!("*"),
            actions: vec!["s3:*"],
            resources: vec![self.bucket_arn(), self.objects_arn()],
            conditions: json!({ "Bool": { "aws:SecureTransport": ["false"] } }),
        });
        statements
    }

    /// Renders the policy through the template and re-checks the result.
    pub fn render(&self, renderer: &Renderer) -> Result<Value> {
        let mut context = Context::new();
        context.insert("bucket", &self.bucket);
        context.insert("partition", self.partition.as_str());
        context.insert("statements", &self.statements());
        let document = renderer.render_policy(TEMPLATE, &context)?;
        self.check(&document).map_err(|message| Error::Template {
            template: TEMPLATE.into(),
            message: format!("rendered a bucket policy mlrole refuses: {message}"),
        })?;
        crate::lint::require_clean(&document, crate::lint::DocumentKind::Resource, TEMPLATE)?;
        let size = serde_json::to_string(&document).unwrap_or_default().len();
        if size > BUCKET_POLICY_LIMIT {
            return Err(Error::Quota {
                message: format!("the bucket policy has {size} bytes, over S3's {BUCKET_POLICY_LIMIT}-byte limit"),
                help: "name fewer principals (an account id covers all of its roles)".into(),
            });
        }
        Ok(document)
    }

    /// The properties every bucket policy must have, whatever the template: a wildcard principal
    /// only in a Deny; every Allow only for the named principals, only on this bucket, with the
    /// actions they were given; and the insecure-transport Deny present.
    pub fn check(&self, document: &Value) -> std::result::Result<(), String> {
        let statements = document["Statement"]
            .as_array()
            .ok_or("`Statement` is not an array")?;
        let mut denies_insecure_transport = false;
        for (index, statement) in statements.iter().enumerate() {
            let at = |what: &str| format!("Statement[{index}]: {what}");
            if statement.get("NotPrincipal").is_some()
                || statement.get("NotAction").is_some()
                || statement.get("NotResource").is_some()
            {
                return Err(at("NotPrincipal/NotAction/NotResource are not allowed"));
            }
            let principal = &statement["Principal"];
            let actions = strings(&statement["Action"]);
            let resources = strings(&statement["Resource"]);
            if statement["Effect"] == "Deny" {
                let insecure = statement["Condition"]["Bool"]["aws:SecureTransport"]
                    == json!(["false"])
                    || statement["Condition"]["Bool"]["aws:SecureTransport"] == json!("false");
                denies_insecure_transport |= insecure
                    && principal == &json!("*")
                    && actions == ["s3:*"]
                    && resources.contains(&self.bucket_arn())
                    && resources.contains(&self.objects_arn());
                continue;
            }
            let named: Vec<String> = match principal.get("AWS") {
                Some(arns) if principal.as_object().is_some_and(|o| o.len() == 1) => strings(arns),
                _ => return Err(at("an Allow must name its principals under `AWS`")),
            };
            if named.is_empty() || named.iter().any(|p| p.contains('*')) {
                return Err(at("an Allow has no wildcard principal"));
            }
            for arn in &named {
                let reads = self.read_principals.contains(arn);
                let writes = self.write_principals.contains(arn);
                for action in &actions {
                    let granted = match action.as_str() {
                        "s3:GetObject" | "s3:ListBucket" => reads,
                        "s3:PutObject" | "s3:AbortMultipartUpload" => writes,
                        _ => false,
                    };
                    if !granted {
                        return Err(at(&format!("`{action}` is not granted to `{arn}`")));
                    }
                }
            }
            for (action, resource) in actions
                .iter()
                .flat_map(|a| resources.iter().map(move |r| (a, r)))
            {
                let allowed = match action.as_str() {
                    "s3:ListBucket" => *resource == self.bucket_arn(),
                    "s3:GetObject" => *resource == self.objects_arn(),
                    _ => Some(resource) == self.write_arn().as_ref(),
                };
                if !allowed {
                    return Err(at(&format!(
                        "`{action}` on `{resource}` is outside what was asked"
                    )));
                }
            }
        }
        if !denies_insecure_transport {
            return Err(
                "the Deny of insecure transport (aws:SecureTransport false) is missing".into(),
            );
        }
        Ok(())
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> BucketPolicyRequest {
        BucketPolicySpec {
            bucket: "ml-data".into(),
            read_principals: vec!["444455556666".into()],
            write_principals: vec!["arn:aws:iam::444455556666:role/ml-ci".into()],
            write_prefix: Some("models/".into()),
            partition: None,
        }
        .resolve()
        .unwrap()
    }

    #[test]
    fn the_built_statements_pass_the_check() {
        let request = request();
        let document = json!({"Version": "2012-10-17", "Statement": request.statements()
            .iter().map(|s| json!({"Sid": s.sid, "Effect": s.effect, "Principal": s.principal,
                "Action": s.actions, "Resource": s.resources, "Condition": s.conditions}))
            .collect::<Vec<_>>()});
        request.check(&document).unwrap();
    }

    #[test]
    fn the_check_refuses_wildcards_and_extra_grants() {
        let request = request();
        let deny = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
        let with = |allow: Value| json!({"Statement": [allow, deny.clone()]});
        for bad in [
            json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"}),
            json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"}),
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::ml-data/models/*"}),
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/ml-ci"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::ml-data/*"}),
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}),
            json!({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"}),
        ] {
            assert!(request.check(&with(bad.clone())).is_err(), "{bad}");
        }
        let no_deny = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"}]});
        assert!(request.check(&no_deny).is_err());
    }
}
