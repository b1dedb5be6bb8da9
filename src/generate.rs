//! The whole pipeline behind `mlrole generate`: compose, pack into managed policies, render, check
//! quotas, and assemble the bundle (role metadata, trust policy, permission policies, provenance).

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;
use tera::Context;

use crate::catalog::Catalog;
use crate::compose::{self, PlannedStatement, RolePlan, Target};
use crate::error::{Error, Result};
use crate::policy::{self, MANAGED_POLICY_LIMIT, TRUST_POLICY_LIMIT};
use crate::render::Renderer;
use crate::request::RoleRequest;

/// A generated role.
#[derive(Debug, Clone)]
pub struct Generated {
    pub plan: RolePlan,
    pub trust_policy: Value,
    /// `(policy name, document)` in order.
    pub permission_policies: Vec<(String, Value)>,
    /// Statements of each permission policy, aligned with `permission_policies`.
    pub policy_statements: Vec<Vec<PlannedStatement>>,
    /// What the linter says about the rendered documents (warnings and suggestions only: an
    /// error-level finding stops generation).
    pub findings: Vec<crate::lint::Finding>,
    /// [`policy::deployed_size`] of each permission policy and of the trust policy, taken once
    /// for the quota check: the bundle states them, and sizing a document walks all of it.
    /// They describe the documents as built; debug builds check that they still do.
    sizes: DocumentSizes,
}

#[derive(Debug, Clone)]
struct DocumentSizes {
    permission_policies: Vec<usize>,
    trust_policy: usize,
}

impl Generated {
    /// The JSON bundle as a value, for callers that read it (the review, `verify`).
    pub fn bundle(&self) -> Value {
        serde_json::to_value(self.bundle_view()).unwrap_or_default()
    }

    /// Characters of each permission policy once deployed (see [`policy::deployed_size`]), in
    /// the order of `permission_policies`.
    pub fn permission_policy_characters(&self) -> &[usize] {
        debug_assert!(self
            .permission_policies
            .iter()
            .map(|(_, document)| policy::deployed_size(document))
            .eq(self.sizes.permission_policies.iter().copied()));
        &self.sizes.permission_policies
    }

    /// Characters of the trust policy once deployed (see [`policy::deployed_size`]).
    pub fn trust_policy_characters(&self) -> usize {
        debug_assert_eq!(
            self.sizes.trust_policy,
            policy::deployed_size(&self.trust_policy)
        );
        self.sizes.trust_policy
    }

    /// The bundle's text: what `generate` prints and writes as `bundle.json`. Serialized straight
    /// from the role's parts, without first copying every document into a bundle value.
    pub fn bundle_text(&self) -> String {
        // Room for a whole role up front: growing from 128 bytes copied the text five times
        // over and left every smaller buffer's pages touched. Pages never written are never
        // faulted in, so a small role costs no more.
        pretty_into(Vec::with_capacity(64 * 1024), &self.bundle_view())
    }

    fn bundle_view(&self) -> BundleView<'_> {
        BundleView {
            role: &self.plan.role,
            trust_policy: &self.trust_policy,
            permission_policies: self
                .permission_policies
                .iter()
                .zip(self.permission_policy_characters())
                .map(|((name, document), &characters)| PolicyEntry {
                    name,
                    characters,
                    document,
                })
                .collect(),
            budget: Budget {
                managed_policies: self.permission_policies.len(),
                policy_character_limit: MANAGED_POLICY_LIMIT,
                trust_policy_characters: self.trust_policy_characters(),
                trust_policy_character_limit: TRUST_POLICY_LIMIT,
            },
            provenance: self
                .permission_policies
                .iter()
                .zip(&self.policy_statements)
                .flat_map(|((name, _), statements)| provenance_entries(name, statements))
                .collect(),
            findings: &self.findings,
        }
    }

    /// The checks of `mlrole lint` on the role's documents. Deployment references
    /// (`${AWS::AccountId}`, Terraform data sources) are not IAM variables: the documents are
    /// checked as they will be once deployed, with sample values in their place.
    pub(crate) fn check(&self) -> Vec<crate::lint::Finding> {
        let (trust, permissions) = self.deployed_documents();
        let permissions: Vec<&Value> = permissions.iter().map(Cow::as_ref).collect();
        crate::lint::lint_role_documents(&trust, &permissions)
    }

    /// The bundle's policy documents as they will be once deployed (see
    /// [`with_sample_deployment`]); borrowed where nothing needs replacing.
    fn deployed_documents(&self) -> (Cow<'_, Value>, Vec<Cow<'_, Value>>) {
        (
            with_sample_deployment(&self.trust_policy),
            self.permission_policies
                .iter()
                .map(|(_, document)| with_sample_deployment(document))
                .collect(),
        )
    }
}

