//! Validators for the values that name *who* a policy is about: principals in trust and bucket
//! policies, `sts:ExternalId` values, S3 key prefixes and IAM group names. Like `validate`, they
//! are strict on purpose: every value ends up inside policy JSON, so anything that could close a
//! JSON string or open a policy variable (`"`, `\`, `${`) is rejected, never escaped.
//!
//! Principals are IAM role ARNs, account root ARNs or bare 12-digit account ids (which become
//! `arn:<partition>:iam::<id>:root`). IAM groups are never principals: IAM does not authenticate a
//! group, so a policy cannot name one. IAM users are refused too: mlrole trusts roles (temporary
//! credentials, visible in CloudTrail as sessions) or whole accounts (whose administrators then
//! decide which of their users and roles may act), never one user's long-term credentials.

use crate::error::{Error, Result};
use crate::validate::{self, Partition};

/// The reason shown when a group ARN is given to trust.
pub const GROUP_NOT_PRINCIPAL: &str =
    "IAM groups cannot be principals: trust a role its members assume, or the account";
/// The reason shown when a group ARN is given to a resource-based policy.
pub const GROUP_NOT_GRANTEE: &str =
    "IAM groups are not principals: grant a role its members assume, or the account";

/// What the principal is for: it changes only how a refusal is worded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// A trust policy (who may assume a role).
    Trust,
    /// A resource-based policy (who may act on a resource).
    Grant,
}

const PRINCIPAL_HELP: &str = "an IAM role ARN (`arn:aws:iam::444455556666:role/ml-ci`), an account root ARN (`arn:aws:iam::444455556666:root`) or a 12-digit account id";

/// A principal for a trust or resource-based policy, normalised to an ARN: a role ARN as given,
/// or an account as `arn:<partition>:iam::<account>:root`.
pub fn principal(value: &str, field: &str, partition: Partition, usage: Use) -> Result<String> {
    if value.len() == 12 && value.chars().all(|c| c.is_ascii_digit()) {
        return Ok(format!("arn:{partition}:iam::{value}:root"));
    }
    let reject = |reason: &str| {
        Err(Error::invalid_with_help(
            field,
            value,
            reason,
            PRINCIPAL_HELP,
        ))
    };
    if value.contains('*') || value.contains('?') {
        return reject("a principal has no wildcards: name the role or the account");
    }
    let Some(arn) = validate::split_arn(value) else {
        return reject("not an ARN or a 12-digit account id");
    };
    if arn.service == "sts" {
        return reject(
            "an STS session ARN names one session, not a principal that lasts: give the role's ARN",
        );
    }
    if arn.service != "iam" || !arn.region.is_empty() {
        return reject("not an IAM principal ARN");
    }
    if arn.partition != partition.as_str() {
        return Err(Error::invalid_with_help(
            field,
            value,
            format!(
                "the ARN is in partition `{}` but the policy is for `{partition}`",
                arn.partition
            ),
            format!(
                "use an ARN that starts with `arn:{partition}:`, or pass `--partition {}`",
                arn.partition
            ),
        ));
    }
    if validate::account_id(arn.account, field).is_err() {
        return reject("the ARN's account is not 12 digits");
    }
    if arn.resource == "root" {
        return Ok(value.to_string());
    }
    if arn.resource.starts_with("group/") {
        return Err(Error::invalid_with_help(
            field,
            value,
            match usage {
                Use::Trust => GROUP_NOT_PRINCIPAL,
                Use::Grant => GROUP_NOT_GRANTEE,
            },
            "IAM does not authenticate a group, so no policy can name one; its members act through a role they may assume (allow them `sts:AssumeRole` on it in the group's policy)",
        ));
    }
    if arn.resource.starts_with("user/") {
        let (reason, help) = match usage {
            Use::Trust => (
                "IAM users are not trusted by mlrole: a user's long-term keys should not reach another account's roles directly",
                "trust a role the user assumes (with MFA), or the user's account",
            ),
            Use::Grant => (
                "IAM users are not granted access by mlrole: the policy is for roles (temporary credentials) and accounts",
                "grant the role the user or job acts as, or the user's account",
            ),
        };
        return Err(Error::invalid_with_help(field, value, reason, help));
    }
    if !arn.resource.starts_with("role/") {
        return reject("not a role ARN or an account root ARN");
    }
    validate::role_arn(value, field, partition, None)
}

/// An external id for `sts:ExternalId`: what `AssumeRole` accepts, 2-1,224 of `[A-Za-z0-9_+=,.@:/-]`.
pub fn external_id(value: &str, field: &str) -> Result<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c);
    if !(2..=1224).contains(&value.len()) || !value.chars().all(allowed) {
        return Err(Error::invalid_with_help(
            field,
            value,
            "an external id has 2 to 1,224 letters, digits and `_+=,.@:/-`",
            "use the id the third party gave you, e.g. `Partner-7f3a9c`",
        ));
    }
    Ok(value.to_string())
}

/// An S3 key prefix for artifacts, without leading or trailing `/`: segments of letters, digits
/// and `!-_.'()`, joined by `/`. No wildcards (`*`, `?`), which would widen the grant.
pub fn key_prefix(value: &str, field: &str) -> Result<String> {
    let trimmed = value.strip_suffix('/').unwrap_or(value);
    let valid = !trimmed.is_empty()
        && trimmed.len() <= 512
        && !trimmed.starts_with('/')
        && trimmed.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!-_.'()".contains(c))
        });
    if valid {
        Ok(trimmed.to_string())
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            "not an S3 key prefix mlrole accepts",
            "segments of letters, digits and `!-_.'()` joined by `/`, no wildcards, e.g. `models/team-a`",
        ))
    }
}

