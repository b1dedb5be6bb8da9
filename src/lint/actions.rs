//! Action checks: unknown services and actions, empty wildcards, redundant
//! entries, and the iam:PassRole rules.

use std::collections::HashSet;

use super::codes::Code;
use super::context::Ctx;
use super::document::{Effect, ItemPath, Stmt};
use super::suggest::{closest, did_you_mean};
use super::DocumentKind;
use crate::reference::{Action, Reference};

/// One Action entry that names known actions.
pub(crate) struct Entry {
    pub path: ItemPath,
    pub text: String,
    pub wildcard: bool,
    pub actions: Vec<&'static Action>,
}

/// The statement's actions as far as they could be resolved.
#[derive(Default)]
pub(crate) struct Resolved {
    /// `"*"` (or `*:*`) is listed: every action.
    pub all: bool,
    /// NotAction: the entries are exclusions.
    pub negated: bool,
    /// Some entry could not be resolved (already reported).
    pub unknown: bool,
    pub entries: Vec<Entry>,
}

impl Resolved {
    /// Known actions the statement names (deduplicated), unless it names all
    /// actions or uses NotAction.
    pub fn actions(&self) -> Option<Vec<&'static Action>> {
        if self.all || self.negated {
            return None;
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for e in &self.entries {
            for a in &e.actions {
                if seen.insert(*a as *const Action) {
                    out.push(*a);
                }
            }
        }
        Some(out)
    }
}

fn valid_service_part(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '?')
}

fn valid_action_part(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*' || c == '?')
}

pub(crate) fn check(ctx: &mut Ctx, stmt: &Stmt<'_>) -> Resolved {
    let mut resolved = Resolved::default();
    let Some(list) = &stmt.action else {
        return resolved;
    };
    resolved.negated = list.negated;
    let r: &'static Reference = ctx.reference;
    for item in &list.items {
        let text = item.value;
        if text.chars().all(|c| c == '*') && !text.is_empty() || text == "*:*" {
            resolved.all = true;
            continue;
        }
        let Some((svc, name)) = text.split_once(':') else {
            malformed(ctx, stmt, &item.path.text(), text);
            resolved.unknown = true;
            continue;
        };
        if !valid_service_part(svc) || !valid_action_part(name) {
            malformed(ctx, stmt, &item.path.text(), text);
            resolved.unknown = true;
            continue;
        }
        let svc_wild = svc.contains(['*', '?']);
        if svc_wild {
            ctx.push(
                stmt.loc(),
                Code::WildcardInServiceName,
                &item.path.text(),
                format!(
                    "`{text}` has a wildcard in the service prefix and may match other services"
                ),
                "name the service, e.g. `s3:Get*` rather than `s*:Get*`",
            );
        }
        // Looked up once: a statement's actions are resolved for every generated role.
        let service = if svc_wild { None } else { r.service(svc) };
        if !svc_wild && service.is_none() {
            let hint = if ctx.saturated() {
                None
            } else {
                closest(svc, r.service_prefixes()).map(|s| format!("{s}:{name}"))
            };
            ctx.push(
                stmt.loc(),
                Code::UnknownService,
                &item.path.text(),
                format!("`{svc}` in `{text}` is not an AWS service prefix"),
                did_you_mean(
                    hint,
                    "check the service prefix in the AWS Service Authorization Reference",
                ),
            );
            resolved.unknown = true;
            continue;
        }
        let wildcard = svc_wild || name.contains(['*', '?']);
        let actions: Vec<&'static Action> = match service {
            Some(service) if !wildcard => service.action(name).into_iter().collect(),
            _ => r.expand_wildcard(text),
        };
        if actions.is_empty() {
            resolved.unknown = true;
            if wildcard {
                ctx.push(
                    stmt.loc(),
                    Code::WildcardMatchesNothing,
                    &item.path.text(),
                    format!("`{text}` matches no action"),
                    "fix the pattern; action names start with a verb such as Get, List, Describe, Create",
                );
            } else {
                let hint = service.filter(|_| !ctx.saturated()).and_then(|s| {
                    closest(name, s.action_names()).map(|n| format!("{}:{n}", s.prefix))
                });
                let service_name = r.service_name(svc).unwrap_or(svc);
                ctx.push(
                    stmt.loc(),
                    Code::UnknownAction,
                    &item.path.text(),
                    format!("`{text}` is not an action of {service_name}"),
                    did_you_mean(
                        hint,
                        "check the action name in the AWS Service Authorization Reference",
                    ),
                );
            }
            continue;
        }
        resolved.entries.push(Entry {
            path: item.path.clone(),
            text: text.to_string(),
            wildcard,
            actions,
        });
    }
    redundant(ctx, stmt, &resolved);
    resolved
}

