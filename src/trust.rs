//! Cross-account trust: principals besides the persona's service that may assume the role
//! (`--trust-principal`), optionally only with MFA (`--require-mfa`) and an external id
//! (`--external-id`). The statement also allows `sts:SetSourceIdentity`, so a caller can stamp
//! its session with who it is, and CloudTrail shows that identity on everything the role does.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::Effect;
use crate::compose::{Conditions, PlannedStatement, Source};
use crate::error::{Error, Result};
use crate::principal;
use crate::request::RoleSpec;
use crate::validate::Partition;

/// The validated trust settings of a spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    pub principals: Vec<String>,
    pub require_mfa: bool,
    pub external_id: Option<String>,
}

/// Validates the trust fields of a spec. `label(field, flag)` names a field the way the user
/// wrote it (a flag, or a key of their spec file).
pub fn resolve(
    spec: &RoleSpec,
    partition: Partition,
    label: &dyn Fn(&'static str, &str) -> String,
) -> Result<Trust> {
    let field = label("trust_principals", "--trust-principal");
    let mut principals = BTreeSet::new();
    for value in &spec.trust_principals {
        principals.insert(principal::principal(
            value,
            &field,
            partition,
            principal::Use::Trust,
        )?);
    }
    let external_id = spec
        .external_id
        .as_deref()
        .map(|id| principal::external_id(id, &label("external_id", "--external-id")))
        .transpose()?;
    let require_mfa = spec.require_mfa.unwrap_or(false);
    if principals.is_empty() {
        let orphan = if require_mfa {
            Some(label("require_mfa", "--require-mfa"))
        } else if external_id.is_some() {
            Some(label("external_id", "--external-id"))
        } else {
            None
        };
        if let Some(orphan) = orphan {
            return Err(Error::Missing {
                what: "`--trust-principal`".into(),
                needed_by: format!("{orphan} (it conditions who else may assume the role)"),
                help: "add `--trust-principal ARN` (a role ARN, an account root ARN or an account id), or drop it".into(),
            });
        }
    }
    Ok(Trust {
        principals: principals.into_iter().collect(),
        require_mfa,
        external_id,
    })
}

/// The trust statement for the extra principals, or `None` when there are none.
pub fn statement(
    principals: &[String],
    require_mfa: bool,
    external_id: Option<&str>,
) -> Option<PlannedStatement> {
    if principals.is_empty() {
        return None;
    }
    let mut conditions = Conditions::new();
    if require_mfa {
        // `Bool` (not `BoolIfExists`) in an Allow: a request without the key — long-term access
        // keys — does not match, so it is not allowed.
        conditions.entry("Bool".into()).or_default().insert(
            "aws:MultiFactorAuthPresent".into(),
            vec!["true".to_string()],
        );
    }
    if let Some(id) = external_id {
        conditions
            .entry("StringEquals".into())
            .or_default()
            .insert("sts:ExternalId".into(), vec![id.to_string()]);
    }
    let mut why = String::from("these principals may assume the role; SetSourceIdentity lets them record who acts, which CloudTrail shows");
    if require_mfa {
        why.push_str("; only with MFA");
    }
    if external_id.is_some() {
        why.push_str("; only with the agreed external id");
    }
    Some(PlannedStatement {
        sid: "TrustPrincipals".into(),
        effect: Effect::Allow,
        principal: Some(BTreeMap::from([("AWS".to_string(), principals.to_vec())])),
        actions: vec!["sts:AssumeRole".into(), "sts:SetSourceIdentity".into()],
        resources: Vec::new(),
        conditions,
        sources: vec![Source {
            activity: "trust-principals".into(),
            statement: "trust".into(),
            why,
        }],
    })
}
