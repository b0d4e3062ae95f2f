import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Problems, validateOrThrow } from "../airflow";
import { checkRotatorPasswordSettings } from "../rotation/prerequisites";
import type { RotationStrategy } from "../rotation/strategy";
import { ALARM_ON_FIRST_OCCURRENCE, awsAccountContext, idSlug, standardTags } from "./common";
import {
  AwsAccountContext,
  PolicyDocument,
  PolicyStatement,
  logDeliveryPolicy,
  logGroupArn,
  serviceHost,
  serviceTrustPolicy,
} from "./policies";
import {
  MASTER_SECRET_ACTIONS,
  ROTATED_SECRET_ACTIONS,
  ROTATION_CA_CERTIFICATES_FILE,
  ROTATION_HANDLER_NAME,
  rotationHandlerArchive,
  rotationHandlerEnvironment,
} from "./rotator";
import {
  SECURITY_GROUP_ID_PATTERN,
  SUBNET_ID_PATTERN,
  checkCaCertificates,
  checkIdList,
  checkLogRetention,
  checkRegion,
  checkTags,
  isString,
} from "./validation";

/** When Secrets Manager rotates: every N days, or a `rate()` / `cron()` schedule with a window. */
export interface RotationSchedule {
  /** Days between rotations (`AutomaticallyAfterDays`), 1–1000; at most 90 in production. */
  everyDays?: number;
  /** `rate(N days)`, `rate(N hours)` or `cron(min hour day month weekday year)`. */
  scheduleExpression?: string;
  /** Rotation window with `scheduleExpression`, `1h`–`24h`. */
  duration?: string;
}

export interface RotatedSecret {
  /** Airflow conn_id; names the permission and rotation resources. */
  id: string;
  /**
   * ARN of the secret. Pass an ARN that resolves once the first value is stored (the store's
   * `arnWithValue`): rotation must not start on an empty secret.
   */
  secretArn: pulumi.Input<string>;
  schedule: RotationSchedule;
}

/**
 * The invoke permission's source: one secret's exact ARN, or the longest common prefix of several
 * followed by `*` (e.g. `arn:…:secret:airflow/prod/connections/*`).
 */
