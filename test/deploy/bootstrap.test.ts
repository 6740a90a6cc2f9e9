// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation Fn::Sub syntax, not a JS template
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMap, isSeq, parse, parseDocument, type YAMLMap } from 'yaml';
import { LOG_DELIVERY_ACTIONS } from '#lib/workflows/deployment.ts';
import { CONTAINERS } from '#lib/workflows/names.ts';
import { expectCfnLintClean } from '../support/cfn-lint.ts';
import { BOOTSTRAP } from './bootstrap-policy.ts';

const text = readFileSync(BOOTSTRAP, 'utf8');

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Principal?: Json;
  Condition?: Record<string, Record<string, Json>>;
}
interface Resource {
  Type: string;
  Condition?: string;
  DeletionPolicy?: string;
  Properties: Record<string, Json>;
}
const template = parse(text) as { Resources: Record<string, Resource>; Parameters: Record<string, Json> };
const deployRole = template.Resources.DeployRole as Resource;
const policyStatements = (
  deployRole.Properties.Policies as unknown as { PolicyDocument: { Statement: Statement[] } }[]
).flatMap((policy) => policy.PolicyDocument.Statement);
const actionsOf = (statement: Statement) => [statement.Action].flat();
const subs = (value: Json) => JSON.stringify(value);

/**
 * Actions the deploy role holds on Resource "*", because AWS defines no resource type for
 * them (each statement names the AWS page that says so). Anything else on "*" fails.
 */
const ACTIONS_WITHOUT_RESOURCE_TYPES = [
  'cloudformation:ValidateTemplate',
  'ecr:GetAuthorizationToken',
  'ecs:RegisterTaskDefinition',
  'ecs:DeregisterTaskDefinition',
  'ecs:DescribeTaskDefinition',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
  // What the state machines' logging needs from whoever creates them; DescribeLogGroups is
  // authorized on the account's log groups instead (statement LogGroupLookup).
  ...LOG_DELIVERY_ACTIONS.filter((action) => action !== 'logs:DescribeLogGroups'),
  'states:ListStateMachines',
];

/** The comment above each policy statement, by Sid, as written in the YAML file. */
function statementComments(): Map<string, string> {
  const document = parseDocument(text);
  const policies = document.getIn(['Resources', 'DeployRole', 'Properties', 'Policies']);
  const comments = new Map<string, string>();
  if (!isSeq(policies)) return comments;
  for (const policy of policies.items) {
    const statements = isMap(policy) ? policy.getIn(['PolicyDocument', 'Statement']) : undefined;
    if (!isSeq(statements)) continue;
    for (const statement of statements.items as YAMLMap[]) {
      comments.set(String(statement.get('Sid')), statement.commentBefore ?? '');
    }
  }
  return comments;
}

