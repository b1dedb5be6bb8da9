//! Infrastructure-as-code encodings of policy documents, as tera filters: CloudFormation
//! (JSON inside YAML, with `Fn::Sub` where a string uses a pseudo parameter) and Terraform HCL
//! (for `jsonencode`, with IAM policy variables escaped so Terraform leaves them alone).

use std::collections::HashMap;

use serde_json::Value;

/// Strings that name a CloudFormation pseudo parameter become `{"Fn::Sub": …}`; every other `${`
/// in them (IAM policy variables) is escaped as `${!` so `Fn::Sub` leaves it literal.
pub fn to_cloudformation(value: &Value) -> Value {
    match value {
        Value::String(text) if text.contains("${AWS::") => {
            let mut escaped = String::new();
            let mut rest = text.as_str();
            while let Some(start) = rest.find("${") {
                escaped.push_str(&rest[..start]);
                if rest[start..].starts_with("${AWS::") {
                    escaped.push_str("${");
                } else {
                    escaped.push_str("${!");
                }
                rest = &rest[start + 2..];
            }
            escaped.push_str(rest);
            serde_json::json!({ "Fn::Sub": escaped })
        }
        Value::Array(items) => Value::Array(items.iter().map(to_cloudformation).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_cloudformation(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Pretty JSON with every line after the first indented by `indent` spaces (to sit in YAML).
fn indented_json(value: &Value, indent: usize) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let pad = " ".repeat(indent);
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                line.to_string()
            } else {
                format!("{pad}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A string as an HCL quoted template: `${data.…}` references stay live, every other `${` and
/// `%{` is escaped (`$${`, `%%{`) so IAM policy variables reach IAM unchanged.
pub fn hcl_string(text: &str) -> String {
    let mut out = String::from("\"");
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("${data.") {
            let end = rest.find('}').map(|i| i + 1).unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        if rest.starts_with("${") {
            out.push_str("$${");
            rest = &rest[2..];
            continue;
        }
        if rest.starts_with("%{") {
            out.push_str("%%{");
            rest = &rest[2..];
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push('"');
    out
}

/// A JSON value as an HCL expression, indented for a block at depth `indent`.
pub fn to_hcl(value: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let inner = " ".repeat(indent + 2);
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => hcl_string(s),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) => {
            let lines: Vec<String> = items
                .iter()
                .map(|item| format!("{inner}{},", to_hcl(item, indent + 2)))
                .collect();
            format!("[\n{}\n{pad}]", lines.join("\n"))
        }
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => {
            let lines: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{inner}{} = {}", hcl_string(k), to_hcl(v, indent + 2)))
                .collect();
            format!("{{\n{}\n{pad}}}", lines.join("\n"))
        }
    }
}

fn indent_arg(args: &HashMap<String, tera::Value>) -> usize {
    args.get("indent")
        .and_then(tera::Value::as_u64)
        .unwrap_or(0) as usize
}

/// Registers `cloudformation(indent=N)`, `hcl(indent=N)` and `hcl_string`.
pub fn register_filters(tera: &mut tera::Tera) {
    tera.register_filter(
        "cloudformation",
        |value: &tera::Value, args: &HashMap<String, tera::Value>| {
            Ok(tera::Value::String(indented_json(
                &to_cloudformation(value),
                indent_arg(args),
            )))
        },
    );
    tera.register_filter(
        "hcl",
        |value: &tera::Value, args: &HashMap<String, tera::Value>| {
            Ok(tera::Value::String(to_hcl(value, indent_arg(args))))
        },
    );
    tera.register_filter(
        "hcl_string",
        |value: &tera::Value, _: &HashMap<String, tera::Value>| {
            let text = value
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| value.to_string());
            Ok(tera::Value::String(hcl_string(&text)))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudformation_subs_only_pseudo_parameters() {
        let value = serde_json::json!([
            "arn:${AWS::Partition}:s3:::b",
            "arn:aws:sagemaker:${AWS::Region}:${AWS::AccountId}:app/${sagemaker:DomainId}/*",
            "plain ${aws:username}"
        ]);
        let converted = to_cloudformation(&value);
        assert_eq!(
            converted[0],
            serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::b"})
        );
        assert_eq!(
            converted[1]["Fn::Sub"],
            "arn:aws:sagemaker:${AWS::Region}:${AWS::AccountId}:app/${!sagemaker:DomainId}/*"
        );
        assert_eq!(
            converted[2], "plain ${aws:username}",
            "no pseudo parameter: left as is"
        );
    }

    #[test]
    fn hcl_escapes_policy_variables_and_keeps_references() {
        assert_eq!(
            hcl_string("arn:${data.aws_partition.current.partition}:x:${sagemaker:DomainId}"),
            "\"arn:${data.aws_partition.current.partition}:x:$${sagemaker:DomainId}\""
        );
        assert_eq!(hcl_string("a\"b%{c"), "\"a\\\"b%%{c\"");
    }
}

/// The infrastructure-as-code formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IacFormat {
    CloudFormation,
    Terraform,
}

impl IacFormat {
    pub const ALL: [IacFormat; 2] = [IacFormat::CloudFormation, IacFormat::Terraform];

    pub fn target(self) -> crate::compose::Target {
        match self {
            IacFormat::CloudFormation => crate::compose::Target::CloudFormation,
            IacFormat::Terraform => crate::compose::Target::Terraform,
        }
    }

    fn template(self) -> &'static str {
        match self {
            IacFormat::CloudFormation => "cloudformation.yaml.tera",
            IacFormat::Terraform => "terraform.tf.tera",
        }
    }

    /// The file `--out-dir` writes it to.
    pub fn file_name(self) -> &'static str {
        match self {
            IacFormat::CloudFormation => "template.yaml",
            IacFormat::Terraform => "main.tf",
        }
    }
}

/// Renders a generated role (composed for `format.target()`) as a CloudFormation template or
/// Terraform configuration. `inline` puts the permissions inside the role instead of managed
/// policies, within IAM's 10,240-character inline quota.
pub fn render(
    renderer: &crate::render::Renderer,
    generated: &crate::generate::Generated,
    format: IacFormat,
    inline: bool,
) -> crate::Result<String> {
    use crate::policy::INLINE_POLICIES_LIMIT;
    let role = &generated.plan.role;
    if inline {
        let total: usize = generated.permission_policy_characters().iter().sum();
        if total > INLINE_POLICIES_LIMIT {
            return Err(crate::Error::Quota {
                message: format!("inline policies would total {total} characters, over IAM's {INLINE_POLICIES_LIMIT}-character limit per role"),
                help: "drop `--inline` to use managed policies (6,144 characters each, up to 10 or 20 per role)".into(),
            });
        }
    }
    let count = generated.permission_policies.len();
    let policies: Vec<Value> = generated
        .permission_policies
        .iter()
        .enumerate()
        .map(|(index, (name, document))| {
            let part = if count > 1 { format!(" (part {} of {count})", index + 1) } else { String::new() };
            serde_json::json!({
                "name": name,
                "logical_id": format!("PermissionsPolicy{}", index + 1),
                "resource_name": format!("permissions_{}", index + 1),
                "description": format!("Permissions of {}{part}: {}", role.name, role.activities.join(", ")),
                "document": document,
            })
        })
        .collect();
    let everything =
        serde_json::to_string(&(&generated.trust_policy, &policies)).unwrap_or_default();
    let persona = role
        .persona
        .as_deref()
        .map(|p| format!(" (persona {p})"))
        .unwrap_or_default();
    let mut context = tera::Context::new();
    context.insert("role", role);
    context.insert("trust_policy", &generated.trust_policy);
    context.insert("permission_policies", &policies);
    context.insert("inline", &inline);
    context.insert(
        "template_description",
        &format!(
            "SageMaker execution role {}{persona}, generated by mlrole",
            role.name
        ),
    );
    context.insert(
        "data_sources",
        &serde_json::json!({
            "account": everything.contains("data.aws_caller_identity"),
            "region": everything.contains("data.aws_region"),
            "partition": everything.contains("data.aws_partition"),
        }),
    );
    // Templates start with a comment; keep the output's first line meaningful.
    let text = format!(
        "{}\n",
        renderer.render_text(format.template(), &context)?.trim()
    );
    if format == IacFormat::CloudFormation {
        // Catch a template that breaks YAML before a user's deployment does.
        crate::yaml::check_syntax(&text).map_err(|error| crate::Error::Template {
            template: format.template().into(),
            message: format!(
                "rendered invalid YAML at line {}: {}",
                error.line.unwrap_or(0),
                error.message
            ),
        })?;
    }
    Ok(text)
}
