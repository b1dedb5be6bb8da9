//! The catalogue of finding codes: stable kebab-case names, severities and docs.

use serde::{Serialize, Serializer};

use super::Severity;

macro_rules! codes {
    ($( $(#[$meta:meta])* $variant:ident = $name:literal, $sev:ident, $aa:expr, $doc:literal; )*) => {
        /// A lint code. Its kebab-case name is stable and appears in output.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $(#[$meta])* #[doc = $doc] $variant, )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// Stable kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// Default severity (see [`super::deny_warnings`] to promote warnings).
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// One-line description of what the check finds.
            pub fn doc(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }

            /// Name of the IAM Access Analyzer policy check this corresponds
            /// to, if one does.
            pub fn access_analyzer_check(self) -> Option<&'static str> {
                match self { $(Code::$variant => $aa,)* }
            }

            /// Looks a code up by its kebab-case name.
            pub fn from_name(name: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str() == name)
            }
        }
    };
}

codes! {
    JsonSyntax = "json-syntax", Error, Some("Json syntax error"),
        "The text is not valid JSON.";
    DuplicateKey = "duplicate-key", Error, None,
        "An object names a key twice (two `StringLike` blocks in one Condition, two `Resource` elements); JSON readers keep one of the values, and IAM does not document which.";
    InvalidDocument = "invalid-document", Error, None,
        "The document is not a JSON object, or a bundle entry is not shaped as expected.";
    MissingVersion = "missing-version", Warning, Some("Missing version"),
        "No Version element: IAM then uses 2008-10-17, which treats policy variables as literal text.";
    OldVersion = "old-version", Warning, None,
        "Version 2008-10-17 does not support policy variables; use 2012-10-17.";
    InvalidVersion = "invalid-version", Error, Some("Invalid version"),
        "Version is neither 2012-10-17 nor 2008-10-17.";
    MissingStatement = "missing-statement", Error, Some("Missing statement"),
        "No Statement element, or it is empty.";
    InvalidElement = "invalid-element", Error, Some("Invalid policy element"),
        "An element name IAM does not know, or one not allowed in this kind of policy.";
    DataTypeMismatch = "data-type-mismatch", Error, Some("Data type mismatch"),
        "An element has the wrong JSON type (e.g. a number where a string is required).";
    ConflictingElements = "conflicting-elements", Error, Some("Unsupported element combination"),
        "A statement has both Action and NotAction, Resource and NotResource, or Principal and NotPrincipal.";
    MissingEffect = "missing-effect", Error, Some("Missing effect"),
        "A statement has no Effect.";
    InvalidEffect = "invalid-effect", Error, Some("Invalid effect"),
        "Effect is neither \"Allow\" nor \"Deny\" (case-sensitive).";
    MissingAction = "missing-action", Error, Some("Missing action"),
        "A statement has neither Action nor NotAction, or lists none.";
    MissingResource = "missing-resource", Error, Some("Missing resource"),
        "A statement has neither Resource nor NotResource (required outside trust policies).";
    MissingPrincipal = "missing-principal", Error, Some("Missing principal"),
        "A trust or resource policy statement has no Principal.";
    UnsupportedPrincipal = "unsupported-principal", Error, Some("Unsupported principal"),
        "Principal or NotPrincipal in an identity policy or permissions boundary.";
    InvalidPrincipal = "invalid-principal", Error, Some("Invalid principal format"),
        "A principal with an unknown key (not AWS, Service, Federated, CanonicalUser) or a malformed value.";
    GroupPrincipal = "group-principal", Error, None,
        "An IAM group ARN used as a principal; groups are not principals and cannot be named in a policy.";
    AllowWithNotPrincipal = "allow-with-not-principal", Warning, Some("Allow with NotPrincipal"),
        "Allow with NotPrincipal grants access to every principal not listed, including anonymous ones.";
    InvalidSid = "invalid-sid", Error, Some("Unsupported Sid"),
        "Sid holds characters other than ASCII letters and digits (not checked in resource policies, which allow more).";
    DuplicateSid = "duplicate-sid", Error, Some("Unique Sids required"),
        "Two statements share a Sid.";
    MalformedAction = "malformed-action", Error, None,
        "An action is not of the form `service:Action` (letters, digits, `*`, `?`).";
    UnknownService = "unknown-service", Error, Some("Invalid service in action"),
        "The action's service prefix is not an AWS service.";
    UnknownAction = "unknown-action", Error, Some("Invalid action"),
        "The service has no such action.";
    WildcardMatchesNothing = "wildcard-matches-nothing", Error, None,
        "An action wildcard matches no action of the service.";
    RedundantAction = "redundant-action", Suggestion, Some("Redundant action"),
        "An action is listed twice or is already covered by a wildcard in the same statement.";
    RedundantStatement = "redundant-statement", Suggestion, Some("Redundant statement"),
        "A statement is identical to an earlier one (ignoring Sid).";
    RedundantResource = "redundant-resource", Suggestion, Some("Redundant resource"),
        "A resource is listed twice or is already matched by a wildcard resource in the same statement.";
    WildcardInServiceName = "wildcard-in-service-name", Suggestion, Some("Wildcard in service name"),
        "A wildcard in an action's service prefix (`s*:Get*`) can match services you did not mean.";
    ImproveIpRange = "improve-ip-range", Suggestion, Some("Improve IP range"),
        "A CIDR block with bits set after its prefix length; IAM ignores those bits.";
    EmptySid = "empty-sid", Suggestion, Some("Empty Sid value"),
        "Sid is an empty string; give it a value or remove it.";
    MalformedArn = "malformed-arn", Error, Some("Missing ARN field / Invalid ARN prefix"),
        "A resource is neither `*` nor an ARN with six colon-separated fields.";
    InvalidPartition = "invalid-partition", Error, Some("Invalid partition"),
        "The ARN's partition is not an AWS partition (aws, aws-cn, aws-us-gov, ...).";
    InvalidRegion = "invalid-region", Error, Some("Invalid ARN Region"),
        "The ARN's Region field is not a Region code such as us-east-1.";
    InvalidAccount = "invalid-account", Error, Some("Invalid ARN account"),
        "The ARN's account field is not a 12-digit account ID.";
    ResourceTypeMismatch = "resource-type-mismatch", Error, Some("Unsupported resource ARN in policy"),
        "A resource ARN matches the resource types of none of the statement's actions, so it grants nothing.";
    ActionWithoutResource = "action-without-resource", Warning, None,
        "An action accepts none of the statement's resources (or needs `*`), so the statement does not grant it.";
    StarResource = "star-resource", Warning, None,
        "Resource `*` on actions that support resource-level permissions, in an Allow without a Condition; scope them to ARNs.";
    PassRoleStarResource = "passrole-star-resource", Warning, Some("Pass role with star in resource"),
        "iam:PassRole allowed on every role: the principal can hand any role to a service.";
    PassRoleWithoutService = "passrole-without-passed-to-service", Warning, None,
        "iam:PassRole allowed without an iam:PassedToService condition naming the service.";
    InvalidConditionOperator = "invalid-condition-operator", Error, Some("Invalid condition operator"),
        "An unknown condition operator or qualifier, or an invalid combination (e.g. NullIfExists).";
    InvalidConditionValue = "invalid-condition-value", Error, None,
        "A condition value that the operator cannot read (e.g. a non-number for NumericLessThan, or an ARN value with fewer than six components).";
    ConditionTypeMismatch = "condition-type-mismatch", Warning, Some("Type mismatch"),
        "The operator's type does not fit the key's type (e.g. a Date operator on a String key).";
    UnknownConditionKey = "unknown-condition-key", Error, Some("Invalid global condition key / Invalid service condition key"),
        "A condition key that neither AWS globally nor the named service defines.";
    ConditionKeyNotApplicable = "condition-key-not-applicable", Warning, None,
        "A service condition key that none of the statement's actions supports, so the condition never matches.";
    ForAllValuesSingleValued = "forallvalues-single-valued", Warning, Some("ForAllValues with single valued key"),
        "ForAllValues on a single-valued key is true when the key is absent; use the plain operator.";
    ForAllValuesWithoutNull = "forallvalues-without-null", Warning, None,
        "Allow with ForAllValues and no Null check on that key: a request without the key matches.";
    MissingSetQualifier = "missing-set-qualifier", Warning, Some("Missing qualifier"),
        "A multivalued key (a set, such as aws:TagKeys) compared without ForAllValues:/ForAnyValue:.";
    PublicPrincipal = "public-principal", Error, None,
        "A trust or resource policy allows `*` (everyone) without a Condition that narrows it.";
    WildcardWithoutLike = "wildcard-without-like", Warning, Some("Wildcard without like operator"),
        "A `*` or `?` in a value of an Equals operator is matched literally; use a Like operator.";
    InvalidPolicyVariable = "invalid-policy-variable", Error, Some("Missing brace in variable / Empty variable / Unsupported space in variable"),
        "A malformed `${...}` policy variable (unclosed, empty, spaces), one naming an unknown key, or one before the fifth colon of a Resource ARN, where IAM does not substitute it.";
    TooManyFindings = "too-many-findings", Warning, None,
        "More findings than the 1,000 reported per document; the rest are counted, and this finding takes the worst severity among them.";
    PolicyTooLarge = "policy-too-large", Error, Some("Policy size exceeds identity policy quota"),
        "The policy exceeds its IAM size quota (managed 6,144, trust 2,048, inline total 10,240 characters).";
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
