//! JSON-lines batch mode: one case per input line, one answer per output line.
//!
//! Input line:
//! ```json
//! {"id": "c1",
//!  "identity_policies": [DOC, {"name": "n", "policy": DOC}],
//!  "resource_policy": DOC, "permissions_boundary": DOC,
//!  "session_policies": [DOC],
//!  "request": {"principal": "arn:...", "action": "s3:GetObject",
//!              "resource": "arn:...", "resource_account": "123456789012",
//!              "context": {"aws:SourceIp": "10.0.0.1", "aws:TagKeys": ["a", "b"]},
//!              "unknown_keys": ["aws:PrincipalTag/team"]}}
//! ```
//! A `DOC` is a policy object or a JSON string holding one. Output line:
//! `{"id", "decision", "reasons": [...]}` (plus `unknown_keys` when
//! indeterminate) or `{"id", "error": "..."}` for a line that cannot be
//! judged. Blank lines are skipped. Only I/O failure stops the batch.

use super::context::Request;
use super::engine::{Decision, PolicySet};
use super::error::{json_type, BatchError};
use super::policy::{Policy, PolicyType};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::io::{BufRead, Write};

/// Counts for one batch run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BatchStats {
    /// Non-blank input lines.
    pub cases: usize,
    /// Lines answered with an `error`.
    pub errors: usize,
    pub allow: usize,
    pub explicit_deny: usize,
    pub implicit_deny: usize,
    pub indeterminate: usize,
}

/// Runs every line of `input`, writing one JSON line per case to `output`.
pub fn run_batch(
    mut input: impl BufRead,
    mut output: impl Write,
) -> Result<BatchStats, BatchError> {
    let mut stats = BatchStats::default();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(BatchError::Read)?;
        if n == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buf);
        if line.trim().is_empty() {
            continue;
        }
        stats.cases += 1;
        let out = evaluate_line(&line);
        match out.get("decision").and_then(Value::as_str) {
            Some("allow") => stats.allow += 1,
            Some("explicit-deny") => stats.explicit_deny += 1,
            Some("implicit-deny") => stats.implicit_deny += 1,
            Some("indeterminate") => stats.indeterminate += 1,
            _ => stats.errors += 1,
        }
        serde_json::to_writer(&mut output, &out).map_err(|e| BatchError::Write(e.into()))?;
        output.write_all(b"\n").map_err(BatchError::Write)?;
    }
    output.flush().map_err(BatchError::Write)?;
    Ok(stats)
}

/// Answers one input line (never fails: problems become an `error` object).
pub fn evaluate_line(line: &str) -> Value {
    let v: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"id": Value::Null, "error": format!("invalid JSON: {e}")}),
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    match case(&v) {
        Ok((set, req)) => {
            let ev = set.evaluate(&req);
            let mut out = Map::new();
            out.insert("id".into(), id);
            out.insert("decision".into(), Value::from(ev.decision.as_str()));
            out.insert(
                "reasons".into(),
                serde_json::to_value(&ev.reasons).unwrap_or(Value::Array(Vec::new())),
            );
            if ev.decision == Decision::Indeterminate {
                out.insert("unknown_keys".into(), Value::from(ev.unknown_keys));
            }
            Value::Object(out)
        }
        Err(e) => json!({"id": id, "error": e}),
    }
}

fn policy_doc(
    v: &Value,
    default_name: &str,
    kind: PolicyType,
    path: &str,
) -> Result<Policy, String> {
    let (name, doc) = match v {
        Value::Object(m) if m.contains_key("policy") && !m.contains_key("Statement") => {
            let name = match m.get("name") {
                Some(Value::String(s)) => s.clone(),
                None => default_name.to_string(),
                Some(other) => {
                    return Err(format!(
                        "{path}.name: expected a string, found {}",
                        json_type(other)
                    ))
                }
            };
            (name, m.get("policy").unwrap_or(&Value::Null))
        }
        _ => (default_name.to_string(), v),
    };
    let parsed;
    let doc = match doc {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s)
                .map_err(|e| format!("{path}: invalid JSON: {e}"))?;
            &parsed
        }
        other => other,
    };
    Policy::from_value(&name, kind, doc).map_err(|e| format!("{path}: {e}"))
}

fn string_field<'a>(
    m: &'a Map<String, Value>,
    k: &str,
    path: &str,
) -> Result<Option<&'a str>, String> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "{path}.{k}: expected a string, found {}",
            json_type(other)
        )),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn case(v: &Value) -> Result<(PolicySet, Request), String> {
    let Value::Object(m) = v else {
        return Err(format!(
            "expected a JSON object per line, found {}",
            json_type(v)
        ));
    };
    let mut set = PolicySet::new();
    match m.get("identity_policies") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for (i, d) in a.iter().enumerate() {
                let path = format!("identity_policies[{i}]");
                set.add(policy_doc(d, &path, PolicyType::Identity, &path)?);
            }
        }
        Some(other) => {
            return Err(format!(
                "identity_policies: expected an array, found {}",
                json_type(other)
            ))
        }
    }
    match m.get("session_policies") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for (i, d) in a.iter().enumerate() {
                let path = format!("session_policies[{i}]");
                set.add(policy_doc(d, &path, PolicyType::Session, &path)?);
            }
        }
        Some(other) => {
            return Err(format!(
                "session_policies: expected an array, found {}",
                json_type(other)
            ))
        }
    }
    for (key, kind) in [
        ("resource_policy", PolicyType::Resource),
        ("permissions_boundary", PolicyType::PermissionsBoundary),
    ] {
        if let Some(d) = m.get(key).filter(|d| !d.is_null()) {
            set.add(policy_doc(d, key, kind, key)?);
        }
    }
    let Some(Value::Object(r)) = m.get("request") else {
        return Err("request: expected an object with principal, action, resource".into());
    };
    let need = |k: &str| -> Result<&str, String> {
        string_field(r, k, "request")?
            .ok_or_else(|| format!("request.{k}: missing (expected a string)"))
    };
    let mut req = Request::new(need("principal")?, need("action")?, need("resource")?);
    req.resource_account = string_field(r, "resource_account", "request")?.map(str::to_string);
    match r.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(c)) => {
            for (k, val) in c {
                let path = format!("request.context.{k}");
                match val {
                    Value::Array(a) => {
                        let vals = a
                            .iter()
                            .map(|x| {
                                scalar_text(x).ok_or_else(|| {
                                    format!("{path}: expected strings, numbers or booleans")
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        req.context.insert_many(k, vals);
                    }
                    other => {
                        let t = scalar_text(other).ok_or_else(|| {
                            format!("{path}: expected a string, number, boolean or an array of them, found {}", json_type(other))
                        })?;
                        req.context.insert(k, t);
                    }
                }
            }
        }
        Some(other) => {
            return Err(format!(
                "request.context: expected an object, found {}",
                json_type(other)
            ))
        }
    }
    match r.get("unknown_keys") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for (i, k) in a.iter().enumerate() {
                let Value::String(k) = k else {
                    return Err(format!("request.unknown_keys[{i}]: expected a string"));
                };
                req.context.insert_unknown(k);
            }
        }
        Some(other) => {
            return Err(format!(
                "request.unknown_keys: expected an array, found {}",
                json_type(other)
            ))
        }
    }
    Ok((set, req))
}
