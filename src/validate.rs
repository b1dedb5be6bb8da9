//! Validators for every kind of value a user supplies. Flags, spec files and the wizard all use
//! these, so a value is judged the same way whichever door it came in by. Each validator is strict
//! on purpose: values end up inside policy JSON, so anything that could close a JSON string or open
//! a policy variable (`"`, `\`, `${`) is rejected, never escaped.

use crate::error::{Error, Result};

/// The AWS partitions mlrole generates for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Partition {
    Aws,
    AwsCn,
    AwsUsGov,
}

impl Partition {
    pub const ALL: [Partition; 3] = [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov];

    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// Domain of the partition's service endpoints, used in `kms:ViaService` values.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::AwsCn => "amazonaws.com.cn",
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
        }
    }

    /// Service principal for a trust policy. SageMaker, EMR Serverless, Bedrock and the other
    /// services mlrole trusts use `<service>.amazonaws.com` in every partition (the `.com.cn`
    /// form exists only for a few legacy services such as EC2, which mlrole never trusts).
    pub fn service_principal(self, service: &str) -> String {
        format!("{service}.amazonaws.com")
    }

    pub fn parse(value: &str, field: &str) -> Result<Self> {
        Partition::ALL
            .into_iter()
            .find(|p| p.as_str() == value)
            .ok_or_else(|| {
                Error::invalid_with_help(
                    field,
                    value,
                    "unknown partition",
                    "use `aws`, `aws-cn` or `aws-us-gov`",
                )
            })
    }

    /// The partition a region belongs to.
    pub fn of_region(region: &str) -> Partition {
        if region.starts_with("cn-") {
            Partition::AwsCn
        } else if region.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else {
            Partition::Aws
        }
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn all_chars(value: &str, allowed: impl Fn(char) -> bool) -> bool {
    value.chars().all(allowed)
}

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// A 12-digit AWS account id.
pub fn account_id(value: &str, field: &str) -> Result<String> {
    if value.len() == 12 && all_chars(value, |c| c.is_ascii_digit()) {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            "an AWS account id is exactly 12 digits",
            "for example `111122223333` (keep leading zeros)",
        ))
    }
}

/// A region name such as `us-east-1`, `cn-north-1` or `us-gov-west-1`.
pub fn region(value: &str, field: &str) -> Result<String> {
    let parts: Vec<&str> = value.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && all_chars(p, lower_alnum))
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit());
    if well_formed {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            "not a region name",
            "for example `us-east-1`, `eu-west-1`, `cn-north-1`, `us-gov-west-1`",
        ))
    }
}