describe('serverless/bootstrap.yml', () => {
  it('passes cfn-lint', () => {
    expectCfnLintClean(BOOTSTRAP);
  }, 60_000);

  it('creates an immutable, scanned ECR repository per container with a keep-last-N lifecycle', () => {
    const repositories = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::ECR::Repository',
    );

    expect(repositories.map((repository) => repository.Properties.RepositoryName).sort()).toEqual(
      CONTAINERS.map((container) => `sfn-batch/${container}`).sort(),
    );
    for (const repository of repositories) {
      const lifecycle = (
        repository.Properties.LifecyclePolicy as { LifecyclePolicyText: { 'Fn::Sub': [string, Json] } }
      ).LifecyclePolicyText['Fn::Sub'];
      const rules = JSON.parse(lifecycle[0].replaceAll('${Keep}', '30')).rules as {
        selection: { tagStatus: string; countType: string; countNumber: number };
        action: { type: string };
      }[];

      expect(repository.Properties.ImageTagMutability).toBe('IMMUTABLE');
      expect(repository.Properties.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
      expect(repository.DeletionPolicy).toBe('Retain');
      expect(rules.at(-1)).toEqual(
        expect.objectContaining({
          selection: expect.objectContaining({
            tagStatus: 'any',
            countType: 'imageCountMoreThan',
            countNumber: 30,
          }),
          action: { type: 'expire' },
        }),
      );
      expect(lifecycle[1]).toEqual({ Keep: { Ref: 'ImagesToKeep' } });
    }
  });

  it('creates the GitHub OIDC provider only when the parameter asks for it', () => {
    const provider = template.Resources.GitHubOidcProvider as Resource;

    expect(provider.Type).toBe('AWS::IAM::OIDCProvider');
    expect(provider.Condition).toBe('ShouldCreateOidcProvider');
    expect(provider.Properties.Url).toBe('https://token.actions.githubusercontent.com');
    expect(provider.Properties.ClientIdList).toEqual(['sts.amazonaws.com']);
    expect(template.Parameters.CreateOidcProvider).toMatchObject({ AllowedValues: ['true', 'false'] });
  });

  it('lets only this repository’s deploy environment assume the deploy role, through OIDC', () => {
    const trust = (deployRole.Properties.AssumeRolePolicyDocument as unknown as { Statement: Statement[] })
      .Statement;

    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRoleWithWebIdentity',
      Principal: {
        Federated: {
          'Fn::Sub':
            'arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com',
        },
      },
    });
    // Exact matches only: a StringLike with * would let other branches or repositories in.
    expect(trust[0]?.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': {
          'Fn::Sub': 'repo:${GitHubRepository}:environment:${GitHubEnvironment}',
        },
      },
    });
  });

  it('uses Resource "*" only for actions without resource types, each with the AWS page that says so', () => {
    const comments = statementComments();
    const wildcard = policyStatements.filter((statement) => statement.Resource === '*');

    expect(wildcard.flatMap(actionsOf).sort()).toEqual([...ACTIONS_WITHOUT_RESOURCE_TYPES].sort());
    for (const statement of wildcard) {
      expect(comments.get(statement.Sid ?? ''), statement.Sid).toMatch(
        /https:\/\/docs\.aws\.amazon\.com\/\S+/,
      );
    }
    for (const statement of policyStatements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of actionsOf(statement)) expect(action, statement.Sid).not.toContain('*');
      if (statement.Resource !== '*') expect(subs(statement.Resource), statement.Sid).not.toMatch(/"\*"/);
    }
  });

  it('scopes every other statement to this stage’s sfn-batch resources or the two repositories', () => {
    const allowed = [
      /:stack\/sfn-batch-\$\{Stage\}\/\*$/,
      /:changeSet\/sfn-batch-\$\{Stage\}-change-set\/\*$/,
      /:s3:::sfn-batch-\$\{Stage\}-/,
      /:repository\/sfn-batch\/(batch-jobs|xlsx-converter)$/,
      /:cluster\/sfn-batch-\$\{Stage\}$/,
      /:task-definition\/sfn-batch-\$\{Stage\}-\*:\*$/,
      /:role\/sfn-batch-\$\{Stage\}-\*$/,
      /:role\/aws-service-role\/ecs\.amazonaws\.com\/AWSServiceRoleForECS$/,
      /:function:sfn-batch-\$\{Stage\}-\*$/,
      /:log-group:(\/aws\/lambda\/|\/ecs\/|\/aws\/vendedlogs\/states\/)sfn-batch-\$\{Stage\}/,
      /:sqs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:sfn-batch-\$\{Stage\}-\*$/,
      /:alarm:sfn-batch-\$\{Stage\}-\*$/,
      /:stateMachine:sfn-batch-\$\{Stage\}-\*$/,
      /:execution:sfn-batch-\$\{Stage\}-\*:\*$/,
      /:schedule\/default\/sfn-batch-\$\{Stage\}-\*$/,
      /:rule\/sfn-batch-\$\{Stage\}-\*$/,
    ];

    for (const statement of policyStatements.filter((candidate) => candidate.Resource !== '*')) {
      const resources = [statement.Resource]
        .flat()
        .map((resource) => String((resource as { 'Fn::Sub': string })['Fn::Sub']));
      for (const resource of resources) {
        // logs:DescribeLogGroups is authorized on log-group:* only (see its comment).
        if (statement.Sid === 'LogGroupLookup') {
          expect(actionsOf(statement)).toEqual(['logs:DescribeLogGroups']);
          continue;
        }
        expect(
          allowed.some((pattern) => pattern.test(resource)),
          `${statement.Sid}: ${resource}`,
        ).toBe(true);
      }
    }
  });

  it('names the deploy role outside the sfn-batch-<stage>-* roles it may change, so it cannot edit itself', () => {
    const roleName = String((deployRole.Properties.RoleName as { 'Fn::Sub': string })['Fn::Sub']).replace(
      '${Stage}',
      'prod',
    );

    expect(roleName).toBe('github-deploy-sfn-batch-prod');
    expect(roleName.startsWith('sfn-batch-prod-')).toBe(false);
  });

  it('passes the stack’s roles only to the services that run them, and attaches only the VPC Lambda policy', () => {
    const passRole = policyStatements.find((statement) => actionsOf(statement).includes('iam:PassRole'));
    const attach = policyStatements.find((statement) =>
      actionsOf(statement).includes('iam:AttachRolePolicy'),
    );

    expect(passRole?.Condition).toEqual({
      StringEquals: {
        'iam:PassedToService': [
          'ecs-tasks.amazonaws.com',
          'lambda.amazonaws.com',
          'states.amazonaws.com',
          'scheduler.amazonaws.com',
        ],
      },
    });
    expect(attach?.Condition).toEqual({
      ArnEquals: {
        'iam:PolicyARN': {
          'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
        },
      },
    });
  });
});
