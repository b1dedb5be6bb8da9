//! The placeholders a catalog may use, with the flag that fills each. The table is the contract
//! between catalog authors and the command line: a catalog cannot invent a placeholder no flag fills.

/// One placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParameterInfo {
    pub name: &'static str,
    /// How a user supplies it (shown in "missing parameter" errors).
    pub flag: &'static str,
    /// Lists must be declared in the activity's `parameters`; scalars are always available.
    pub list: bool,
    /// What a value is, for `show` and the wizard.
    pub describe: &'static str,
}

const fn scalar(name: &'static str, flag: &'static str, describe: &'static str) -> ParameterInfo {
    ParameterInfo {
        name,
        flag,
        list: false,
        describe,
    }
}

const fn list(name: &'static str, flag: &'static str, describe: &'static str) -> ParameterInfo {
    ParameterInfo {
        name,
        flag,
        list: true,
        describe,
    }
}

pub const PARAMETERS: &[ParameterInfo] = &[
    scalar("partition", "--partition", "AWS partition"),
    scalar("region", "--region", "region, or `*` when not given"),
    scalar(
        "account",
        "--account",
        "account id, or `${aws:PrincipalAccount}` when not given",
    ),
    scalar(
        "dns_suffix",
        "--partition",
        "the partition's endpoint domain",
    ),
    scalar(
        "domain_id",
        "--domain-id",
        "SageMaker domain id, or `${sagemaker:DomainId}`",
    ),
    scalar(
        "user_profile",
        "--user-profile",
        "Studio user profile, or `${sagemaker:UserProfileName}`",
    ),
    list(
        "buckets",
        "--bucket",
        "S3 buckets the role reads and writes",
    ),
    list(
        "read_buckets",
        "--read-bucket",
        "S3 buckets the role only reads",
    ),
    list(
        "all_buckets",
        "--bucket or --read-bucket",
        "every S3 bucket the role reads",
    ),
    list(
        "ecr_repos",
        "--ecr-repo",
        "ECR repositories the role pulls images from",
    ),
    list(
        "pass_roles",
        "--pass-role",
        "IAM roles the role may pass to SageMaker",
    ),
    list(
        "athena_workgroups",
        "--athena-workgroup",
        "Athena workgroups",
    ),
    list("glue_databases", "--glue-database", "Glue databases"),
    list(
        "vpc_subnets",
        "--vpc-subnet",
        "VPC subnets jobs must run in",
    ),
    list(
        "vpc_security_groups",
        "--vpc-security-group",
        "security groups jobs must use",
    ),
    list(
        "volume_kms_keys",
        "--volume-kms-key",
        "KMS keys for storage volumes",
    ),
    list(
        "data_kms_keys",
        "--data-kms-key",
        "KMS keys for data at rest in S3",
    ),
];

pub fn find(name: &str) -> Option<&'static ParameterInfo> {
    PARAMETERS.iter().find(|p| p.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> + Clone {
    PARAMETERS.iter().map(|p| p.name)
}
