//! Every persona × option combination `generate` can produce lints clean — no error, no warning,
//! no suggestion — in every output format (issue: "every generated policy proven valid").

mod common;

use common::*;
use mlrole::generate::{produce, Format};
use mlrole::render::Renderer;
use mlrole::request::{FieldLabels, RoleSpec};

fn spec(persona: Option<&str>, activities: &[String], network: bool, located: bool) -> RoleSpec {
    let mut args = generate_args(persona, activities, network);
    if !located {
        // Without a region (ARNs take `*`); the account stays: a JSON role needs it.
        let position = args.iter().position(|a| a == "--region").unwrap();
        args.drain(position..position + 2);
    }
    use clap::Parser;
    let cli = mlrole::cli::Cli::try_parse_from(&args).unwrap();
    let mlrole::cli::Command::Generate(generate) = cli.command else {
        unreachable!()
    };
    generate.to_spec()
}

#[test]
fn every_combination_lints_clean() {
    let catalog = catalog();
    let renderer = Renderer::new(None).unwrap();
    let mut combinations = Vec::new();
    for persona in &catalog.personas {
        combinations.push((Some(persona.id.clone()), persona.default_activities.clone()));
    }
    for activity in &catalog.activities {
        combinations.push((None, vec![activity.id.clone()]));
    }
    let mut checked = 0;
    for (persona, activities) in &combinations {
        let (vpc, kms) = network_support(&catalog, activities);
        for network in if vpc || kms {
            vec![false, true]
        } else {
            vec![false]
        } {
            for located in [true, false] {
                // KMS keys are regional: without a region the keys still name us-east-1, which is fine.
                let spec = spec(persona.as_deref(), activities, network, located);
                let request = spec.resolve(&catalog, &FieldLabels::default()).unwrap();
                for format in Format::ALL {
                    let name = format!(
                        "{persona:?} {activities:?} network={network} located={located} {}",
                        format.as_str()
                    );
                    let produced = produce(&catalog, &renderer, &request, format, false)
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert!(
                        produced.generated.findings.is_empty(),
                        "{name}:\n{}",
                        mlrole::lint::render_human(&produced.generated.findings, "generated")
                    );
                    if format == Format::Json {
                        // The printed bundle is serialized from the role's parts; it must be
                        // exactly the bundle value that `verify` and the review read.
                        assert_eq!(
                            produced.text,
                            mlrole::generate::to_pretty(&produced.generated.bundle()),
                            "{name}"
                        );
                        let files = produced.files();
                        assert_eq!(
                            files.last().map(|(n, t)| (n.as_str(), t)),
                            Some(("bundle.json", &produced.text)),
                            "{name}"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 150, "{checked} combinations");
}