/// An S3 bucket name, by S3's general-purpose bucket naming rules.
pub fn bucket_name(value: &str, field: &str) -> Result<String> {
    let reject = |reason: &str| {
        let help = if value.starts_with("arn:") || value.starts_with("s3://") {
            "give the bucket name only, e.g. `my-ml-data`, not an ARN or URL"
        } else {
            "3-63 characters: lower-case letters, digits, `.` and `-`, starting and ending with a letter or digit"
        };
        Err(Error::invalid_with_help(field, value, reason, help))
    };
    if !(3..=63).contains(&value.len()) {
        return reject("a bucket name has 3 to 63 characters");
    }
    if !all_chars(value, |c| lower_alnum(c) || c == '.' || c == '-') {
        return reject("a bucket name has only lower-case letters, digits, `.` and `-`");
    }
    let first = value.chars().next().unwrap_or('-');
    let last = value.chars().last().unwrap_or('-');
    if !lower_alnum(first) || !lower_alnum(last) {
        return reject("a bucket name starts and ends with a letter or digit");
    }
    if value.contains("..") || value.contains(".-") || value.contains("-.") {
        return reject("a bucket name has no `..`, `.-` or `-.`");
    }
    if value.split('.').count() == 4 && value.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return reject("a bucket name is not formatted as an IP address");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if value.starts_with(prefix) {
            return reject(&format!("a bucket name does not start with `{prefix}`"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", "--x-s3", ".mrap"] {
        if value.ends_with(suffix) {
            return reject(&format!("a bucket name does not end with `{suffix}`"));
        }
    }
    Ok(value.to_string())
}

/// Parsed `arn:partition:service:region:account:resource`.
pub struct ArnParts<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

pub fn split_arn(value: &str) -> Option<ArnParts<'_>> {
    let mut parts = value.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    Some(ArnParts {
        partition: parts.next()?,
        service: parts.next()?,
        region: parts.next()?,
        account: parts.next()?,
        resource: parts.next()?,
    })
}

fn check_arn_partition(
    arn: &ArnParts<'_>,
    partition: Partition,
    field: &str,
    value: &str,
) -> Result<()> {
    if arn.partition != partition.as_str() {
        return Err(Error::invalid_with_help(
            field,
            value,
            format!(
                "the ARN is in partition `{}` but the role is for `{partition}`",
                arn.partition
            ),
            format!(
                "use an ARN that starts with `arn:{partition}:`, or pass `--partition {}`",
                arn.partition
            ),
        ));
    }
    Ok(())
}

/// An IAM role ARN, e.g. `arn:aws:iam::111122223333:role/service-role/SageMaker-Compute`.
pub fn role_arn(
    value: &str,
    field: &str,
    partition: Partition,
    account: Option<&str>,
) -> Result<String> {
    let help = "for example `arn:aws:iam::111122223333:role/service-role/SageMaker-Compute`";
    let Some(arn) = split_arn(value) else {
        return Err(Error::invalid_with_help(field, value, "not an ARN", help));
    };
    if arn.service != "iam" || !arn.region.is_empty() || !arn.resource.starts_with("role/") {
        return Err(Error::invalid_with_help(
            field,
            value,
            "not an IAM role ARN",
            help,
        ));
    }
    check_arn_partition(&arn, partition, field, value)?;
    account_id(arn.account, field).map_err(|_| {
        Error::invalid_with_help(
            field,
            value,
            "the role ARN's account is not 12 digits",
            help,
        )
    })?;
    if let Some(account) = account {
        if arn.account != account {
            return Err(Error::invalid_with_help(
                field,
                value,
                format!(
                    "the role is in account {} but the role being generated is in {account}",
                    arn.account
                ),
                "iam:PassRole only passes roles of the caller's own account",
            ));
        }
    }
    let path_and_name = &arn.resource["role/".len()..];
    let name = path_and_name.rsplit('/').next().unwrap_or("");
    role_name(name, field).map_err(|_| {
        Error::invalid_with_help(
            field,
            value,
            "the role name in the ARN is not a valid IAM role name",
            help,
        )
    })?;
    if !all_chars(path_and_name, |c| {
        c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c)
    }) {
        return Err(Error::invalid_with_help(
            field,
            value,
            "the role path has characters IAM does not allow",
            help,
        ));
    }
    Ok(value.to_string())
}

/// The characters IAM allows in role, group and policy names: `[A-Za-z0-9+=,.@_-]`.
pub(crate) fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// An IAM role name: 1-64 of `[A-Za-z0-9+=,.@_-]`.
pub fn role_name(value: &str, field: &str) -> Result<String> {
    if value.is_empty() || value.len() > 64 {
        return Err(Error::invalid_with_help(
            field,
            value,
            format!(
                "an IAM role name has 1 to 64 characters (this one has {})",
                value.chars().count()
            ),
            "shorten the name",
        ));
    }
    if !all_chars(value, is_iam_name_char) {
        return Err(Error::invalid_with_help(
            field,
            value,
            "an IAM role name has only letters, digits and `+=,.@_-`",
            "for example `SageMaker-DataScientist`",
        ));
    }
    Ok(value.to_string())
}

/// An ECR repository name or ARN; names become ARNs in the role's account and region.
pub fn ecr_repository(value: &str, field: &str, partition: Partition) -> Result<EcrRepo> {
    let help = "a repository name such as `my-team/training-image`, or its ARN `arn:aws:ecr:us-east-1:111122223333:repository/my-team/training-image`";
    if let Some(arn) = split_arn(value) {
        check_arn_partition(&arn, partition, field, value)?;
        let name = arn.resource.strip_prefix("repository/");
        let valid = arn.service == "ecr"
            && region(arn.region, field).is_ok()
            && account_id(arn.account, field).is_ok()
            && name.is_some_and(is_ecr_name);
        if !valid {
            return Err(Error::invalid_with_help(
                field,
                value,
                "not an ECR repository ARN",
                help,
            ));
        }
        return Ok(EcrRepo::Arn(value.to_string()));
    }
    if is_ecr_name(value) {
        Ok(EcrRepo::Name(value.to_string()))
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            "not an ECR repository name",
            help,
        ))
    }
}

