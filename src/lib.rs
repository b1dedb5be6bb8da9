//! mlrole: least-privilege IAM execution roles for SageMaker personas and ML activities, as code.

pub mod lint;
pub mod reference;
