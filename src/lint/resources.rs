//! Resource checks: ARN syntax, policy variables, whether each ARN fits the
//! resource types of the statement's actions, and `*` on scoped actions.

use std::collections::{HashMap, HashSet};

use super::actions::Resolved;
use super::codes::Code;
use super::context::Ctx;
use super::document::{Effect, Item, Stmt};
use super::variables;
use super::DocumentKind;
use crate::reference::{glob_match, Action, PolicyArn, Reference, Service};

const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

fn is_wild(field: &str) -> bool {
    field.contains(['*', '?']) || field.contains("${")
}

/// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1` ...
fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// Checks one ARN's syntax; true when it is well-formed enough to match.
fn check_syntax(ctx: &mut Ctx, stmt: &Stmt<'_>, item: &Item<'_>) -> bool {
    let arn = item.value;
    if let Some(problem) = variables::problem(arn, ctx.reference) {
        ctx.push(
            stmt.loc(),
            Code::InvalidPolicyVariable,
            &item.path.text(),
            format!("malformed policy variable: {problem}"),
            "write variables as ${aws:username} or ${sagemaker:DomainId}",
        );
        return false;
    }
    if crate::compose::variable_before_resource_part(arn) {
        ctx.push(
            stmt.loc(),
            Code::InvalidPolicyVariable,
            &item.path.text(),
            format!(
                "`{arn}` has a policy variable before its fifth colon, where IAM does not substitute it: the entry matches only ARNs that hold this text"
            ),
            "write the partition, service, region and account themselves; variables work only in the resource part, after the fifth colon",
        );
        return false;
    }
    // A quote, backslash or control character in an ARN is an injection attempt or a copy
    // mistake: no AWS resource name has one, so the statement could never match what was meant.
    if let Some(bad) = arn
        .chars()
        .find(|c| *c == '"' || *c == '\\' || c.is_control())
    {
        ctx.push(
            stmt.loc(),
            Code::MalformedArn,
            &item.path.text(),
            format!(
                "`{}` contains {bad:?}, which no ARN has",
                arn.escape_debug()
            ),
            "remove quotes, backslashes and control characters from the ARN",
        );
        return false;
    }
    let fields = crate::reference::arn_fields(arn);
    if fields.first() != Some(&"arn") || fields.len() < 6 {
        ctx.push(
            stmt.loc(),
            Code::MalformedArn,
            &item.path.text(),
            format!("`{arn}` is not an ARN"),
            "use \"*\" or an ARN of the form arn:partition:service:region:account:resource",
        );
        return false;
    }
    let (partition, region, account) = (fields[1], fields[3], fields[4]);
    if !is_wild(partition) && !PARTITIONS.contains(&partition) {
        ctx.push(
            stmt.loc(),
            Code::InvalidPartition,
            &item.path.text(),
            format!("`{partition}` in `{arn}` is not an AWS partition"),
            "use `aws` (or aws-cn, aws-us-gov, ...) or `*`",
        );
        return false;
    }
    if !region.is_empty() && !is_wild(region) && !valid_region(region) {
        ctx.push(
            stmt.loc(),
            Code::InvalidRegion,
            &item.path.text(),
            format!("`{region}` in `{arn}` is not a Region code"),
            "write a Region code such as us-east-1 (lowercase), `*`, or leave it empty for global services",
        );
        return false;
    }
    let account_ok = account.is_empty()
        || is_wild(account)
        || account == "aws"
        || (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()));
    if !account_ok {
        ctx.push(
            stmt.loc(),
            Code::InvalidAccount,
            &item.path.text(),
            format!("`{account}` in `{arn}` is not a 12-digit account ID"),
            "write the 12-digit account ID, `*`, or ${aws:PrincipalAccount}",
        );
        return false;
    }
    true
}

/// Most steps (a lookup of a literal start, a wildcard tried against a resource) one statement's
/// check for covered resources takes. Candidates are narrowed to the wildcards whose literal
/// start the resource has, so real policies stay far below it; a statement of tens of thousands
/// of wildcards sharing one start would otherwise take minutes. Past it, the remaining resources
/// are not reported as covered.
const COVER_CHECK_BUDGET: usize = 1_000_000;