/// A repository as given: full ARN, or a name to place in the role's account/region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcrRepo {
    Arn(String),
    Name(String),
}

fn is_ecr_name(name: &str) -> bool {
    (2..=256).contains(&name.len())
        && name.split('/').all(|component| {
            !component.is_empty()
                && all_chars(component, |c| lower_alnum(c) || "._-".contains(c))
                && component.starts_with(lower_alnum)
                && component.ends_with(lower_alnum)
        })
}

/// A full KMS key ARN. Key ids and aliases are refused: IAM resources and the SageMaker
/// `...KmsKeyArn` condition keys need the key ARN (one of Role Manager's defects).
pub fn kms_key_arn(
    value: &str,
    field: &str,
    partition: Partition,
    role_region: Option<&str>,
) -> Result<String> {
    let help = "the key's full ARN, e.g. `arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab` (`aws kms describe-key --key-id ALIAS --query KeyMetadata.Arn`)";
    let Some(arn) = split_arn(value) else {
        let reason = if value.starts_with("alias/") {
            "an alias is not a key ARN"
        } else {
            "a key id is not a key ARN"
        };
        return Err(Error::invalid_with_help(field, value, reason, help));
    };
    if arn.service != "kms" {
        return Err(Error::invalid_with_help(
            field,
            value,
            "not a KMS ARN",
            help,
        ));
    }
    if arn.resource.starts_with("alias/") {
        return Err(Error::invalid_with_help(
            field,
            value,
            "an alias ARN is not a key ARN",
            help,
        ));
    }
    check_arn_partition(&arn, partition, field, value)?;
    let key_id = arn.resource.strip_prefix("key/").unwrap_or("");
    let valid_id = if let Some(mrk) = key_id.strip_prefix("mrk-") {
        mrk.len() == 32 && all_chars(mrk, |c| c.is_ascii_hexdigit())
    } else {
        is_uuid(key_id)
    };
    if region(arn.region, field).is_err() || account_id(arn.account, field).is_err() || !valid_id {
        return Err(Error::invalid_with_help(
            field,
            value,
            "not a KMS key ARN",
            help,
        ));
    }
    if let Some(role_region) = role_region {
        if arn.region != role_region && !key_id.starts_with("mrk-") {
            return Err(Error::invalid_with_help(
                field,
                value,
                format!("the key is in {} but the role is for {role_region}", arn.region),
                "SageMaker can only use a KMS key of its own region (or a multi-Region replica there)",
            ));
        }
    }
    Ok(value.to_string())
}

fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && all_chars(g, |c| c.is_ascii_hexdigit()))
}

fn ec2_id(value: &str, field: &str, prefix: &str, what: &str) -> Result<String> {
    let hex = value.strip_prefix(prefix).unwrap_or("");
    if (hex.len() == 8 || hex.len() == 17)
        && all_chars(hex, |c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            format!("not a {what} id"),
            format!("`{prefix}` followed by 8 or 17 lower-case hex digits, e.g. `{prefix}0abc1234def567890`"),
        ))
    }
}

pub fn subnet_id(value: &str, field: &str) -> Result<String> {
    ec2_id(value, field, "subnet-", "subnet")
}

pub fn security_group_id(value: &str, field: &str) -> Result<String> {
    ec2_id(value, field, "sg-", "security group")
}

/// An Athena workgroup name: 1-128 of letters, digits, `.`, `_`, `-`.
pub fn athena_workgroup(value: &str, field: &str) -> Result<String> {
    if (1..=128).contains(&value.len())
        && all_chars(value, |c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            "not an Athena workgroup name",
            "1-128 letters, digits, `.`, `_` or `-`, e.g. `primary`",
        ))
    }
}

/// A Glue database name. Glue stores names in lower case, so an upper-case name would never match.
pub fn glue_database(value: &str, field: &str) -> Result<String> {
    if (1..=255).contains(&value.len())
        && all_chars(value, |c| lower_alnum(c) || c == '_' || c == '-')
    {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            "not a Glue database name",
            "lower-case letters, digits, `_` and `-` (Glue stores database names in lower case)",
        ))
    }
}

