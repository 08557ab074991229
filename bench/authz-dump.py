#!/usr/bin/env python3
"""Writes a synthetic `aws iam get-account-authorization-details` dump for benchmarks.

    python3 bench/authz-dump.py OUT.json [--roles 2000] [--users 500] [--groups 100]
                                [--policies 300] [--aws 150] [--seed 12]

The account, as the CLI prints it (4-space indent): roles with a trust policy (a service,
the account, another role or a GitHub OIDC provider), the same trust policy again inside
the instance profile of the EC2 roles (as AWS lists it), 1-3 inline policies, 1-4 attached
managed policies (customer and AWS), a permissions boundary on one in five; users with
inline and attached policies, 1-3 groups and sometimes a boundary; groups with inline and
attached policies; customer managed policies with 1-5 versions (the last one the default);
`--aws` AWS managed policies listed in `Policies` with their document (as the dump holds
them with the `AWSManagedPolicy` filter), others only attached (taken from iamlint's
snapshot). Documents mix scoped grants with the usual mistakes (PassRole on `*`, `s3:*`,
an admin role or two), so the rules have work to do. AWS managed documents come from the
committed snapshot, rules/catalogue/aws-managed-policies.tsv. The defaults give ~50 MB.
"""
import argparse
import json
import random
from pathlib import Path

ACCOUNT = "493817265014"
SERVICES = ["s3", "dynamodb", "sqs", "sns", "lambda", "logs", "kms", "secretsmanager", "ssm", "ecr", "ec2",
            "cloudwatch", "kinesis", "states", "events", "glue", "athena", "rds", "elasticloadbalancing"]
ACTIONS = {
    "s3": ["GetObject", "PutObject", "ListBucket", "DeleteObject", "GetBucketLocation"],
    "dynamodb": ["GetItem", "PutItem", "Query", "Scan", "UpdateItem", "BatchWriteItem"],
    "sqs": ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"],
    "sns": ["Publish", "Subscribe", "ListTopics"],
    "lambda": ["InvokeFunction", "GetFunction", "UpdateFunctionCode", "CreateFunction"],
    "logs": ["CreateLogStream", "PutLogEvents", "CreateLogGroup", "GetLogEvents"],
    "kms": ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"],
    "secretsmanager": ["GetSecretValue", "DescribeSecret"],
    "ssm": ["GetParameter", "GetParameters", "PutParameter", "SendCommand"],
    "ecr": ["GetAuthorizationToken", "BatchGetImage", "PutImage", "InitiateLayerUpload"],
    "ec2": ["DescribeInstances", "RunInstances", "CreateTags", "StartInstances", "StopInstances"],
    "cloudwatch": ["PutMetricData", "GetMetricData"],
    "kinesis": ["PutRecord", "GetRecords", "DescribeStream"],
    "states": ["StartExecution", "DescribeExecution"],
    "events": ["PutEvents", "PutRule"],
    "glue": ["GetTable", "GetDatabase", "StartJobRun"],
    "athena": ["StartQueryExecution", "GetQueryResults"],
    "rds": ["DescribeDBInstances", "CreateDBSnapshot"],
    "elasticloadbalancing": ["DescribeLoadBalancers", "RegisterTargets"],
}
RESOURCE = {
    "s3": "arn:aws:s3:::{n}-bucket/*", "dynamodb": "arn:aws:dynamodb:us-east-1:{a}:table/{n}",
    "sqs": "arn:aws:sqs:us-east-1:{a}:{n}", "sns": "arn:aws:sns:us-east-1:{a}:{n}",
    "lambda": "arn:aws:lambda:us-east-1:{a}:function:{n}", "logs": "arn:aws:logs:us-east-1:{a}:log-group:/app/{n}:*",
    "kms": "arn:aws:kms:us-east-1:{a}:key/{n}", "secretsmanager": "arn:aws:secretsmanager:us-east-1:{a}:secret:{n}-*",
    "ssm": "arn:aws:ssm:us-east-1:{a}:parameter/{n}/*", "ecr": "arn:aws:ecr:us-east-1:{a}:repository/{n}",
    "kinesis": "arn:aws:kinesis:us-east-1:{a}:stream/{n}", "states": "arn:aws:states:us-east-1:{a}:stateMachine:{n}",
    "events": "arn:aws:events:us-east-1:{a}:event-bus/{n}", "glue": "arn:aws:glue:us-east-1:{a}:table/{n}/*",
    "athena": "arn:aws:athena:us-east-1:{a}:workgroup/{n}", "rds": "arn:aws:rds:us-east-1:{a}:db:{n}",
}
TRUST_SERVICES = ["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "codebuild.amazonaws.com",
                  "states.amazonaws.com", "glue.amazonaws.com"]