/// Resources listed twice, or matched by a wildcard resource of the same
/// statement (`*` covers everything). ARNs are case-sensitive; entries with
/// policy variables are left alone.
fn redundant(ctx: &mut Ctx, stmt: &Stmt<'_>, items: &[Item<'_>]) {
    let covers = Covers::new(items);
    let mut first_by_value: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    let mut budget = COVER_CHECK_BUDGET;
    let mut candidates = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let first = *first_by_value.entry(item.value).or_insert(i);
        if item.value.contains("${") {
            continue;
        }
        if first != i {
            ctx.push(
                stmt.loc(),
                Code::RedundantResource,
                &item.path.text(),
                format!(
                    "`{}` is listed twice (see {})",
                    item.value,
                    ctx.path(&items[first].path.text())
                ),
                "remove the duplicate",
            );
            continue;
        }
        if budget == 0 {
            continue;
        }
        budget -= covers.candidates(item.value, budget, &mut candidates);
        // The first cover in the statement's order, as a reader scanning it would find.
        let cover = candidates
            .iter()
            .map(|&j| &items[j])
            .find(|o| o.value != item.value && glob_match(o.value, item.value));
        if let Some(cover) = cover {
            ctx.push(
                stmt.loc(),
                Code::RedundantResource,
                &item.path.text(),
                format!(
                    "`{}` is already matched by `{}` in this statement",
                    item.value, cover.value
                ),
                "remove it, or replace the wildcard with the resources you need",
            );
        }
    }
}

/// A statement's wildcard resources (without policy variables) by the literal text before their
/// first wildcard: a resource can only be matched by a wildcard whose literal start it has.
struct Covers<'a> {
    by_start: HashMap<&'a str, Vec<usize>>,
    /// The distinct lengths of those starts, shortest first.
    start_lengths: Vec<usize>,
}

impl<'a> Covers<'a> {
    fn new(items: &[Item<'a>]) -> Self {
        let mut by_start: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (j, item) in items.iter().enumerate() {
            if item.value.contains("${") {
                continue;
            }
            if let Some(end) = item.value.find(['*', '?']) {
                by_start.entry(&item.value[..end]).or_default().push(j);
            }
        }
        let mut start_lengths: Vec<usize> = by_start.keys().map(|start| start.len()).collect();
        start_lengths.sort_unstable();
        start_lengths.dedup();
        Covers {
            by_start,
            start_lengths,
        }
    }

    /// The wildcards that may match `value`, in the statement's order, found in at most `budget`
    /// steps (each start looked up and each candidate counts one); returns the steps taken.
    fn candidates(&self, value: &str, budget: usize, out: &mut Vec<usize>) -> usize {
        out.clear();
        let mut steps = 0;
        for &length in &self.start_lengths {
            if length > value.len() || steps >= budget {
                break;
            }
            steps += 1;
            let Some(indexes) = value
                .get(..length)
                .and_then(|start| self.by_start.get(start))
            else {
                continue;
            };
            let room = budget.saturating_sub(steps).min(indexes.len());
            out.extend(&indexes[..room]);
            steps += room;
        }
        out.sort_unstable();
        steps
    }
}

/// What one action accepts as a resource, resolved once per statement.
enum Accepts {
    /// Its service or one of its resource types is missing from the reference: do not guess.
    Anything,
    /// These resource types, as (index into [`Matcher::services`], index into that service's
    /// resource types).
    Types(Vec<(usize, usize)>),
}

/// Decides "does this ARN fit this action" for a statement's actions: each action's service and
/// resource types are looked up once, and each ARN is matched against each resource type at most
/// once. Memory stays in proportion to the services' resource types, not to ARNs times types.
struct Matcher<'r> {
    reference: &'r Reference,
    /// The services of the statement's actions, each once.
    services: Vec<&'r Service>,
    per_action: Vec<Accepts>,
    /// The current ARN's answer for each resource type of each of `services`, once computed.
    verdicts: Vec<Vec<Option<bool>>>,
}

impl<'r> Matcher<'r> {
    fn new(reference: &'r Reference, actions: &[&Action]) -> Self {
        let mut services: Vec<&'r Service> = Vec::new();
        let per_action = actions
            .iter()
            .map(|action| {
                // A statement's actions name few services: find them among those already seen
                // before searching the reference.
                let known = services.iter().position(|s| s.prefix == action.service());
                let slot = match known {
                    Some(slot) => slot,
                    None => {
                        let Some(service) = reference.service(action.service()) else {
                            return Accepts::Anything;
                        };
                        services.push(service);
                        services.len() - 1
                    }
                };
                let mut ids = Vec::with_capacity(action.resource_types.len());
                for rt in &action.resource_types {
                    let Some(index) = rt.index else {
                        return Accepts::Anything;
                    };
                    ids.push((slot, index));
                }
                Accepts::Types(ids)
            })
            .collect();
        let verdicts = services
            .iter()
            .map(|s| vec![None; s.resource_types().len()])
            .collect();
        Matcher {
            reference,
            services,
            per_action,
            verdicts,
        }
    }