/// An IAM group name: 1-128 of `[A-Za-z0-9+=,.@_-]`.
pub fn group_name(value: &str, field: &str) -> Result<String> {
    let valid =
        (1..=128).contains(&value.len()) && value.chars().all(crate::validate::is_iam_name_char);
    if valid {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            "an IAM group name has 1 to 128 letters, digits and `+=,.@_-`",
            "for example `SageMaker-DataScientist-Users`",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELD: &str = "--trust-principal";

    fn principal_t(value: &str, field: &str, partition: Partition) -> Result<String> {
        principal(value, field, partition, Use::Trust)
    }

    #[test]
    fn principals_are_roles_and_accounts() {
        let p = Partition::Aws;
        assert_eq!(
            principal_t("444455556666", FIELD, p).unwrap(),
            "arn:aws:iam::444455556666:root"
        );
        assert_eq!(
            principal_t("444455556666", FIELD, Partition::AwsCn).unwrap(),
            "arn:aws-cn:iam::444455556666:root"
        );
        for good in [
            "arn:aws:iam::444455556666:root",
            "arn:aws:iam::444455556666:role/ml-ci",
            "arn:aws:iam::444455556666:role/service-role/SageMaker-Compute",
        ] {
            assert_eq!(principal_t(good, FIELD, p).unwrap(), good);
        }
    }

    #[test]
    fn groups_users_sessions_and_wildcards_are_refused() {
        let p = Partition::Aws;
        let error = principal_t("arn:aws:iam::444455556666:group/ml", FIELD, p).unwrap_err();
        assert!(error.to_string().contains(GROUP_NOT_PRINCIPAL), "{error}");
        assert_eq!(error.exit_code(), 2);
        let error = principal(
            "arn:aws:iam::444455556666:group/ml",
            "--read-principal",
            p,
            Use::Grant,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("groups are not principals"),
            "{error}"
        );
        let error = principal_t("arn:aws:iam::444455556666:user/alice", FIELD, p).unwrap_err();
        assert!(error.to_string().contains("IAM users"), "{error}");
        for bad in [
            "*",
            "arn:aws:iam::*:root",
            "arn:aws:iam::444455556666:role/*",
            "arn:aws:sts::444455556666:assumed-role/ml-ci/session",
            "arn:aws:iam::44445555666:root",
            "arn:aws:iam:us-east-1:444455556666:root",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::444455556666:role/a\"b",
            "arn:aws:iam::444455556666:role/${aws:username}",
            "arn:aws:iam::444455556666:policy/p",
            "4444555566667",
            "",
        ] {
            assert!(principal_t(bad, FIELD, p).is_err(), "{bad}");
        }
        let error = principal_t("arn:aws-cn:iam::444455556666:root", FIELD, p).unwrap_err();
        assert!(error.help().unwrap().contains("--partition aws-cn"));
    }

    #[test]
    fn external_ids_use_sts_characters() {
        assert!(external_id("Partner-7f3a9c", "--external-id").is_ok());
        assert!(external_id("a:b/c@d.e,f=g+h_i", "--external-id").is_ok());
        for bad in [
            "x",
            "a b",
            "a\"b",
            "a\\b",
            "${aws:username}",
            &"a".repeat(1225),
        ] {
            assert!(external_id(bad, "--external-id").is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_have_no_wildcards() {
        assert_eq!(key_prefix("models/", "--write-prefix").unwrap(), "models");
        assert_eq!(
            key_prefix("models/team-a", "--write-prefix").unwrap(),
            "models/team-a"
        );
        for bad in [
            "", "/", "/models", "a//b", "a/*", "a?", "a/../b", "a\"b", "${x}",
        ] {
            assert!(key_prefix(bad, "--write-prefix").is_err(), "{bad}");
        }
    }

    /// Property: whatever the input, an accepted principal, external id or prefix never holds a
    /// character that could break out of a JSON string or open a policy variable.
    #[test]
    fn nothing_accepted_can_escape_a_policy_string() {
        let alphabet: Vec<char> = "aZ09:/-_*?\"\\${}@.=+,!'() \n".chars().collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let prefixes = [
            "",
            "arn:aws:iam::444455556666:role/",
            "arn:aws:iam::444455556666:",
        ];
        for _ in 0..20_000 {
            let prefix = prefixes[(next() % 3) as usize];
            let len = (next() % 12) as usize;
            let tail: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let value = format!("{prefix}{tail}");
            let safe = |s: &str| {
                !s.contains('"')
                    && !s.contains('\\')
                    && !s.contains("${")
                    && !s.contains('*')
                    && !s.chars().any(char::is_control)
            };
            for accepted in [
                principal(&value, FIELD, Partition::Aws, Use::Grant).ok(),
                external_id(&value, "--external-id").ok(),
                key_prefix(&value, "--write-prefix").ok(),
                group_name(&value, "--group-name").ok(),
            ]
            .into_iter()
            .flatten()
            {
                assert!(safe(&accepted), "{value:?} accepted as {accepted:?}");
            }
        }
    }
}