/// The bundle's fields in their written order.
#[derive(Serialize)]
struct BundleView<'a> {
    role: &'a crate::compose::RoleMeta,
    trust_policy: &'a Value,
    permission_policies: Vec<PolicyEntry<'a>>,
    budget: Budget,
    provenance: Vec<ProvenanceEntry<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    findings: &'a [crate::lint::Finding],
}

#[derive(Serialize)]
struct PolicyEntry<'a> {
    name: &'a str,
    characters: usize,
    document: &'a Value,
}

#[derive(Serialize)]
struct Budget {
    managed_policies: usize,
    policy_character_limit: usize,
    trust_policy_characters: usize,
    trust_policy_character_limit: usize,
}

/// One `provenance` entry: a statement of a policy, and the activity statements that put it there.
#[derive(Serialize)]
pub(crate) struct ProvenanceEntry<'a> {
    policy: &'a str,
    sid: &'a str,
    reasons: Vec<Reason<'a>>,
}

#[derive(Serialize)]
struct Reason<'a> {
    activity: &'a str,
    statement: &'a str,
    why: &'a str,
}

/// The bundle's `provenance` entries of one policy: for every statement, the activity statements
/// that put it there and why.
pub(crate) fn provenance_entries<'a>(
    policy: &'a str,
    statements: &'a [PlannedStatement],
) -> impl Iterator<Item = ProvenanceEntry<'a>> + 'a {
    statements.iter().map(move |statement| ProvenanceEntry {
        policy,
        sid: &statement.sid,
        reasons: statement
            .sources
            .iter()
            .map(|source| Reason {
                activity: &source.activity,
                statement: &source.statement,
                why: &source.why,
            })
            .collect(),
    })
}

/// Replaces CloudFormation pseudo parameters and Terraform data-source references by sample
/// values of the right shape, so the linter judges the deployed policies. A document without
/// such references (every `--format json` role) is borrowed as it is.
pub(crate) fn with_sample_deployment(value: &Value) -> Cow<'_, Value> {
    if has_deployment_reference(value) {
        Cow::Owned(replace_deployment_references(value))
    } else {
        Cow::Borrowed(value)
    }
}

fn has_deployment_reference(value: &Value) -> bool {
    match value {
        Value::String(text) => names_deployment_reference(text),
        Value::Array(items) => items.iter().any(has_deployment_reference),
        Value::Object(map) => map.values().any(has_deployment_reference),
        _ => false,
    }
}

/// `${AWS::...}` or `${data....}` somewhere in `text` (one byte search: this runs on every
/// string of every generated document).
fn names_deployment_reference(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'$', bytes).any(|at| {
        let after = &bytes[at + 1..];
        after.starts_with(b"{AWS::") || after.starts_with(b"{data.")
    })
}

