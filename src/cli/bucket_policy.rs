//! `mlrole bucket-policy`: flags → validated request → rendered, re-checked policy → stdout or file.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::write_out;
use crate::bucket_policy::BucketPolicySpec;
use crate::error::Result;
use crate::render::Renderer;

#[derive(Debug, Args)]
pub struct BucketPolicyArgs {
    /// The bucket the policy is for
    #[arg(
        long,
        value_name = "NAME",
        required = true,
        help_heading = "Bucket policy"
    )]
    pub bucket: String,
    /// Role ARN, account root ARN or 12-digit account id that reads the objects and lists the bucket (repeatable)
    #[arg(
        long = "read-principal",
        value_name = "ARN",
        help_heading = "Bucket policy"
    )]
    pub read_principals: Vec<String>,
    /// Role ARN, account root ARN or account id that writes under --write-prefix (repeatable)
    #[arg(
        long = "write-principal",
        value_name = "ARN",
        help_heading = "Bucket policy"
    )]
    pub write_principals: Vec<String>,
    /// Key prefix the writers may write under, e.g. `models` (they get `<bucket>/<prefix>/*` only)
    #[arg(long, value_name = "PREFIX", help_heading = "Bucket policy")]
    pub write_prefix: Option<String>,
    /// Partition: aws, aws-cn, aws-us-gov (default aws)
    #[arg(long, value_name = "PARTITION", help_heading = "Bucket policy")]
    pub partition: Option<String>,
    /// Write the policy to this file instead of stdout
    #[arg(long, short, value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists
    #[arg(long, help_heading = "Output")]
    pub force: bool,
}

pub(super) fn bucket_policy_command(
    renderer: &Renderer,
    args: &BucketPolicyArgs,
    out: &mut dyn Write,
) -> Result<()> {
    if let Some(path) = &args.output {
        crate::output::check_file_path("--output", path)?;
    }
    let request = BucketPolicySpec {
        bucket: args.bucket.clone(),
        read_principals: args.read_principals.clone(),
        write_principals: args.write_principals.clone(),
        write_prefix: args.write_prefix.clone(),
        partition: args.partition.clone(),
    }
    .resolve()?;
    let text = crate::generate::to_pretty(&request.render(renderer)?);
    match &args.output {
        Some(path) => crate::output::write_one(path, &text, args.force),
        None => write_out(out, &text),
    }
}