def doc(statements):
    return {"Version": "2012-10-17", "Statement": statements}


def statement(rng, name, sid=None):
    service = rng.choice(SERVICES)
    actions = [f"{service}:{a}" for a in rng.sample(ACTIONS[service], rng.randint(1, len(ACTIONS[service])))]
    resource = RESOURCE.get(service)
    if resource is None or rng.random() < 0.15:
        res = "*"
    else:
        res = [resource.format(n=f"{name}-{i}", a=ACCOUNT) for i in range(rng.randint(1, 4))]
    st = {"Effect": "Allow", "Action": actions, "Resource": res}
    if sid:
        st = {"Sid": sid, **st}
    if rng.random() < 0.1:
        st["Condition"] = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    return st


def identity_doc(rng, name, size):
    statements = [statement(rng, name, sid=f"S{i}") for i in range(size)]
    roll = rng.random()
    if roll < 0.04:
        statements.append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})
    elif roll < 0.08:
        statements.append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/app-*"})
    elif roll < 0.10:
        statements.append({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/*"})
    elif roll < 0.11:
        statements.append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    return doc(statements)


def trust(rng, roles):
    roll = rng.random()
    if roll < 0.7:
        return doc([{"Effect": "Allow", "Principal": {"Service": rng.choice(TRUST_SERVICES)}, "Action": "sts:AssumeRole"}])
    if roll < 0.85 and roles:
        return doc([{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/{rng.choice(roles)}"},
                     "Action": "sts:AssumeRole"}])
    if roll < 0.95:
        return doc([{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole",
                     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}])
    return doc([{"Effect": "Allow",
                 "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--roles", type=int, default=2000)
    ap.add_argument("--users", type=int, default=500)
    ap.add_argument("--groups", type=int, default=100)
    ap.add_argument("--policies", type=int, default=300)
    ap.add_argument("--aws", type=int, default=260)
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    snapshot = Path(__file__).resolve().parent.parent / "rules" / "catalogue" / "aws-managed-policies.tsv"
    aws = []
    for line in snapshot.read_text().splitlines()[1:]:
        arn, version, document = line.split("\t", 2)
        aws.append((arn, version, document))
    # Attached AWS managed policies: the common ones plus a random sample; the first
    # `--aws` of them are listed in Policies with their documents.
    common = [a for a in aws if a[0].rsplit("/", 1)[1] in (
        "AdministratorAccess", "ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "AmazonSSMManagedInstanceCore",
        "AWSLambdaBasicExecutionRole", "CloudWatchAgentServerPolicy", "AmazonEC2ContainerRegistryReadOnly",
        "AmazonDynamoDBFullAccess", "PowerUserAccess", "IAMReadOnlyAccess")]
    attached_aws = common + rng.sample([a for a in aws if a not in common], 250)
    listed_aws = attached_aws[: args.aws]

    policies = []
    customer = []
    for i in range(args.policies):
        name = f"team{i % 40}-policy-{i}"
        path = "/" if i % 3 else f"/team{i % 40}/"
        arn = f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"
        versions = rng.randint(1, 5)
        version_list = []
        for v in range(versions, 0, -1):
            version_list.append({"Document": identity_doc(rng, name, rng.randint(2, 8)), "VersionId": f"v{v}",
                                 "IsDefaultVersion": v == versions, "CreateDate": "2025-01-01T00:00:00+00:00"})
        policies.append({"PolicyName": name, "PolicyId": f"ANPA{i:017d}", "Arn": arn, "Path": path,
                         "DefaultVersionId": f"v{versions}", "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0,
                         "IsAttachable": True, "CreateDate": "2025-01-01T00:00:00+00:00",
                         "UpdateDate": "2025-06-01T00:00:00+00:00", "PolicyVersionList": version_list})
        customer.append((name, arn))
    boundaries = customer[:5]
    for arn, version, document in listed_aws:
        name = arn.rsplit("/", 1)[1]
        policies.append({"PolicyName": name, "PolicyId": "ANPA" + name.upper()[:17], "Arn": arn,
                         "Path": "/", "DefaultVersionId": version, "AttachmentCount": 1,
                         "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
                         "CreateDate": "2020-01-01T00:00:00+00:00", "UpdateDate": "2025-01-01T00:00:00+00:00",
                         "PolicyVersionList": [{"Document": json.loads(document), "VersionId": version,
                                                "IsDefaultVersion": True, "CreateDate": "2025-01-01T00:00:00+00:00"}]})

    def attachments(n):
        out = []
        for _ in range(n):
            if rng.random() < 0.6:
                name, arn = rng.choice(customer)
            else:
                arn = rng.choice(attached_aws[1:])[0]  # AdministratorAccess only where chosen below
                name = arn.rsplit("/", 1)[1]
            if all(a["PolicyArn"] != arn for a in out):
                out.append({"PolicyName": name, "PolicyArn": arn})
        return out

    def boundary():
        name, arn = rng.choice(boundaries)
        return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}

    groups = []
    for i in range(args.groups):
        name = f"group-{i}"
        groups.append({"Path": "/", "GroupName": name, "GroupId": f"AGPA{i:017d}",
                       "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}", "CreateDate": "2024-01-01T00:00:00+00:00",
                       "GroupPolicyList": [{"PolicyName": f"{name}-inline-{k}",
                                            "PolicyDocument": identity_doc(rng, name, rng.randint(1, 4))}
                                           for k in range(rng.randint(0, 2))],
                       "AttachedManagedPolicies": attachments(rng.randint(1, 3))})
    admin = {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    groups[0]["AttachedManagedPolicies"].append(admin)

    users = []
    for i in range(args.users):
        name = f"user-{i}"
        user = {"Path": "/", "UserName": name, "UserId": f"AIDA{i:017d}", "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
                "CreateDate": "2024-01-01T00:00:00+00:00",
                "UserPolicyList": [{"PolicyName": f"{name}-inline-{k}",
                                    "PolicyDocument": identity_doc(rng, name, rng.randint(1, 4))}
                                   for k in range(rng.randint(0, 2))],
                "GroupList": [g["GroupName"] for g in rng.sample(groups[1:], rng.randint(1, 3))],
                "AttachedManagedPolicies": attachments(rng.randint(0, 2)),
                "Tags": [{"Key": "team", "Value": f"team{i % 40}"}]}
        if rng.random() < 0.1:
            user["PermissionsBoundary"] = boundary()
        users.append(user)

    roles = []
    names = []
    for i in range(args.roles):
        name = f"app-{i}" if i % 2 else f"svc-{i}"
        trust_doc = trust(rng, names[-50:])
        role = {"Path": "/", "RoleName": name, "RoleId": f"AROA{i:017d}", "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
                "CreateDate": "2024-01-01T00:00:00+00:00", "AssumeRolePolicyDocument": trust_doc,
                "InstanceProfileList": [],
                "RolePolicyList": [{"PolicyName": f"{name}-inline-{k}",
                                    "PolicyDocument": identity_doc(rng, name, rng.randint(4, 14))}
                                   for k in range(rng.randint(2, 4))],
                "AttachedManagedPolicies": attachments(rng.randint(1, 4)),
                "Tags": [], "RoleLastUsed": {}}
        if "ec2.amazonaws.com" in json.dumps(trust_doc):
            role["InstanceProfileList"] = [{"Path": "/", "InstanceProfileName": name, "InstanceProfileId": f"AIPA{i:017d}",
                                            "Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{name}",
                                            "CreateDate": "2024-01-01T00:00:00+00:00",
                                            "Roles": [{"Path": "/", "RoleName": name, "RoleId": f"AROA{i:017d}",
                                                       "Arn": role["Arn"], "CreateDate": "2024-01-01T00:00:00+00:00",
                                                       "AssumeRolePolicyDocument": trust_doc}]}]
        if i % 400 == 7:
            role["AttachedManagedPolicies"].append(admin)
        if rng.random() < 0.2:
            role["PermissionsBoundary"] = boundary()
        roles.append(role)
        names.append(name)

    dump = {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies}
    text = json.dumps(dump, indent=4)
    Path(args.out).write_text(text + "\n")
    print(f"{args.out}: {len(text) / 1e6:.1f} MB, {len(roles)} roles, {len(users)} users, {len(groups)} groups, "
          f"{len(customer)} customer and {len(listed_aws)} listed AWS managed policies")


if __name__ == "__main__":
    main()
