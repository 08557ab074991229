#!/usr/bin/env python3
"""Writes a Terraform module with N policies (default 100) to OUT/main.tf, for timing the
Terraform adapter: `python3 bench/terraform-module.py /tmp/tf100 100`.

A realistic mix: managed policies with jsonencode, aws_iam_policy_document data sources
(with conditions, principals and a source document), role policies in heredocs with
interpolations, bucket policies, roles with trust policies and attachments.
"""
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/tf100"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
os.makedirs(out, exist_ok=True)
ACCOUNT = "902118447712"
ARNS = {
    "s3": "arn:aws:s3:::acme-{n}/*",
    "dynamodb": "arn:aws:dynamodb:eu-west-1:{a}:table/{n}",
    "cloudwatch": "arn:aws:cloudwatch:eu-west-1:{a}:alarm:{n}",
    "sns": "arn:aws:sns:eu-west-1:{a}:{n}",
    "logs": "arn:aws:logs:eu-west-1:{a}:log-group:/app/{n}:*",
    "kms": "arn:aws:kms:eu-west-1:{a}:key/{n}",
    "ec2": "arn:aws:ec2:eu-west-1:{a}:volume/{n}",
    "lambda": "arn:aws:lambda:eu-west-1:{a}:function:{n}",
    "ssm": "arn:aws:ssm:eu-west-1:{a}:parameter/app/{n}",
    "secretsmanager": "arn:aws:secretsmanager:eu-west-1:{a}:secret:{n}-*",
}


def arn(service, name):
    """A resource ARN of the service, named `name` (which may hold an interpolation)."""
    return ARNS[service].format(a=ACCOUNT, n=name)

services = ["s3", "dynamodb", "cloudwatch", "sns", "logs", "kms", "ec2", "lambda", "ssm", "secretsmanager"]
blocks = [
    'variable "env" {\n  type    = string\n  default = "prod"\n}\n',
    """data "aws_iam_policy_document" "base" {
  statement {
    sid       = "ReadParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = ["arn:aws:ssm:eu-west-1:902118447712:parameter/app/*"]
  }
}
""",
]
roles = max(1, n // 10)
for r in range(roles):
    blocks.append(f'''resource "aws_iam_role" "svc{r}" {{
  name               = "svc{r}-${{var.env}}"
  assume_role_policy = data.aws_iam_policy_document.trust{r}.json
}}

data "aws_iam_policy_document" "trust{r}" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }}
    condition {{
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = ["902118447712"]
    }}
  }}
}}
''')
for i in range(n):
    svc = services[i % len(services)]
    role = f"svc{i % roles}"
    kind = i % 4
    if kind == 0:
        blocks.append(f'''resource "aws_iam_policy" "p{i}" {{
  name = "p{i}-${{var.env}}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid      = "Read{i}"
        Effect   = "Allow"
        Action   = ["{svc}:Get*", "{svc}:List*", "{svc}:Describe*"]
        Resource = "{arn(svc, f'p{i}')}"
      }},
      {{
        Sid      = "Write{i}"
        Effect   = "Allow"
        Action   = ["{svc}:Put*"]
        Resource = "{arn(svc, f'p{i}-${{var.env}}')}"
        Condition = {{ StringEquals = {{ "aws:RequestedRegion" = "eu-west-1" }} }}
      }},
    ]
  }})
}}

resource "aws_iam_role_policy_attachment" "p{i}" {{
  role       = aws_iam_role.{role}.name
  policy_arn = aws_iam_policy.p{i}.arn
}}
''')
    elif kind == 1:
        blocks.append(f'''data "aws_iam_policy_document" "d{i}" {{
  source_policy_documents = [data.aws_iam_policy_document.base.json]
  statement {{
    sid       = "Use{i}"
    actions   = ["{svc}:Get*", "{svc}:Put*"]
    resources = ["{arn(svc, f'd{i}-&{{aws:username}}')}"]
    condition {{
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["true"]
    }}
  }}
}}

resource "aws_iam_policy" "d{i}" {{
  name   = "d{i}"
  policy = data.aws_iam_policy_document.d{i}.json
}}
''')
    elif kind == 2:
        blocks.append(f'''resource "aws_iam_role_policy" "h{i}" {{
  name   = "h{i}"
  role   = aws_iam_role.{role}.id
  policy = <<-EOT
    {{
      "Version": "2012-10-17",
      "Statement": [
        {{
          "Sid": "Heredoc{i}",
          "Effect": "Allow",
          "Action": ["{svc}:Get*", "{svc}:Delete*"],
          "Resource": "{arn(svc, f'h{i}-${{var.env}}')}"
        }}
      ]
    }}
  EOT
}}
''')
    else:
        blocks.append(f'''resource "aws_s3_bucket_policy" "b{i}" {{
  bucket = aws_s3_bucket.b{i}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "DenyInsecure{i}"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["${{aws_s3_bucket.b{i}.arn}}", "${{aws_s3_bucket.b{i}.arn}}/*"]
      Condition = {{ Bool = {{ "aws:SecureTransport" = "false" }} }}
    }}]
  }})
}}

resource "aws_s3_bucket" "b{i}" {{
  bucket = "acme-b{i}"
}}
''')
with open(os.path.join(out, "main.tf"), "w") as f:
    f.write("\n".join(blocks))