    /// Forgets the previous ARN's answers.
    fn start_arn(&mut self) {
        self.verdicts.iter_mut().for_each(|v| v.fill(None));
    }

    /// Whether the action at `action_index` (in the list given to [`Matcher::new`]) accepts `arn`,
    /// the ARN since the last [`Matcher::start_arn`].
    fn accepts(&mut self, action_index: usize, arn: &PolicyArn<'_>) -> bool {
        let Matcher {
            reference,
            services,
            per_action,
            verdicts,
        } = self;
        match &per_action[action_index] {
            Accepts::Anything => true,
            Accepts::Types(ids) => ids.iter().any(|&(slot, index)| {
                *verdicts[slot][index].get_or_insert_with(|| {
                    reference.policy_arn_matches_resource_type(
                        arn,
                        &services[slot].resource_types()[index],
                    )
                })
            }),
        }
    }
}

/// Up to two ARN formats the actions accept, the ones closest to `near` first.
fn example_formats(reference: &Reference, actions: &[&Action], near: Option<&str>) -> String {
    let mut formats: Vec<String> = Vec::new();
    for a in actions {
        let Some(service) = reference.service(a.service()) else {
            continue;
        };
        for rt in &a.resource_types {
            if let Some(t) = service.resource_type(rt.name) {
                for p in &t.arn_patterns {
                    if !formats.iter().any(|f| f == p) {
                        formats.push(p.to_string());
                    }
                }
            }
        }
    }
    if let Some(near) = near {
        let score = |p: &String| strsim::normalized_levenshtein(near, p);
        formats.sort_by(|a, b| score(b).total_cmp(&score(a)));
    }
    formats.truncate(2);
    formats.join(" or ")
}

pub(crate) fn check(ctx: &mut Ctx, stmt: &Stmt<'_>, resolved: &Resolved) {
    let Some(list) = &stmt.resource else { return };
    if ctx.kind == DocumentKind::Trust {
        return;
    }
    let mut valid: Vec<&Item<'_>> = Vec::new();
    let mut any_invalid = false;
    let mut star = None;
    for item in &list.items {
        if item.value == "*" {
            star = Some(item);
            continue;
        }
        if check_syntax(ctx, stmt, item) {
            valid.push(item);
        } else {
            any_invalid = true;
        }
    }
    redundant(ctx, stmt, &list.items);
    if list.negated {
        return;
    }
    if resolved.all && !resolved.negated {
        if let Some(star) = star {
            if stmt.effect == Some(Effect::Allow)
                && ctx.kind == DocumentKind::Identity
                && stmt.condition.is_none()
            {
                ctx.push(
                    stmt.loc(),
                    Code::StarResource,
                    &star.path.text(),
                    "\"Action\": \"*\" with \"Resource\": \"*\" grants every action on every resource",
                    "list the actions the role needs and scope them to ARNs",
                );
            }
        }
        return;
    }
    let Some(actions) = resolved.actions() else {
        return;
    };
    if actions.is_empty() {
        return;
    }

    // Each ARN must fit some action's resource type.
    let mut matcher = Matcher::new(ctx.reference, &actions);
    let mut arn_used = vec![false; valid.len()];
    let mut action_ok: HashSet<*const Action> = HashSet::new();
    for (k, item) in valid.iter().enumerate() {
        matcher.start_arn();
        let arn = PolicyArn::new(item.value);
        for (action_index, a) in actions.iter().enumerate() {
            if matcher.accepts(action_index, &arn) {
                arn_used[k] = true;
                action_ok.insert(*a as *const Action);
            }
        }
    }
    let scoped: Vec<&Action> = actions
        .iter()
        .copied()
        .filter(|a| a.supports_resource_level_permissions())
        .collect();
    for (k, item) in valid.iter().enumerate() {
        if arn_used[k] {
            continue;
        }
        let (message, help) = if scoped.is_empty() {
            (
                format!("`{}` cannot be used: no action in this statement supports resource-level permissions", item.value),
                "use \"Resource\": \"*\" for these actions".to_string(),
            )
        } else {
            (
                format!(
                    "`{}` is not a resource of any action in this statement",
                    item.value
                ),
                format!(
                    "the actions accept ARNs such as {}",
                    example_formats(ctx.reference, &scoped, Some(item.value))
                ),
            )
        };
        ctx.push(
            stmt.loc(),
            Code::ResourceTypeMismatch,
            &item.path.text(),
            message,
            help,
        );
    }

    // Each concrete action must fit some resource, unless `*` is listed or an
    // ARN problem was already reported for this statement.
    let some_arn_fits = arn_used.iter().any(|u| *u);
    if star.is_none() && !any_invalid && some_arn_fits {
        for entry in resolved.entries.iter().filter(|e| !e.wildcard) {
            for a in &entry.actions {
                if action_ok.contains(&(*a as *const Action)) {
                    continue;
                }
                let help = if a.supports_resource_level_permissions() {
                    format!(
                        "add a resource such as {}",
                        example_formats(ctx.reference, &[*a], None)
                    )
                } else {
                    format!(
                        "{} needs \"Resource\": \"*\"; move it to a statement with \"*\"",
                        a.full_name()
                    )
                };
                ctx.push(
                    stmt.loc(),
                    Code::ActionWithoutResource,
                    &entry.path.text(),
                    format!(
                        "`{}` applies to none of this statement's resources, so it is not granted",
                        entry.text
                    ),
                    help,
                );
            }
        }
    }

    if let Some(star) = star {
        if stmt.effect == Some(Effect::Allow)
            && ctx.kind == DocumentKind::Identity
            && stmt.condition.is_none()
        {
            // A List-level action whose resource types are all optional (sagemaker:ListModelPackages)
            // lists the account when called without one, and IAM then authorizes it on "*".
            let flagged: Vec<String> = scoped
                .iter()
                .filter(|a| !star_is_expected(a))
                .filter(|a| !(a.service() == "iam" && a.name == "PassRole"))
                .map(|a| a.full_name())
                .collect();
            if !flagged.is_empty() {
                let shown = flagged
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                let more = if flagged.len() > 3 {
                    format!(" and {} more", flagged.len() - 3)
                } else {
                    String::new()
                };
                ctx.push(
                    stmt.loc(),
                    Code::StarResource,
                    &star.path.text(),
                    format!(
                        "\"*\" grants {shown}{more} on every resource, though {} resource-level permissions",
                        if flagged.len() == 1 { "it supports" } else { "they support" }
                    ),
                    format!("scope to ARNs such as {}", example_formats(ctx.reference, &scoped, None)),
                );
            }
        }
    }
}