export function sourceArnPattern(arns: readonly string[]): string {
  if (arns.length === 1) return arns[0];
  let prefix = arns[0] ?? "";
  for (const arn of arns) while (!arn.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return `${prefix}*`;
}

export interface SecretRotationLambdaArgs {
  environment: string;
  /** Production: rotation at least every 90 days, log retention 365 days. */
  production?: boolean;
  owner?: string;
  region: string;
  /** `single-user` changes the login's own password; `alternating-users` flips between `login` and `login_clone`. */
  strategy: RotationStrategy;
  /** Master connection secret (alternating-users): its login creates and updates the clone. */
  masterSecretArn?: pulumi.Input<string>;
  /** The secrets this function rotates (all with the same strategy and master). */
  secrets: RotatedSecret[];
  /** The environment's KMS key: the function reads and writes secret values through Secrets Manager. */
  kmsKeyArn: pulumi.Input<string>;
  /**
   * Run inside the database's VPC: subnets (non-empty, `subnet-…` ids; use two or more Availability
   * Zones, which are not checked) and security groups allowed to reach the database.
   */
  vpc?: { subnetIds: string[]; securityGroupIds: string[] };
  /**
   * Secrets Manager from inside a VPC: an interface endpoint with private DNS the function waits for
   * (see `SecretsManagerVpcEndpoint`), or an endpoint URL passed as `SECRETS_MANAGER_ENDPOINT`.
   * Without either, a function in a VPC needs a NAT gateway to reach Secrets Manager.
   */
  secretsManagerEndpoint?: { vpcEndpoint?: aws.ec2.VpcEndpoint; endpointUrl?: string };
  /** Generated password length, 16–4096 (the handler itself accepts 1–4096; its default is 32). */
  passwordLength?: number;
  /** Characters never generated (the handler's default excludes quotes, backslash, `/`, `@`, backtick). */
  excludeCharacters?: string;
  /**
   * PEM certificates the function trusts for database TLS (`sslmode` `verify-ca`/`verify-full`), e.g.
   * a private CA. Shipped in the code archive and named by `NODE_EXTRA_CA_CERTS`, which then no
   * longer names Lambda's Amazon CA bundle: include the RDS CA bundle here too if the function also
   * verifies RDS certificates. Default: Lambda's Amazon CA bundle (RDS among them).
   */
  caCertificates?: string;
  /** Rotate as soon as rotation is configured (a live test of the wiring). Default false. */
  rotateImmediately?: boolean;
  /** Log retention in days. Default 365 in production, 30 elsewhere. */
  logRetentionInDays?: number;
  /** SNS topic for the function-errors alarm. Without one the alarm still changes state but notifies nobody. */
  alarmTopicArn?: pulumi.Input<string>;
  /** Lambda function name (≤ 64). Default `airflow-{environment}-rotate-{strategy}`. */
  functionName?: string;
  tags?: Record<string, string>;
  account?: pulumi.Input<AwsAccountContext>;
}

/**
 * The CA certificates Lambda ships for Amazon services, RDS among them. Lambda's Node.js 20+ runtimes
 * no longer load them at start-up (a cold-start saving); `NODE_EXTRA_CA_CERTS` pointing at this file
 * brings them back, so `sslmode: verify-full` against RDS verifies.
 */
export const LAMBDA_AMAZON_CA_BUNDLE = "/var/runtime/ca-cert.pem";
/** Where Lambda unpacks the code archive (`LAMBDA_TASK_ROOT`). */
const LAMBDA_TASK_ROOT = "/var/task";

/** Node.js runtime of the function: the current LTS runtime Lambda offers. */
export const ROTATION_RUNTIME = "nodejs22.x";
/** The checklist's cadence for static database passwords. */
export const PRODUCTION_MAX_ROTATION_DAYS = 90;
const RATE = /^rate\((\d+) (hour|hours|day|days)\)$/;
const CRON = /^cron\((\S+ ){5}\S+\)$/;
const DURATION = /^([1-9]|1\d|2[0-4])h$/;
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Adds a problem unless the schedule is valid (and, in production, runs at least every 90 days). */
export function checkRotationSchedule(
  schedule: RotationSchedule | undefined,
  production: boolean,
  path: string,
  problems: Problems,
): void {
  if (
    !problems.check(
      schedule !== undefined && schedule !== null && typeof schedule === "object",
      path,
      "is required",
    )
  )
    return;
  const { everyDays, scheduleExpression, duration } = schedule!;
  if (
    !problems.check(
      (everyDays === undefined) !== (scheduleExpression === undefined),
      path,
      "needs exactly one of everyDays or scheduleExpression",
    )
  )
    return;
  if (everyDays !== undefined) {
    if (
      problems.check(
        Number.isInteger(everyDays) && everyDays >= 1 && everyDays <= 1000,
        `${path}.everyDays`,
        `must be a whole number of days from 1 to 1000 (got ${JSON.stringify(everyDays)})`,
      ) &&
      production
    ) {
      problems.check(
        everyDays <= PRODUCTION_MAX_ROTATION_DAYS,
        `${path}.everyDays`,
        `production rotates database passwords at least quarterly: at most ${PRODUCTION_MAX_ROTATION_DAYS} days (got ${everyDays})`,
      );
    }
    problems.check(duration === undefined, `${path}.duration`, "applies only with scheduleExpression");
    return;
  }
  const expression = String(scheduleExpression);
  const rate = RATE.exec(expression);
  if (rate) {
    const amount = Number(rate[1]);
    const days = rate[2].startsWith("hour") ? amount / 24 : amount;
    problems.check(
      rate[2].startsWith("hour") ? amount >= 4 && amount <= 23 : amount >= 1 && amount <= 1000,
      `${path}.scheduleExpression`,
      `Secrets Manager accepts rate(4-23 hours) or rate(1-1000 days) (got "${expression}")`,
    );
    if (production)
      problems.check(
        days <= PRODUCTION_MAX_ROTATION_DAYS,
        `${path}.scheduleExpression`,
        `production rotates at least every ${PRODUCTION_MAX_ROTATION_DAYS} days (got "${expression}")`,
      );
  } else if (CRON.test(expression)) {
    // With every month selected a cron schedule runs at least every 62 days; other month fields could leave longer gaps.
    const month = expression.slice(5, -1).split(" ")[3];
    if (production)
      problems.check(
        month === "*",
        `${path}.scheduleExpression`,
        `production cron schedules must run every month (month field "*") so no gap exceeds ${PRODUCTION_MAX_ROTATION_DAYS} days (got "${expression}")`,
      );
  } else {
    problems.add(
      `${path}.scheduleExpression`,
      `must be rate(N days), rate(N hours) or cron(minutes hours day-of-month month day-of-week year) (got "${expression}")`,
    );
  }
  if (duration !== undefined)
    problems.check(
      isString(duration) && DURATION.test(duration),
      `${path}.duration`,
      `must be a window of 1h to 24h, e.g. "4h" (got ${JSON.stringify(duration)})`,
    );
}

export function validateSecretRotationLambdaArgs(args: SecretRotationLambdaArgs, problems: Problems): void {
  const production = args.production === true;
  checkRegion(args.region, "region", problems);
  problems.check(
    args.strategy === "single-user" || args.strategy === "alternating-users",
    "strategy",
    `must be "single-user" or "alternating-users" (got ${JSON.stringify(args.strategy)})`,
  );
  if (args.strategy === "alternating-users")
    problems.check(
      args.masterSecretArn !== undefined,
      "masterSecretArn",
      "is required for alternating-users: the master credential creates and updates the clone login",
    );
  if (args.strategy === "single-user")
    problems.check(
      args.masterSecretArn === undefined,
      "masterSecretArn",
      "applies only to alternating-users",
    );
  if (
    problems.check(
      Array.isArray(args.secrets) && args.secrets.length > 0,
      "secrets",
      "must list at least one secret to rotate",
    )
  ) {
    const seen = new Set<string>();
    args.secrets.forEach((secret, i) => {
      const path = `secrets[${secret?.id ?? i}]`;
      problems.check(
        isString(secret?.id) && secret.id.length > 0 && !seen.has(secret.id),
        `${path}.id`,
        "must be a unique, non-empty id",
      );
      seen.add(secret?.id);
      problems.check(secret?.secretArn !== undefined, `${path}.secretArn`, "is required");
      checkRotationSchedule(secret?.schedule, production, `${path}.schedule`, problems);
    });
  }
  if (args.vpc !== undefined) {
    checkIdList(args.vpc.subnetIds, SUBNET_ID_PATTERN, "subnet-0123456789abcdef0", "vpc.subnetIds", problems);
    checkIdList(
      args.vpc.securityGroupIds,
      SECURITY_GROUP_ID_PATTERN,
      "sg-0123456789abcdef0",
      "vpc.securityGroupIds",
      problems,
    );
  }
  const endpoint = args.secretsManagerEndpoint;
  if (endpoint?.vpcEndpoint !== undefined) {
    problems.check(
      args.vpc !== undefined,
      "secretsManagerEndpoint.vpcEndpoint",
      "needs vpc: only a function in the VPC uses its endpoint",
    );
    problems.check(
      endpoint.endpointUrl === undefined,
      "secretsManagerEndpoint.endpointUrl",
      "give either vpcEndpoint (private DNS) or endpointUrl, not both",
    );
  }
  if (endpoint?.endpointUrl !== undefined) {
    problems.check(
      isString(endpoint.endpointUrl) && /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/.test(endpoint.endpointUrl),
      "secretsManagerEndpoint.endpointUrl",
      `must be an https:// endpoint URL (got ${JSON.stringify(endpoint.endpointUrl)})`,
    );
  }
  checkRotatorPasswordSettings(
    { length: args.passwordLength, excludeCharacters: args.excludeCharacters },
    { length: "passwordLength", excludeCharacters: "excludeCharacters" },
    problems,
  );
  checkCaCertificates(args.caCertificates, "caCertificates", problems);
  checkLogRetention(args.logRetentionInDays, undefined, "logRetentionInDays", problems);
  if (args.functionName !== undefined)
    problems.check(
      FUNCTION_NAME.test(args.functionName),
      "functionName",
      `must be 1-64 letters, digits, - or _ (got ${JSON.stringify(args.functionName)})`,
    );
  checkTags(args.tags, "tags", problems);
}

export interface RotationFunctionPolicyArgs {
  account: AwsAccountContext;
  region: string;
  rotatedSecretArns: string[];
  masterSecretArn?: string;
  kmsKeyArn: string;
  logGroupArn: string;
  vpc?: { subnetIds: string[]; securityGroupIds: string[] };
}

/**
 * The rotation function's role: the handler's own actions on its secrets only, the master secret
 * read-only, the key only through Secrets Manager, its log group, and — only inside a VPC — the
 * network interfaces Lambda attaches in the given subnets and security groups.
 */
export function rotationFunctionPolicy(args: RotationFunctionPolicyArgs): PolicyDocument {
  const { account, region } = args;
  const ec2 = (resource: string) => `arn:${account.partition}:ec2:${region}:${account.accountId}:${resource}`;
  const statements: PolicyStatement[] = [
    {
      Sid: "RotateOwnSecrets",
      Effect: "Allow",
      Action: [...ROTATED_SECRET_ACTIONS],
      Resource: [...args.rotatedSecretArns].sort(),
    },
  ];
  if (args.masterSecretArn !== undefined) {
    statements.push({
      Sid: "ReadMasterSecret",
      Effect: "Allow",
      Action: [...MASTER_SECRET_ACTIONS],
      Resource: args.masterSecretArn,
    });
  }
  statements.push(
    {
      Sid: "UseKeyOnlyThroughSecretsManager",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: args.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": serviceHost("secretsmanager", region, account) } },
    },
    ...logDeliveryPolicy("WriteOwnLogs", args.logGroupArn).Statement,
  );
  if (args.vpc !== undefined) {
    statements.push(
      {
        Sid: "AttachToOwnSubnets",
        Effect: "Allow",
        Action: "ec2:CreateNetworkInterface",
        Resource: [
          ec2("network-interface/*"),
          ...args.vpc.subnetIds.map((id) => ec2(`subnet/${id}`)),
          ...args.vpc.securityGroupIds.map((id) => ec2(`security-group/${id}`)),
        ],
      },
      {
        Sid: "ManageOwnNetworkInterfaces",
        Effect: "Allow",
        Action: [
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: ec2("network-interface/*"),
      },
      // Describe calls have no resource-level permissions.
      {
        Sid: "DescribeNetwork",
        Effect: "Allow",
        Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
        Resource: "*",
      },
    );
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** `AutomaticallyAfterDays`, or a schedule expression with its window. */
function rotationRules(
  schedule: RotationSchedule,
): aws.types.input.secretsmanager.SecretRotationRotationRules {
  return schedule.everyDays !== undefined
    ? { automaticallyAfterDays: schedule.everyDays }
    : { scheduleExpression: schedule.scheduleExpression, duration: schedule.duration };
}

/**
 * The Secrets Manager rotation function for Airflow connection secrets (code: the bundled handler
 * in `./rotation`), on arm64 Node.js 22, with its log group, a least-privilege role, optional VPC
 * placement (and Secrets Manager endpoint to use), an invoke permission per rotated secret (scoped to that
 * secret's ARN), the rotation schedule of each secret and an alarm on function errors.
 */
export class SecretRotationLambda extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly roleArn: pulumi.Output<string>;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** Secrets Manager's permission to invoke the function, shared by every secret it rotates. */
  readonly permission: aws.lambda.Permission;
  /** By conn_id: the shared `permission` (kept for callers that look it up per secret). */
  readonly permissions: Record<string, aws.lambda.Permission> = {};
  readonly rotations: Record<string, aws.secretsmanager.SecretRotation> = {};
  readonly errorsAlarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: SecretRotationLambdaArgs, opts?: pulumi.ComponentResourceOptions) {
    validateOrThrow(`SecretRotationLambda ${name}`, (problems) =>
      validateSecretRotationLambdaArgs(args, problems),
    );
    super("airflow-secrets:aws:SecretRotationLambda", name, {}, opts);

    const production = args.production === true;
    const region = args.region;
    const account = pulumi.output(args.account ?? awsAccountContext({ parent: this }));
    const tags = standardTags(args.environment, args.owner, args.tags);
    const functionName =
      args.functionName ?? `airflow-${args.environment}-rotate-${args.strategy}`.slice(0, 64);
    const logGroupName = `/aws/lambda/${functionName}`;

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        region,
        name: logGroupName,
        retentionInDays: args.logRetentionInDays ?? (production ? 365 : 30),
        tags,
      },
      { parent: this },
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        name: `${functionName}`.slice(0, 64),
        description: `Rotation function ${functionName}: rotates its Airflow ${args.environment} connection secrets`,
        assumeRolePolicy: JSON.stringify(
          serviceTrustPolicy("lambda.amazonaws.com", "LambdaRunsTheRotationFunction"),
        ),
        tags,
      },
      { parent: this },
    );
    this.roleArn = this.role.arn;
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-role-policy`,
      {
        role: this.role.name,
        name: "rotate-airflow-secrets",
        policy: pulumi
          .all([
            account,
            pulumi.all(args.secrets.map((s) => s.secretArn)),
            args.masterSecretArn,
            args.kmsKeyArn,
          ])
          .apply(([acct, rotatedSecretArns, masterSecretArn, kmsKeyArn]) =>
            JSON.stringify(
              rotationFunctionPolicy({
                account: acct,
                region,
                rotatedSecretArns,
                masterSecretArn,
                kmsKeyArn,
                logGroupArn: logGroupArn(acct, region, logGroupName),
                vpc: args.vpc,
              }),
            ),
          ),
      },
      { parent: this },
    );

    const endpoint = args.secretsManagerEndpoint;
    const variables: Record<string, pulumi.Input<string>> = rotationHandlerEnvironment({
      endpoint: endpoint?.endpointUrl,
      password: { length: args.passwordLength, excludeCharacters: args.excludeCharacters },
      defaults: { strategy: args.strategy, master: args.masterSecretArn },
    });
    // Read by Node.js at start-up: the CAs database TLS is verified against, besides Node's own.
    variables.NODE_EXTRA_CA_CERTS =
      args.caCertificates !== undefined
        ? `${LAMBDA_TASK_ROOT}/${ROTATION_CA_CERTIFICATES_FILE}`
        : LAMBDA_AMAZON_CA_BUNDLE;

    this.function = new aws.lambda.Function(
      `${name}-function`,
      {
        region,
        name: functionName,
        description: `Rotates Airflow ${args.environment} connection secrets (${args.strategy})`,
        runtime: ROTATION_RUNTIME,
        architectures: ["arm64"],
        handler: ROTATION_HANDLER_NAME,
        code: rotationHandlerArchive(args.caCertificates),
        role: this.role.arn,
        timeout: 60,
        memorySize: 256,
        environment: { variables },
        vpcConfig:
          args.vpc !== undefined
            ? { subnetIds: args.vpc.subnetIds, securityGroupIds: args.vpc.securityGroupIds }
            : undefined,
        loggingConfig: { logFormat: "Text", logGroup: this.logGroup.name },
        tags,
      },
      { parent: this, dependsOn: [rolePolicy, ...(endpoint?.vpcEndpoint ? [endpoint.vpcEndpoint] : [])] },
    );

    // One invoke permission per function, not per secret: Secrets Manager may invoke it for the
    // ARNs sharing its secrets' longest common prefix (Lambda matches SourceArn with ArnLike), which
    // is never wider than the environment's connections prefix. The role still reaches only its own
    // secrets, so an invocation for any other secret fails at its first GetSecretValue.
    this.permission = new aws.lambda.Permission(
      `${name}-invoke`,
      {
        region,
        function: this.function.name,
        action: "lambda:InvokeFunction",
        principal: "secretsmanager.amazonaws.com",
        sourceArn: pulumi.all(args.secrets.map((s) => s.secretArn)).apply(sourceArnPattern),
        sourceAccount: account.accountId,
      },
      { parent: this },
    );
    const permission = this.permission;
    for (const secret of args.secrets) {
      const child = `${name}-${idSlug(secret.id)}`;
      this.permissions[secret.id] = permission;
      this.rotations[secret.id] = new aws.secretsmanager.SecretRotation(
        `${child}-rotation`,
        {
          region,
          secretId: secret.secretArn,
          rotationLambdaArn: this.function.arn,
          rotationRules: rotationRules(secret.schedule),
          rotateImmediately: args.rotateImmediately === true,
        },
        { parent: this, dependsOn: [permission, rolePolicy] },
      );
    }

    this.errorsAlarm = new aws.cloudwatch.MetricAlarm(
      `${name}-errors`,
      {
        region,
        name: `${functionName}-errors`,
        alarmDescription: `Airflow ${args.environment}: the rotation function failed; the AWSCURRENT password is unchanged, but the rotation did not happen`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: this.function.name },
        ...ALARM_ON_FIRST_OCCURRENCE,
        alarmActions: args.alarmTopicArn !== undefined ? [args.alarmTopicArn] : [],
        tags,
      },
      { parent: this },
    );
    this.registerOutputs({ functionArn: this.function.arn, roleArn: this.roleArn });
  }
}