/// An Amazon Kendra index id: 36 letters, digits and `-`, starting with a letter or digit
/// (Kendra's own pattern), e.g. `0123abcd-ef01-2345-6789-abcdef012345`.
pub fn kendra_index_id(value: &str, field: &str) -> Result<String> {
    let valid = value.len() == 36
        && all_chars(value, |c| c.is_ascii_alphanumeric() || c == '-')
        && value.starts_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(value.to_string())
    } else {
        let help = if value.starts_with("arn:") {
            "give the index id only (the last part of its ARN), e.g. `0123abcd-ef01-2345-6789-abcdef012345`"
        } else {
            "36 letters, digits and `-`, e.g. `0123abcd-ef01-2345-6789-abcdef012345` (`aws kendra list-indices`)"
        };
        Err(Error::invalid_with_help(
            field,
            value,
            "not an Amazon Kendra index id",
            help,
        ))
    }
}

/// A SageMaker domain id such as `d-abcdef123456`.
pub fn domain_id(value: &str, field: &str) -> Result<String> {
    let rest = value.strip_prefix("d-").unwrap_or("");
    if rest.len() == 12 && all_chars(rest, lower_alnum) {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            "not a SageMaker domain id",
            "`d-` followed by 12 lower-case letters or digits, e.g. `d-abcdef123456`",
        ))
    }
}

/// A SageMaker user profile name: up to 63 letters, digits and inner hyphens.
pub fn user_profile(value: &str, field: &str) -> Result<String> {
    let valid = (1..=63).contains(&value.len())
        && all_chars(value, |c| c.is_ascii_alphanumeric() || c == '-')
        && value.starts_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            "not a SageMaker user profile name",
            "1-63 letters, digits and `-`, starting with a letter or digit",
        ))
    }
}

