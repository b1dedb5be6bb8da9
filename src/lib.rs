//! mlrole: least-privilege IAM execution roles for SageMaker personas and ML activities, as code.
//!
//! Pipeline: `catalog` (validated YAML) + `request` (validated user choices) → `compose`
//! (statements with provenance) → `policy` (packing into IAM quotas) → `render` (tera) →
//! `generate` (the bundle) → `output` (atomic writes). `cli` is the only module that prints.

pub mod access_policy;
pub mod allocator;
pub mod boundary;
pub mod bucket_policy;
pub mod catalog;
pub mod catalog_lint;
pub mod cli;
pub mod compose;
pub mod diff;
pub mod error;
pub mod generate;
pub mod iac;
pub mod input;
pub mod json_keys;
pub mod lint;
pub mod output;
pub mod params;
pub mod placeholder;
pub mod policy;
pub mod principal;
pub mod reference;
pub mod render;
pub mod request;
pub mod review;
pub mod scaffold;
pub mod schema;
pub mod simulate;
pub mod suggest;
#[cfg(test)]
mod template_compact;
pub mod trust;
pub mod validate;
pub mod verify;
pub mod wizard;
pub mod yaml;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

pub use error::{Diagnostic, Error, Result};
