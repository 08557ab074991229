#!/usr/bin/env python3
"""Writes a Terraform module split over N `.tf` files (default 40) to OUT/, as real
repositories lay a module out, for measuring how linting a whole module grows with its
number of files: `python3 bench/terraform-split-module.py /tmp/tfsplit40 40`.

OUT/variables.tf and OUT/locals.tf hold variables (with defaults) and locals, OUT/data.tf a
shared `aws_iam_policy_document` and the partition data source; each other file
`svcK.tf` holds one service's role (its trust policy a data source), a managed policy
(`jsonencode`), a policy document data source used by an inline role policy, a heredoc
role policy, a bucket policy, and attachments that reach across files: the role of
`svcK.tf` gets the managed policy of `svc(K+1).tf` attached, and every fifth role gets
`iam:PassRole` in its own file and `ec2:RunInstances` from its neighbour's policy (an
escalation split across two files).
"""
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/tfsplit40"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 40
os.makedirs(out, exist_ok=True)
ACCOUNT = "902118447712"
SERVICES = ["s3", "dynamodb", "sns", "logs", "kms", "lambda", "ssm", "secretsmanager", "sqs", "ec2"]
ARNS = {
    "s3": "arn:aws:s3:::acme-{n}/*",
    "dynamodb": "arn:aws:dynamodb:eu-west-1:{a}:table/{n}",
    "sns": "arn:aws:sns:eu-west-1:{a}:{n}",
    "logs": "arn:aws:logs:eu-west-1:{a}:log-group:/app/{n}:*",
    "kms": "arn:aws:kms:eu-west-1:{a}:key/{n}",
    "lambda": "arn:aws:lambda:eu-west-1:{a}:function:{n}",
    "ssm": "arn:aws:ssm:eu-west-1:{a}:parameter/app/{n}",
    "secretsmanager": "arn:aws:secretsmanager:eu-west-1:{a}:secret:{n}-*",
    "sqs": "arn:aws:sqs:eu-west-1:{a}:{n}",
    "ec2": "arn:aws:ec2:eu-west-1:{a}:volume/{n}",
}
services = max(1, n - 3)


def arn(service, name):
    return ARNS[service].format(a=ACCOUNT, n=name)


def write(name, text):
    with open(os.path.join(out, name), "w") as f:
        f.write(text)


write("variables.tf", '''variable "env" {
  type    = string
  default = "prod"
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "account_id" {
  type    = string
  default = "902118447712"
}

variable "permissions_boundary" {
  type    = string
  default = null
}
''')
write("locals.tf", '''locals {
  prefix = "acme-${var.env}"
  tags = {
    team = "platform"
    env  = var.env
  }
}
''')
write("data.tf", f'''data "aws_partition" "current" {{}}

data "aws_iam_policy_document" "base" {{
  statement {{
    sid       = "ReadParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = ["arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/app/*"]
  }}
}}
''')
for k in range(services):
    svc = SERVICES[k % len(SERVICES)]
    nxt = (k + 1) % services
    passrole = k % 5 == 0
    extra = ""
    if passrole:
        extra = f'''
      {{
        Sid      = "PassServiceRoles"
        Effect   = "Allow"
        Action   = "iam:PassRole"
        Resource = "*"
      }},'''
    launch = ""
    if (k - 1) % 5 == 0:
        launch = '''
      {
        Sid      = "Launch"
        Effect   = "Allow"
        Action   = "ec2:RunInstances"
        Resource = "*"
      },'''
    write(f"svc{k:03}.tf", f'''resource "aws_iam_role" "svc{k}" {{
  name                 = "${{local.prefix}}-svc{k}"
  assume_role_policy   = data.aws_iam_policy_document.trust{k}.json
  permissions_boundary = var.permissions_boundary
  tags                 = local.tags
}}

data "aws_iam_policy_document" "trust{k}" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }}
    condition {{
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }}
  }}
}}

resource "aws_iam_policy" "svc{k}" {{
  name = "svc{k}-${{var.env}}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{extra}{launch}
      {{
        Sid      = "Read{k}"
        Effect   = "Allow"
        Action   = ["{svc}:Get*", "{svc}:List*", "{svc}:Describe*"]
        Resource = "{arn(svc, f'svc{k}')}"
      }},
      {{
        Sid       = "Write{k}"
        Effect    = "Allow"
        Action    = ["{svc}:Put*"]
        Resource  = "{arn(svc, f'svc{k}-${{var.env}}')}"
        Condition = {{ StringEquals = {{ "aws:RequestedRegion" = var.region }} }}
      }},
    ]
  }})
}}

resource "aws_iam_role_policy_attachment" "svc{k}_own" {{
  role       = aws_iam_role.svc{k}.name
  policy_arn = aws_iam_policy.svc{k}.arn
}}

resource "aws_iam_role_policy_attachment" "svc{k}_next" {{
  role       = aws_iam_role.svc{k}.name
  policy_arn = aws_iam_policy.svc{nxt}.arn
}}

resource "aws_iam_role_policy_attachment" "svc{k}_logs" {{
  role       = aws_iam_role.svc{k}.name
  policy_arn = "arn:${{data.aws_partition.current.partition}}:iam::aws:policy/CloudWatchLogsReadOnlyAccess"
}}

data "aws_iam_policy_document" "inline{k}" {{
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  statement {{
    sid       = "Use{k}"
    actions   = ["{svc}:Get*", "{svc}:Put*"]
    resources = ["{arn(svc, f'inline{k}-&{{aws:username}}')}"]
    condition {{
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["true"]
    }}
  }}
}}

resource "aws_iam_role_policy" "inline{k}" {{
  name   = "inline{k}"
  role   = aws_iam_role.svc{k}.id
  policy = data.aws_iam_policy_document.inline{k}.json
}}

resource "aws_iam_role_policy" "heredoc{k}" {{
  name   = "heredoc{k}"
  role   = aws_iam_role.svc{k}.id
  policy = <<-EOT
    {{
      "Version": "2012-10-17",
      "Statement": [
        {{
          "Sid": "Heredoc{k}",
          "Effect": "Allow",
          "Action": ["{svc}:Get*", "{svc}:Delete*"],
          "Resource": "{arn(svc, f'h{k}-${{var.env}}')}"
        }}
      ]
    }}
  EOT
}}

resource "aws_s3_bucket" "svc{k}" {{
  bucket = "${{local.prefix}}-svc{k}"
}}

resource "aws_s3_bucket_policy" "svc{k}" {{
  bucket = aws_s3_bucket.svc{k}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "DenyInsecure{k}"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["${{aws_s3_bucket.svc{k}.arn}}", "${{aws_s3_bucket.svc{k}.arn}}/*"]
      Condition = {{ Bool = {{ "aws:SecureTransport" = "false" }} }}
    }}]
  }})
}}
''')
