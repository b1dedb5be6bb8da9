//! Principal checks: where Principal is allowed or required, and what a
//! principal may look like (IAM groups, notably, cannot be principals).

use serde_json::Value;

use super::codes::Code;
use super::context::{member, Ctx};
use super::document::{Effect, Stmt};
use super::DocumentKind;

pub(crate) fn check(ctx: &mut Ctx, stmt: &Stmt<'_>) {
    let (name, value) = match (stmt.elements.principal, stmt.elements.not_principal) {
        (Some(v), _) => ("Principal", v),
        (None, Some(v)) => ("NotPrincipal", v),
        (None, None) => {
            if matches!(ctx.kind, DocumentKind::Trust | DocumentKind::Resource) {
                ctx.push(
                    stmt.loc(),
                    Code::MissingPrincipal,
                    &stmt.path,
                    "the statement has no Principal",
                    if ctx.kind == DocumentKind::Trust {
                        "add the principal that may assume the role, e.g. \"Principal\": {\"Service\": \"sagemaker.amazonaws.com\"}"
                    } else {
                        "add the principal the policy grants access to, e.g. \"Principal\": {\"AWS\": \"arn:aws:iam::123456789012:root\"}"
                    },
                );
            }
            return;
        }
    };
    let path = stmt.elem(name);
    if matches!(ctx.kind, DocumentKind::Identity | DocumentKind::Boundary) {
        ctx.push(
            stmt.loc(),
            Code::UnsupportedPrincipal,
            &path,
            format!("`{name}` is not allowed in an identity policy or permissions boundary"),
            "remove it: an identity policy applies to the principal it is attached to",
        );
        return;
    }
    if name == "NotPrincipal" && stmt.effect == Some(Effect::Allow) {
        ctx.push(
            stmt.loc(),
            Code::AllowWithNotPrincipal,
            &path,
            "Allow with NotPrincipal grants access to everyone except the listed principals",
            "use Principal with the principals to allow instead",
        );
    }
    let everyone = match value {
        Value::String(s) => s == "*",
        Value::Object(m) => m.get("AWS").is_some_and(|v| match v {
            Value::String(s) => s == "*",
            Value::Array(a) => a.iter().any(|x| x.as_str() == Some("*")),
            _ => false,
        }),
        _ => false,
    };
    if everyone
        && name == "Principal"
        && stmt.effect == Some(Effect::Allow)
        && stmt.condition.is_none()
    {
        ctx.push(
            stmt.loc(),
            Code::PublicPrincipal,
            &path,
            if ctx.kind == DocumentKind::Trust {
                "the role can be assumed by anyone, in any AWS account"
            } else {
                "the policy grants access to anyone, including anonymous users"
            },
            "name the principals, or add a Condition such as aws:PrincipalOrgID or aws:SourceAccount",
        );
    }
    match value {
        Value::String(s) if s == "*" => {}
        Value::Object(map) => {
            for (key, v) in map {
                let key_path = member(&path, key);
                let values: Vec<(String, &str)> = match v {
                    Value::String(s) => vec![(key_path.clone(), s.as_str())],
                    Value::Array(a) => a
                        .iter()
                        .enumerate()
                        .filter_map(|(i, x)| x.as_str().map(|s| (format!("{key_path}[{i}]"), s)))
                        .collect(),
                    _ => Vec::new(),
                };
                let all_strings = match v {
                    Value::String(_) => true,
                    Value::Array(a) => a.iter().all(Value::is_string),
                    _ => false,
                };
                if !all_strings {
                    ctx.push(
                        stmt.loc(),
                        Code::DataTypeMismatch,
                        &key_path,
                        format!("`{key}` must be a string or an array of strings"),
                        "quote each principal",
                    );
                }
                for (p, s) in values {
                    check_one(ctx, stmt, key, &p, s);
                }
            }
        }
        _ => ctx.push(
            stmt.loc(),
            Code::InvalidPrincipal,
            &path,
            format!("{name} must be \"*\" or an object such as {{\"AWS\": ...}} or {{\"Service\": ...}}"),
            "write {\"Service\": \"sagemaker.amazonaws.com\"} or {\"AWS\": \"arn:aws:iam::123456789012:root\"}",
        ),
    }
}

fn check_one(ctx: &mut Ctx, stmt: &Stmt<'_>, key: &str, path: &str, value: &str) {
    let problem: Option<(Code, String, &str)> = match key {
        "AWS" => aws_principal(value),
        "Service" => {
            let host_ok = value.split('.').count() >= 3
                && (value.ends_with(".amazonaws.com") || value.ends_with(".amazonaws.com.cn"))
                && value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
            (!host_ok).then(|| {
                (
                    Code::InvalidPrincipal,
                    format!("`{value}` is not a service principal"),
                    "service principals look like sagemaker.amazonaws.com (no wildcards)",
                )
            })
        }
        "Federated" => {
            let provider = value.starts_with("arn:")
                && value.split(':').nth(5).is_some_and(|r| {
                    r.starts_with("saml-provider/") || r.starts_with("oidc-provider/")
                });
            (!(provider || (value.contains('.') && !value.contains(['*', ' '])))).then(|| {
                (
                    Code::InvalidPrincipal,
                    format!("`{value}` is not an identity provider"),
                    "use an arn:aws:iam::ACCOUNT:saml-provider/NAME or oidc-provider/HOST ARN, or a provider such as cognito-identity.amazonaws.com",
                )
            })
        }
        "CanonicalUser" => (!(value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit())))
            .then(|| {
                (
                    Code::InvalidPrincipal,
                    format!("`{value}` is not a canonical user ID"),
                    "a canonical user ID is 64 hexadecimal characters",
                )
            }),
        other => Some((
            Code::InvalidPrincipal,
            format!("`{other}` is not a principal type"),
            "principal types are AWS, Service, Federated and CanonicalUser (case-sensitive)",
        )),
    };
    if let Some((code, message, help)) = problem {
        ctx.push(stmt.loc(), code, path, message, help);
    }
}

fn aws_principal(value: &str) -> Option<(Code, String, &'static str)> {
    if value == "*" || (value.len() == 12 && value.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let fields: Vec<&str> = value.splitn(6, ':').collect();
    let arn_ok = fields.len() == 6 && fields[0] == "arn" && matches!(fields[2], "iam" | "sts");
    if !arn_ok {
        return Some((
            Code::InvalidPrincipal,
            format!("`{value}` is not an AWS principal"),
            "use an account ID, an arn:aws:iam::ACCOUNT:root / role / user ARN, or an assumed-role session ARN",
        ));
    }
    let resource = fields[5];
    if resource.starts_with("group/") {
        return Some((
            Code::GroupPrincipal,
            format!("`{value}` is an IAM group; groups are not principals and cannot be named in a Principal element"),
            "name the users or roles instead, or grant the group access through an identity policy attached to the group",
        ));
    }
    let known = ["root", "role/", "user/", "assumed-role/", "federated-user/"];
    if !known
        .iter()
        .any(|k| resource == *k || (k.ends_with('/') && resource.starts_with(k)))
    {
        return Some((
            Code::InvalidPrincipal,
            format!("`{value}` is not a principal ARN"),
            "principal ARNs name an account root, a role, a user or an assumed-role session",
        ));
    }
    None
}