/// A role tag `KEY=VALUE` (IAM: key 1-128, value 0-256 characters, no `aws:` prefix).
pub fn tag(key: &str, value: &str, field: &str) -> Result<(String, String)> {
    let allowed = |c: char| c.is_alphanumeric() || " _.:/=+-@".contains(c);
    let shown = format!("{key}={value}");
    if key.is_empty() || key.chars().count() > 128 || !key.chars().all(allowed) {
        return Err(Error::invalid_with_help(
            field,
            shown,
            "a tag key has 1-128 letters, digits, spaces and `_.:/=+-@`",
            "for example `--tag team=ml-platform`",
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(Error::invalid(
            field,
            shown,
            "tag keys starting with `aws:` are reserved for AWS",
        ));
    }
    if value.chars().count() > 256 || !value.chars().all(allowed) {
        return Err(Error::invalid(
            field,
            shown,
            "a tag value has at most 256 letters, digits, spaces and `_.:/=+-@`",
        ));
    }
    Ok((key.to_string(), value.to_string()))
}

/// A role description: at most 1,000 printable characters without quotes or backslashes.
pub fn description(value: &str, field: &str) -> Result<String> {
    if value.chars().count() > 1000 {
        return Err(Error::invalid(
            field,
            format!("{}…", value.chars().take(40).collect::<String>()),
            "a role description has at most 1,000 characters",
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\')
        || value.contains("${")
    {
        return Err(Error::invalid(
            field,
            value,
            "a role description has no control characters, quotes, backslashes or `${`",
        ));
    }
    Ok(value.to_string())
}

/// A role path: `/`, or `/segment/.../` of IAM's path characters, at most 512 characters.
pub fn role_path(value: &str, field: &str) -> Result<String> {
    // IAM allows any printable ASCII between the slashes; the path reaches ARNs in policies
    // (trust conditions, PassRole resources), where `*` and `?` would be wildcards, `${` a policy
    // variable and `"` or `\` break out of a string, so mlrole accepts the characters of role
    // names only, and says so.
    let problem = if value.chars().count() > 512 {
        Some("IAM paths have at most 512 characters".to_string())
    } else if !value.starts_with('/') || !value.ends_with('/') {
        Some("an IAM path starts and ends with `/`".to_string())
    } else if value.contains("//") {
        Some("an IAM path has no empty segment (`//`)".to_string())
    } else {
        value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "/+=,.@_-".contains(*c)))
            .map(|c| {
                format!(
                    "`{c}` is not accepted: mlrole takes letters, digits and `+=,.@_-` between the slashes, the characters of role names (IAM allows more punctuation, but the path reaches ARNs in policies, where `*`, `?`, `$`, quotes and backslashes change their meaning)"
                )
            })
    };
    match problem {
        None => Ok(value.to_string()),
        Some(reason) => Err(Error::invalid_with_help(
            field,
            value,
            reason,
            "e.g. `/service-role/` or `/ml/team-a/`",
        )),
    }
}

/// Max session duration in seconds, 3,600 to 43,200 (1 to 12 hours).
pub fn max_session_duration(value: u32, field: &str) -> Result<u32> {
    if (3600..=43200).contains(&value) {
        Ok(value)
    } else {
        Err(Error::invalid(
            field,
            value.to_string(),
            "IAM allows 3600 to 43200 seconds (1 to 12 hours)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_s3_rules() {
        for good in ["my-ml-data", "abc", "a.b-c1", "0bucket9"] {
            assert!(bucket_name(good, "--bucket").is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "My-Bucket",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "arn:aws:s3:::abc",
            "a\"b",
            "a${x}b",
            "abc-s3alias",
        ] {
            assert!(bucket_name(bad, "--bucket").is_err(), "{bad}");
        }
    }

    #[test]
    fn kms_needs_full_key_arns() {
        let good = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(kms_key_arn(good, "--data-kms-key", Partition::Aws, Some("us-east-1")).is_ok());
        assert!(kms_key_arn(good, "--data-kms-key", Partition::Aws, Some("eu-west-1")).is_err());
        assert!(kms_key_arn(good, "--data-kms-key", Partition::AwsCn, None).is_err());
        for bad in [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "alias/ml",
            "arn:aws:kms:us-east-1:111122223333:alias/ml",
        ] {
            assert!(
                kms_key_arn(bad, "--data-kms-key", Partition::Aws, None).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn role_arns_must_be_roles_of_the_account() {
        let arn = "arn:aws:iam::111122223333:role/service-role/SageMaker-Compute";
        assert!(role_arn(arn, "--pass-role", Partition::Aws, Some("111122223333")).is_ok());
        assert!(role_arn(arn, "--pass-role", Partition::Aws, Some("444455556666")).is_err());
        assert!(role_arn(
            "arn:aws:iam::111122223333:user/alice",
            "--pass-role",
            Partition::Aws,
            None
        )
        .is_err());
        assert!(role_arn(
            "arn:aws:iam::111122223333:role/a\"b",
            "--pass-role",
            Partition::Aws,
            None
        )
        .is_err());
    }

    #[test]
    fn names_and_ids() {
        assert!(role_name(&"a".repeat(64), "--role-name").is_ok());
        assert!(role_name(&"a".repeat(65), "--role-name").is_err());
        assert!(role_name("bad name", "--role-name").is_err());
        assert!(subnet_id("subnet-0aaa1111", "--vpc-subnet").is_ok());
        assert!(subnet_id("subnet-0123456789abcdef0", "--vpc-subnet").is_ok());
        assert!(subnet_id("sg-0aaa1111", "--vpc-subnet").is_err());
        assert!(security_group_id("sg-0ccc3333", "--vpc-security-group").is_ok());
        assert!(region("us-gov-west-1", "--region").is_ok());
        assert!(region("useast1", "--region").is_err());
        assert!(matches!(
            ecr_repository("team/img", "--ecr-repo", Partition::Aws),
            Ok(EcrRepo::Name(_))
        ));
        assert!(ecr_repository("Team/Img", "--ecr-repo", Partition::Aws).is_err());
        assert!(domain_id("d-abcdef123456", "--domain-id").is_ok());
        assert!(domain_id("d-ABC", "--domain-id").is_err());
        let index = "0123abcd-ef01-2345-6789-abcdef012345";
        assert!(kendra_index_id(index, "--kendra-index").is_ok());
        for bad in [
            "short",
            "-123abcd-ef01-2345-6789-abcdef012345",
            "0123abcd-ef01-2345-6789-abcdef01234\"",
            "0123abcd-ef01-2345-6789-abcd${x}2345",
            "arn:aws:kendra:us-east-1:111122223333:index/0123",
        ] {
            assert!(kendra_index_id(bad, "--kendra-index").is_err(), "{bad}");
        }
    }
}