fn replace_deployment_references(value: &Value) -> Value {
    match value {
        Value::String(text) if names_deployment_reference(text) => Value::String(
            policy::DEPLOYMENT_REFERENCES
                .iter()
                .fold(text.clone(), |acc, (reference, sample, _)| {
                    acc.replace(reference, sample)
                }),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(replace_deployment_references).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), replace_deployment_references(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Deterministic policy names: `<role>-permissions`, or `-1`, `-2`, … when split.
pub fn policy_name(role: &str, index: usize, count: usize) -> String {
    if count == 1 {
        format!("{role}-permissions")
    } else {
        format!("{role}-permissions-{}", index + 1)
    }
}

pub fn generate(
    catalog: &Catalog,
    renderer: &Renderer,
    request: &RoleRequest,
) -> Result<Generated> {
    generate_for(catalog, renderer, request, Target::Policy)
}

/// Generates for a deployment target (see [`Target`]).
pub fn generate_for(
    catalog: &Catalog,
    renderer: &Renderer,
    request: &RoleRequest,
    target: Target,
) -> Result<Generated> {
    let mut generated = build(catalog, renderer, request, target)?;
    // Everything rendered passes the same checks as `mlrole lint` before anyone sees it.
    let findings = generated.check();
    if crate::lint::has_errors(&findings) {
        return Err(Error::Template {
            template: "permission-policy.json.tera".into(),
            message: format!(
                "the rendered policies fail IAM checks:\n{}",
                crate::lint::render_human(&findings, "generated role")
            ),
        });
    }
    generated.findings = findings;
    Ok(generated)
}

/// Composes, packs and renders a role, within IAM's size quotas, without the checks of what it
/// renders (`catalog check` wants their findings, not the first error).
pub(crate) fn build(
    catalog: &Catalog,
    renderer: &Renderer,
    request: &RoleRequest,
    target: Target,
) -> Result<Generated> {
    let plan = compose::compose(catalog, request, target)?;
    let packed = policy::pack(&plan.statements, MANAGED_POLICY_LIMIT, request.max_policies)?;
    let mut permission_policies = Vec::new();
    let mut permission_policy_sizes = Vec::new();
    for (index, statements) in packed.iter().enumerate() {
        let name = policy_name(&request.role_name, index, packed.len());
        let mut context = Context::new();
        context.insert("policy_name", &name);
        context.insert("role", &plan.role);
        context.insert("statements", statements);
        let document = renderer.render_policy("permission-policy.json.tera", &context)?;
        let size = policy::deployed_size(&document);
        if size > MANAGED_POLICY_LIMIT {
            return Err(Error::Quota {
                message: format!("policy `{name}` has {size} characters, over IAM's {MANAGED_POLICY_LIMIT}-character limit for a managed policy"),
                help: "a custom template may add too much; check `--templates`".into(),
            });
        }
        permission_policies.push((name, document));
        permission_policy_sizes.push(size);
    }
    let mut context = Context::new();
    context.insert("role", &plan.role);
    context.insert("statements", &plan.trust);
    let trust_policy = renderer.render_policy("trust-policy.json.tera", &context)?;
    let trust_size = policy::deployed_size(&trust_policy);
    if trust_size > TRUST_POLICY_LIMIT {
        return Err(Error::Quota {
            message: format!("the trust policy has {trust_size} characters, over IAM's default {TRUST_POLICY_LIMIT}-character limit"),
            help: "trust fewer principals".into(),
        });
    }
    Ok(Generated {
        plan,
        trust_policy,
        permission_policies,
        policy_statements: packed,
        findings: Vec::new(),
        sizes: DocumentSizes {
            permission_policies: permission_policy_sizes,
            trust_policy: trust_size,
        },
    })
}

/// Output formats of `generate`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// The bundle: role metadata, trust policy, permission policies, provenance
    #[default]
    Json,
    /// A CloudFormation template (AWS::IAM::Role + AWS::IAM::ManagedPolicy)
    Cloudformation,
    /// Terraform (aws_iam_role + aws_iam_policy + attachments)
    Terraform,
    /// A review report for a pull request (Markdown)
    Markdown,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::Json,
        Format::Cloudformation,
        Format::Terraform,
        Format::Markdown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Cloudformation => "cloudformation",
            Format::Terraform => "terraform",
            Format::Markdown => "markdown",
        }
    }

    fn iac(self) -> Option<crate::iac::IacFormat> {
        match self {
            Format::Json | Format::Markdown => None,
            Format::Cloudformation => Some(crate::iac::IacFormat::CloudFormation),
            Format::Terraform => Some(crate::iac::IacFormat::Terraform),
        }
    }
}

/// A role in its output format: the text for stdout or `--output`; [`Produced::files`] for
/// `--out-dir`.
pub struct Produced {
    pub generated: Generated,
    pub text: String,
    format: Format,
}

impl Produced {
    pub fn format(&self) -> Format {
        self.format
    }

    /// The files `--out-dir` holds, by name. Built on demand: a role printed to stdout (the common
    /// case) never serializes its documents a second time.
    pub fn files(&self) -> Vec<(String, String)> {
        if self.format != Format::Json {
            let name = match self.format.iac() {
                Some(iac) => iac.file_name(),
                None => REVIEW_FILE,
            };
            return vec![(name.to_string(), self.text.clone())];
        }
        let generated = &self.generated;
        let mut files = vec![(TRUST_FILE.to_string(), to_pretty(&generated.trust_policy))];
        let count = generated.permission_policies.len();
        for (index, (_, document)) in generated.permission_policies.iter().enumerate() {
            let name = if count == 1 {
                format!("{PERMISSION_STEM}.json")
            } else {
                format!("{PERMISSION_STEM}-{}.json", index + 1)
            };
            files.push((name, to_pretty(document)));
        }
        files.push((BUNDLE_FILE.to_string(), self.text.clone()));
        files
    }
}

const TRUST_FILE: &str = "trust-policy.json";
const BUNDLE_FILE: &str = "bundle.json";
const REVIEW_FILE: &str = "review.md";
const PERMISSION_STEM: &str = "permission-policy";

