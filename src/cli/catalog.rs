//! `mlrole list` and `mlrole show`: what the catalog holds, and what each entry grants and why.

use crate::catalog::{Catalog, Requirement};
use crate::error::Result;

use super::{ListWhat, ShowWhat};

pub(super) fn list(catalog: &Catalog, what: ListWhat) -> String {
    let mut text = String::new();
    match what {
        ListWhat::Personas => {
            for persona in &catalog.personas {
                text.push_str(&format!(
                    "{:<26} {}\n{:<26} default activities: {}\n",
                    persona.id,
                    persona.title,
                    "",
                    persona.default_activities.join(", ")
                ));
            }
        }
        ListWhat::Activities => {
            for activity in &catalog.activities {
                let personas = catalog.personas_defaulting_to(&activity.id);
                let by = if personas.is_empty() {
                    String::new()
                } else {
                    format!("  [default for: {}]", personas.join(", "))
                };
                text.push_str(&format!("{:<32} {}{by}\n", activity.id, activity.title));
            }
        }
    }
    text
}

/// The access-level table of a set of activities (actions only: resources are the user's).
fn access_summary(catalog: &Catalog, activities: &[String]) -> String {
    let statements: Vec<serde_json::Value> = activities
        .iter()
        .filter_map(|id| catalog.activity(id).ok())
        .flat_map(|a| &a.statements)
        .filter(|s| s.effect == crate::catalog::Effect::Allow)
        .map(|s| serde_json::json!({"Effect": "Allow", "Action": s.actions, "Resource": "*"}))
        .collect();
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    format!(
        "\naccess levels granted (actions by service):\n{}",
        crate::lint::render_summary(&crate::lint::summary_of_value(&document))
    )
}

pub(super) fn show(catalog: &Catalog, what: ShowWhat, id: &str) -> Result<String> {
    let mut text = String::new();
    match what {
        ShowWhat::Persona => {
            let persona = catalog.persona(id)?;
            text.push_str(&format!(
                "{} ({})\n\n{}\n\n",
                persona.title,
                persona.id,
                persona.description.trim()
            ));
            text.push_str(&format!("role name:          {}\n", persona.role_name));
            text.push_str(&format!(
                "trusted services:   {}\n",
                persona.trust_services.join(", ")
            ));
            if let Some(arn) = &persona.trust_source_arn {
                text.push_str(&format!("trust source ARN:   {arn}\n"));
            }
            text.push_str(&format!(
                "max session:        {} s\n",
                persona.max_session_duration
            ));
            if !persona.required_parameters.is_empty() {
                text.push_str(&format!(
                    "requires:           {} (while a selected activity reads it)\n",
                    persona.required_parameters.join(", ")
                ));
            }
            text.push_str("default activities:\n");
            for activity in &persona.default_activities {
                let title = catalog
                    .activity(activity)
                    .map(|a| a.title.clone())
                    .unwrap_or_default();
                text.push_str(&format!("  - {activity:<30} {title}\n"));
            }
            text.push_str(&access_summary(catalog, &persona.default_activities));
        }
        ShowWhat::Activity => {
            let activity = catalog.activity(id)?;
            text.push_str(&format!(
                "{} ({})\n\n{}\n",
                activity.title,
                activity.id,
                activity.description.trim()
            ));
            // Every value the activity reads, as `generate` checks them: the lists it declares,
            // then what its placeholders and VPC/KMS conditions read (always optional). The
            // partition, region and account are always available and not listed.
            let always = ["partition", "region", "account", "dns_suffix"];
            let declared: Vec<(&str, bool)> = activity
                .parameters
                .iter()
                .map(|(name, requirement)| (name.as_str(), *requirement == Requirement::Required))
                .collect();
            let read = activity.parameters_read();
            let undeclared = read
                .iter()
                .copied()
                .filter(|name| !always.contains(name) && !declared.iter().any(|(d, _)| d == name))
                .map(|name| (name, false));
            let parameters: Vec<(&str, bool)> =
                declared.iter().copied().chain(undeclared).collect();
            if !parameters.is_empty() {
                text.push_str("\nparameters:\n");
                for (name, required) in parameters {
                    let info = crate::params::find(name);
                    let need = if required { "required" } else { "optional" };
                    text.push_str(&format!(
                        "  {name:<20} {need:<9} {} ({})\n",
                        info.map(|p| p.describe).unwrap_or(""),
                        info.map(|p| p.flag).unwrap_or("")
                    ));
                }
                // The pairs `generate` enforces (see `RoleRequest::check_parameters`).
                if read.contains("vpc_subnets") {
                    text.push_str("  (VPC subnets and security groups are given together)\n");
                }
                if activity.reads_both_key_kinds() {
                    text.push_str("  (volume and data KMS keys are given together)\n");
                }
            }
            text.push_str("\nstatements:\n");
            for statement in &activity.statements {
                text.push_str(&format!(
                    "\n  {} [{}]",
                    statement.sid,
                    statement.effect.as_str()
                ));
                if statement.when != crate::catalog::When::Always {
                    text.push_str(&format!(" only with {} settings", statement.when.as_str()));
                }
                text.push_str(&format!(
                    "\n    why: {}\n    actions:\n",
                    statement.why.trim()
                ));
                for action in &statement.actions {
                    text.push_str(&format!("      {action}\n"));
                }
                text.push_str("    resources:\n");
                for resource in &statement.resources {
                    text.push_str(&format!("      {resource}\n"));
                }
                for (operator, key, values) in &statement.conditions {
                    let values: Vec<String> = values.iter().map(ToString::to_string).collect();
                    text.push_str(&format!(
                        "    condition: {operator} {key} = {}\n",
                        values.join(", ")
                    ));
                }
                if !statement.network.is_empty() {
                    text.push_str(&format!(
                        "    network/encryption conditions: {:?}\n",
                        statement.network
                    ));
                }
            }
            if let Some(note) = &activity.role_manager {
                text.push_str("\ncompared with Role Manager");
                if let Some(template) = &note.template {
                    text.push_str(&format!(" ({template})"));
                }
                text.push_str(":\n");
                for difference in &note.differences {
                    text.push_str(&format!("  - {}\n", difference.trim()));
                }
            }
            text.push_str(&access_summary(catalog, std::slice::from_ref(&activity.id)));
        }
    }
    Ok(text)
}
