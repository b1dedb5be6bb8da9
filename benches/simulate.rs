//! Decisions per second for a ~30-statement SageMaker execution-role policy.
//! Run: `cargo bench --bench simulate`; decisions/s = 1 / time per iteration.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mlrole::simulate::{Policy, PolicySet, PolicyType, Request};
use serde_json::{json, Value};
use std::hint::black_box;

const ACCT: &str = "111122223333";

fn statements() -> Vec<Value> {
    let mut s = vec![
        json!({"Sid": "DenyInsecure", "Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
        json!({"Sid": "DenyOtherRegions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
               "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}),
        json!({"Sid": "Training", "Effect": "Allow", "Action": ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"],
               "Resource": format!("arn:aws:sagemaker:*:{ACCT}:training-job/*"),
               "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}),
        json!({"Sid": "Processing", "Effect": "Allow", "Action": "sagemaker:*ProcessingJob", "Resource": format!("arn:aws:sagemaker:*:{ACCT}:processing-job/*")}),
        json!({"Sid": "Models", "Effect": "Allow", "Action": ["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DeleteModel"], "Resource": format!("arn:aws:sagemaker:*:{ACCT}:model/*")}),
        json!({"Sid": "Endpoints", "Effect": "Allow", "Action": ["sagemaker:*Endpoint", "sagemaker:*EndpointConfig", "sagemaker:InvokeEndpoint"],
               "Resource": [format!("arn:aws:sagemaker:*:{ACCT}:endpoint/*"), format!("arn:aws:sagemaker:*:{ACCT}:endpoint-config/*")]}),
        json!({"Sid": "DataRead", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": ["arn:aws:s3:::ml-data-*/datasets/*", "arn:aws:s3:::ml-data-*/features/*"]}),
        json!({"Sid": "DataWrite", "Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload"], "Resource": "arn:aws:s3:::ml-artifacts-*/${aws:PrincipalTag/team, 'shared'}/*"}),
        json!({"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": ["arn:aws:s3:::ml-data-*", "arn:aws:s3:::ml-artifacts-*"],
               "Condition": {"StringLike": {"s3:prefix": ["datasets/*", "features/*", "${aws:PrincipalTag/team}/*"]}}}),
        json!({"Sid": "Ecr", "Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], "Resource": format!("arn:aws:ecr:*:{ACCT}:repository/ml/*")}),
        json!({"Sid": "EcrAuth", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}),
        json!({"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": format!("arn:aws:logs:*:{ACCT}:log-group:/aws/sagemaker/*")}),
        json!({"Sid": "LogGroups", "Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": format!("arn:aws:logs:*:{ACCT}:log-group:/aws/sagemaker/*")}),
        json!({"Sid": "Metrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*", "Condition": {"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "SageMaker*"]}}}),
        json!({"Sid": "Kms", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"], "Resource": format!("arn:aws:kms:*:{ACCT}:key/*"),
               "Condition": {"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": ["aws:sagemaker:training-job", "aws:s3:arn"]}}}),
        json!({"Sid": "PassRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{ACCT}:role/sagemaker/*"),
               "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}}),
        json!({"Sid": "Vpc", "Effect": "Allow", "Action": ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:Describe*"], "Resource": "*"}),
        json!({"Sid": "Experiments", "Effect": "Allow", "Action": ["sagemaker:*Experiment*", "sagemaker:*Trial*"], "Resource": format!("arn:aws:sagemaker:*:{ACCT}:experiment*")}),
        json!({"Sid": "Pipelines", "Effect": "Allow", "Action": "sagemaker:*Pipeline*", "Resource": format!("arn:aws:sagemaker:*:{ACCT}:pipeline/*")}),
        json!({"Sid": "Registry", "Effect": "Allow", "Action": ["sagemaker:*ModelPackage*"], "Resource": format!("arn:aws:sagemaker:*:{ACCT}:model-package*/*")}),
        json!({"Sid": "Tags", "Effect": "Allow", "Action": "sagemaker:AddTags", "Resource": "*",
               "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "project", "cost-center"]}, "Null": {"aws:RequestTag/team": "false"}}}),
        json!({"Sid": "Secrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": format!("arn:aws:secretsmanager:*:{ACCT}:secret:ml/*")}),
        json!({"Sid": "Athena", "Effect": "Allow", "Action": ["athena:StartQueryExecution", "athena:GetQuery*"], "Resource": format!("arn:aws:athena:*:{ACCT}:workgroup/ml")}),
        json!({"Sid": "Glue", "Effect": "Allow", "Action": ["glue:GetTable", "glue:GetPartitions"], "Resource": [format!("arn:aws:glue:*:{ACCT}:catalog"), format!("arn:aws:glue:*:{ACCT}:table/ml/*")]}),
        json!({"Sid": "Studio", "Effect": "Allow", "Action": "sagemaker:CreatePresignedDomainUrl", "Resource": format!("arn:aws:sagemaker:*:{ACCT}:user-profile/${{sagemaker:DomainId}}/${{aws:username}}")}),
        json!({"Sid": "NoDelete", "Effect": "Deny", "Action": ["s3:DeleteBucket", "sagemaker:DeleteDomain"], "Resource": "*"}),
        json!({"Sid": "SourceIp", "Effect": "Deny", "Action": "sagemaker:CreatePresignedDomainUrl", "Resource": "*",
               "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}}}),
        json!({"Sid": "Time", "Effect": "Allow", "Action": "sagemaker:StartNotebookInstance", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}),
        json!({"Sid": "Quota", "Effect": "Allow", "Action": "sagemaker:CreateHyperParameterTuningJob", "Resource": "*", "Condition": {"NumericLessThanEquals": {"sagemaker:MaxParallelTrainingJobs": "10"}}}),
        json!({"Sid": "Features", "Effect": "Allow", "Action": ["sagemaker:PutRecord", "sagemaker:GetRecord"], "Resource": format!("arn:aws:sagemaker:*:{ACCT}:feature-group/*")}),
    ];
    s.truncate(30);
    s
}

fn requests() -> Vec<Request> {
    let session = format!("arn:aws:sts::{ACCT}:assumed-role/MLExec/job-1");
    let base = |action: &str, resource: &str| {
        Request::new(&session, action, resource)
            .with("aws:SecureTransport", true)
            .with("aws:RequestedRegion", "us-east-1")
            .with("aws:PrincipalTag/team", "vision")
            .with("aws:SourceIp", "10.1.2.3")
    };
    vec![
        base("sagemaker:CreateTrainingJob", &format!("arn:aws:sagemaker:us-east-1:{ACCT}:training-job/j1")).with("aws:ResourceTag/team", "vision"),
        base("s3:GetObject", "arn:aws:s3:::ml-data-prod/datasets/images/0001.jpg"),
        base("s3:PutObject", "arn:aws:s3:::ml-artifacts-prod/vision/model.tar.gz"),
        base("s3:DeleteObject", "arn:aws:s3:::ml-data-prod/datasets/x"),
        base("logs:PutLogEvents", &format!("arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/sagemaker/TrainingJobs:log-stream:j1/algo-1")),
        base("ecr:BatchGetImage", &format!("arn:aws:ecr:us-east-1:{ACCT}:repository/ml/pytorch")),
        base("kms:Decrypt", &format!("arn:aws:kms:us-east-1:{ACCT}:key/1234")).with_many("kms:EncryptionContextKeys", ["aws:s3:arn"]),
        base("iam:PassRole", &format!("arn:aws:iam::{ACCT}:role/sagemaker/exec")).with("iam:PassedToService", "sagemaker.amazonaws.com"),
    ]
}

fn bench(c: &mut Criterion) {
    let doc = json!({"Version": "2012-10-17", "Statement": statements()});
    let id = Policy::from_value("exec-role", PolicyType::Identity, &doc)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(id.len(), 30);
    let boundary = Policy::from_value(
        "boundary",
        PolicyType::PermissionsBoundary,
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sagemaker:*", "s3:*", "logs:*", "ecr:*", "kms:*", "iam:PassRole"], "Resource": "*"}]}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let reqs = requests();
    let identity_only = PolicySet::new().with(id.clone());
    let with_boundary = PolicySet::new().with(id).with(boundary);

    let mut g = c.benchmark_group("evaluate");
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("30-statement identity policy", |b| {
        b.iter(|| {
            i = (i + 1) % reqs.len();
            black_box(identity_only.evaluate(black_box(&reqs[i])))
        })
    });
    let mut k = 0usize;
    g.bench_function("30-statement identity policy, decision only", |b| {
        b.iter(|| {
            k = (k + 1) % reqs.len();
            black_box(identity_only.decide(black_box(&reqs[k])))
        })
    });
    let mut j = 0usize;
    g.bench_function("30 statements + boundary", |b| {
        b.iter(|| {
            j = (j + 1) % reqs.len();
            black_box(with_boundary.evaluate(black_box(&reqs[j])))
        })
    });
    g.finish();

    c.bench_function("compile 30-statement policy", |b| {
        b.iter(|| Policy::from_value("p", PolicyType::Identity, black_box(&doc)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