/// Whether `name` is one that [`Produced::files`] gives a file of some role, in any format: an
/// output folder's files of that name belong to the role in it. Used to keep a command's inputs
/// out of the files it writes, and so that `--force` takes away the files of the earlier role that
/// the new one does not write (`permission-policy-2.json` of a role that needed two policies).
pub fn is_role_file(name: &str) -> bool {
    let permission = name
        .strip_prefix(PERMISSION_STEM)
        .and_then(|rest| rest.strip_suffix(".json"));
    let numbered = |n: &str| {
        // `-1`, `-2`, … as `files` writes them: no sign, no leading zero.
        n.strip_prefix('-').is_some_and(|digits| {
            !digits.is_empty()
                && !digits.starts_with('0')
                && digits.bytes().all(|b| b.is_ascii_digit())
        })
    };
    [TRUST_FILE, BUNDLE_FILE, REVIEW_FILE].contains(&name)
        || crate::iac::IacFormat::ALL
            .iter()
            .any(|iac| iac.file_name() == name)
        || permission.is_some_and(|rest| rest.is_empty() || numbered(rest))
}

/// Whether `name` is a file [`Produced::files`] gives a role of the JSON format: the trust
/// policy, the bundle, and the permission policies however many there are.
fn is_json_role_file(name: &str) -> bool {
    [TRUST_FILE, BUNDLE_FILE].contains(&name)
        || (is_role_file(name) && name.starts_with(PERMISSION_STEM))
}

impl Format {
    /// The files of an output folder that a role of this format replaces with `--force`: its own
    /// names only, so that the JSON files and `main.tf` of one role can sit side by side, while a
    /// JSON role that now needs one policy takes away the `permission-policy-2.json` of the last.
    pub fn owns(self) -> fn(&str) -> bool {
        match self {
            Format::Json => is_json_role_file,
            Format::Cloudformation => {
                |name| name == crate::iac::IacFormat::CloudFormation.file_name()
            }
            Format::Terraform => |name| name == crate::iac::IacFormat::Terraform.file_name(),
            Format::Markdown => |name| name == REVIEW_FILE,
        }
    }
}

/// Pretty JSON with a final newline: the byte-stable form of every JSON mlrole writes.
pub fn to_pretty<T: Serialize + ?Sized>(value: &T) -> String {
    pretty_into(Vec::with_capacity(128), value)
}

/// [`to_pretty`] into `buffer`, whose capacity the caller chose.
fn pretty_into<T: Serialize + ?Sized>(mut buffer: Vec<u8>, value: &T) -> String {
    if serde_json::to_writer_pretty(&mut buffer, value).is_err() {
        buffer.clear();
    }
    buffer.push(b'\n');
    String::from_utf8(buffer).unwrap_or_default()
}

/// Generates the role and renders it in `format`.
pub fn produce(
    catalog: &Catalog,
    renderer: &Renderer,
    request: &RoleRequest,
    format: Format,
    inline: bool,
) -> Result<Produced> {
    let inline_misplaced = |help: Option<String>| Error::Usage {
        message: "`--inline` applies to `--format cloudformation` and `--format terraform`".into(),
        help,
    };
    let (generated, text) = match format.iac() {
        None if format == Format::Markdown => {
            if inline {
                return Err(inline_misplaced(None));
            }
            let generated = generate(catalog, renderer, request)?;
            let text = crate::review::render(renderer, &generated, request.max_policies)?;
            (generated, text)
        }
        None => {
            if inline {
                return Err(inline_misplaced(Some(
                    "the JSON bundle lists the policy documents; attach them as you like".into(),
                )));
            }
            let generated = generate(catalog, renderer, request)?;
            let text = generated.bundle_text();
            (generated, text)
        }
        Some(iac) => {
            let generated = generate_for(catalog, renderer, request, iac.target())?;
            let text = crate::iac::render(renderer, &generated, iac, inline)?;
            (generated, text)
        }
    };
    Ok(Produced {
        generated,
        text,
        format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_files_are_the_names_an_out_dir_gets() {
        for name in [
            "trust-policy.json",
            "bundle.json",
            "review.md",
            "template.yaml",
            "main.tf",
            "permission-policy.json",
            "permission-policy-1.json",
            "permission-policy-20.json",
        ] {
            assert!(is_role_file(name), "{name}");
        }
        for name in [
            "notes.md",
            "permission-policy-.json",
            "permission-policy-01.json",
            "permission-policy-0.json",
            "permission-policy-+1.json",
            "permission-policy-1.json.bak",
            "permission-policy-x.json",
            "Bundle.json",
            ".mlrole-abc123",
            "boundary-bundle.json",
        ] {
            assert!(!is_role_file(name), "{name}");
        }
    }
}