fn malformed(ctx: &mut Ctx, stmt: &Stmt<'_>, path: &str, text: &str) {
    ctx.push(
        stmt.loc(),
        Code::MalformedAction,
        path,
        format!("`{text}` is not an action: expected `service:ActionName`"),
        "write the service prefix, a colon and the action name, e.g. `sagemaker:CreateTrainingJob`",
    );
}

fn redundant(ctx: &mut Ctx, stmt: &Stmt<'_>, resolved: &Resolved) {
    let entries = &resolved.entries;
    // Only a wildcard entry can cover another; most statements have none, and then no sets.
    let any_wildcard = entries.iter().any(|e| e.wildcard);
    let sets: Vec<HashSet<*const Action>> = if any_wildcard {
        entries
            .iter()
            .map(|e| e.actions.iter().map(|a| *a as *const Action).collect())
            .collect()
    } else {
        Vec::new()
    };
    for (i, e) in entries.iter().enumerate() {
        if resolved.all {
            ctx.push(
                stmt.loc(),
                Code::RedundantAction,
                &e.path.text(),
                format!("`{}` is already covered by `*` in this statement", e.text),
                "remove it",
            );
            continue;
        }
        if let Some(j) = (0..i).find(|&j| entries[j].text.eq_ignore_ascii_case(&e.text)) {
            ctx.push(
                stmt.loc(),
                Code::RedundantAction,
                &e.path.text(),
                format!(
                    "`{}` is listed twice (see {})",
                    e.text,
                    ctx.path(&entries[j].path.text())
                ),
                "remove the duplicate",
            );
            continue;
        }
        // `sets` is empty without a wildcard entry, and then never read: `wildcard` comes first.
        let cover = (0..entries.len()).find(|&j| {
            j != i
                && entries[j].wildcard
                && !entries[j].text.eq_ignore_ascii_case(&e.text)
                && sets[i].is_subset(&sets[j])
                && (sets[i].len() < sets[j].len() || j < i)
        });
        if let Some(j) = cover {
            ctx.push(
                stmt.loc(),
                Code::RedundantAction,
                &e.path.text(),
                format!(
                    "`{}` is already covered by `{}` in this statement",
                    e.text, entries[j].text
                ),
                "remove it, or replace the wildcard with the specific actions you need",
            );
        }
    }
}

/// iam:PassRole must name roles and say which service may receive them.
/// Only entries whose service is literally `iam` count, so an all-actions
/// `*` statement is not reported twice.
pub(crate) fn check_pass_role(ctx: &mut Ctx, stmt: &Stmt<'_>, resolved: &Resolved) {
    if stmt.effect != Some(Effect::Allow) || resolved.negated || ctx.kind != DocumentKind::Identity
    {
        return;
    }
    let Some(entry) = resolved.entries.iter().find(|e| {
        e.text.to_ascii_lowercase().starts_with("iam:")
            && e.actions
                .iter()
                .any(|a| a.name.eq_ignore_ascii_case("PassRole"))
    }) else {
        return;
    };
    let Some(resources) = &stmt.resource else {
        return;
    };
    if resources.negated {
        return;
    }
    if let Some(star) = resources.items.iter().find(|r| r.value == "*") {
        ctx.push(
            stmt.loc(),
            Code::PassRoleStarResource,
            &star.path.text(),
            format!("`{}` allows passing any role in the account to any service", entry.text),
            "list the ARNs of the roles this principal must pass, e.g. arn:aws:iam::123456789012:role/SageMakerExecution*",
        );
    }
    let has_service_condition = stmt.condition.is_some_and(|c| {
        c.values()
            .filter_map(|block| block.as_object())
            .any(|block| {
                block
                    .keys()
                    .any(|k| k.eq_ignore_ascii_case("iam:PassedToService"))
            })
    });
    if !has_service_condition {
        ctx.push(
            stmt.loc(),
            Code::PassRoleWithoutService,
            &entry.path.text(),
            format!("`{}` is allowed without an iam:PassedToService condition", entry.text),
            "add \"Condition\": {\"StringEquals\": {\"iam:PassedToService\": \"sagemaker.amazonaws.com\"}}",
        );
    }
}
