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
    /// The flag's value name in help and hints.
    pub value: &'static str,
}

const fn scalar(
    name: &'static str,
    flag: &'static str,
    describe: &'static str,
    value: &'static str,
) -> ParameterInfo {
    ParameterInfo {
        name,
        flag,
        list: false,
        describe,
        value,
    }
}

const fn list(
    name: &'static str,
    flag: &'static str,
    describe: &'static str,
    value: &'static str,
) -> ParameterInfo {
    ParameterInfo {
        name,
        flag,
        list: true,
        describe,
        value,
    }
}

pub const PARAMETERS: &[ParameterInfo] = &[
    scalar("partition", "--partition", "AWS partition", "PARTITION"),
    scalar(
        "region",
        "--region",
        "region, or `*` when not given",
        "REGION",
    ),
    scalar(
        "account",
        "--account",
        "account id, or `${aws:PrincipalAccount}` when not given",
        "ID",
    ),
    scalar(
        "dns_suffix",
        "--partition",
        "the partition's endpoint domain",
        "PARTITION",
    ),
    scalar(
        "domain_id",
        "--domain-id",
        "SageMaker domain id, or `${sagemaker:DomainId}`",
        "ID",
    ),
    scalar(
        "user_profile",
        "--user-profile",
        "Studio user profile, or `${sagemaker:UserProfileName}`",
        "NAME",
    ),
    list(
        "buckets",
        "--bucket",
        "S3 buckets the role reads and writes",
        "NAME",
    ),
    list(
        "read_buckets",
        "--read-bucket",
        "S3 buckets the role only reads",
        "NAME",
    ),
    list(
        "all_buckets",
        "--bucket or --read-bucket",
        "S3 buckets the role reads",
        "NAME",
    ),
    list(
        "ecr_repos",
        "--ecr-repo",
        "ECR repositories the role pulls images from",
        "NAME|ARN",
    ),
    list(
        "pass_roles",
        "--pass-role",
        "IAM roles the role may pass to SageMaker",
        "ROLE_ARN",
    ),
    list(
        "athena_workgroups",
        "--athena-workgroup",
        "Athena workgroups",
        "NAME",
    ),
    list(
        "glue_databases",
        "--glue-database",
        "Glue databases",
        "NAME",
    ),
    list(
        "vpc_subnets",
        "--vpc-subnet",
        "VPC subnets jobs must run in",
        "ID",
    ),
    list(
        "vpc_security_groups",
        "--vpc-security-group",
        "security groups jobs must use",
        "ID",
    ),
    list(
        "volume_kms_keys",
        "--volume-kms-key",
        "KMS keys for storage volumes",
        "KEY_ARN",
    ),
    list(
        "data_kms_keys",
        "--data-kms-key",
        "KMS keys for data at rest in S3",
        "KEY_ARN",
    ),
    list(
        "kendra_indexes",
        "--kendra-index",
        "Amazon Kendra indexes the role may query",
        "ID",
    ),
    list(
        "emr_serverless_roles",
        "--emr-serverless-role",
        "IAM runtime roles the role may pass to EMR Serverless",
        "ROLE_ARN",
    ),
    list(
        "bedrock_roles",
        "--bedrock-role",
        "IAM roles the role may pass to Amazon Bedrock",
        "ROLE_ARN",
    ),
    list(
        "forecast_roles",
        "--forecast-role",
        "IAM roles the role may pass to Amazon Forecast",
        "ROLE_ARN",
    ),
];

pub fn find(name: &str) -> Option<&'static ParameterInfo> {
    PARAMETERS.iter().find(|p| p.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> + Clone {
    PARAMETERS.iter().map(|p| p.name)
}