/// Actions whose only resource type is optional and names a custom resource that the usual call
/// does not involve (a built-in model, account-wide metrics): IAM authorizes that call on "*".
const OPTIONAL_CUSTOM_RESOURCE: &[&str] = &[
    "cloudwatch:GetMetricData",
    "comprehend:DetectEntities",
    "comprehend:ClassifyDocument",
];

/// Whether `"Resource": "*"` is the expected way to grant `action` although the reference lists
/// resource types for it: a List-level action whose resource types are all optional lists the
/// account when called without one (sagemaker:ListModelPackages), and the actions above.
pub fn star_is_expected(action: &Action) -> bool {
    let all_optional = !action.resource_types.iter().any(|r| r.required);
    action.resource_types.is_empty()
        || (all_optional && action.access_level == crate::reference::AccessLevel::List)
        || OPTIONAL_CUSTOM_RESOURCE
            .iter()
            .any(|name| name.eq_ignore_ascii_case(&action.full_name()))
}

#[cfg(test)]
mod tests {
    use super::{Covers, Item};
    use crate::lint::document::ItemPath;

    fn items<'a>(values: &[&'a str]) -> Vec<Item<'a>> {
        values
            .iter()
            .enumerate()
            .map(|(i, value)| Item {
                path: ItemPath::new("Resource".into(), Some(i)),
                value,
            })
            .collect()
    }

    #[test]
    fn candidates_are_the_wildcards_whose_start_the_resource_has_in_order() {
        let items = items(&[
            "arn:aws:s3:::b/x/*",
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::c/*",
            "*",
            "arn:aws:s3:::${aws:username}/*",
            "arn:aws:s3:::b/x/y",
            "arn:aws:s3:::b?x/*",
        ]);
        let covers = Covers::new(&items);
        let mut out = Vec::new();
        let steps = covers.candidates("arn:aws:s3:::b/x/y", usize::MAX, &mut out);
        // `*` (start ""), `b/*`, `b?x/*` (start `b`) and `b/x/*`; not `c/*`, not the one with a
        // variable, not the literal resource.
        assert_eq!(out, [0, 1, 3, 6]);
        assert!(steps >= out.len());
        // A budget stops the search: fewer steps, never more than allowed.
        let mut limited = Vec::new();
        let steps = covers.candidates("arn:aws:s3:::b/x/y", 2, &mut limited);
        assert!(steps <= 2, "{steps}");
        assert!(limited.len() < out.len(), "{limited:?}");
    }
}
