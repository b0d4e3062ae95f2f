/**
 * Shared helpers for the AWS backend tests: stack settings of a realistic environment, deploying
 * environments under the mock runtime, look-ups in the recorded resources, and an IAM simulator
 * wrapper over `@cloud-copilot/iam-simulate`. Components are required only after `installMocks`.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { RecordedResource, installMocks, isSecretValue } from "../../cli/synth/mockRuntime";
import type {
  AirflowSecretsEnvironment,
  AirflowSecretsEnvironmentConfigArgs,
} from "../../components/environment";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const OIDC_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/5C1A7F3E9B2D4A6C8E0F1B3D5A7C9E1F";
export const OIDC_PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${OIDC_ISSUER}`;
export const DEPLOYER_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/platform-pulumi-deployer`;

/** The warehouse password of each environment: must only ever appear inside secret wrappers. */
export const passwordOf = (environment: string) => `pw-${environment}-Zq9!x`;

/** An AWS-backed environment as a stack would declare it; `settings` overrides backend settings. */
export function awsEnvironmentArgs(
  environment: string,
  settings: Record<string, unknown> = {},
  extra: Partial<AirflowSecretsEnvironmentConfigArgs> = {},
): AirflowSecretsEnvironmentConfigArgs {
  return {
    environment,
    owner: "data-platform",
    backend: "aws",
    backendSettings: {
      region: REGION,
      oidcProviderArn: OIDC_PROVIDER_ARN,
      oidcIssuer: OIDC_ISSUER,
      deployerRoleArns: [DEPLOYER_ROLE_ARN],
      ciWriter: { githubRepository: "acme/airflow-secrets", githubSubjects: [`environment:${environment}`] },
      ...settings,
    },
    airflow: { version: "2.10" },
    kubernetes: { namespace: `airflow-${environment}`, serviceAccount: "airflow" },
    declarations: {
      connections: [
        {
          conn_id: "warehouse",
          conn_type: "postgres",
          host: `warehouse.${environment}.internal`,
          port: 5432,
          schema: "analytics",
          login: `airflow_${environment}`,
          password: passwordOf(environment),
          extra: { sslmode: "verify-full" },
        },
        {
          conn_id: "slack_alerts",
          conn_type: "http",
          host: "hooks.slack.com",
          extra: { webhook_token: `tok-${environment}-77` },
        },
      ],
      variables: [{ key: "alert_email", value: `alerts-${environment}@example.com` }],
    },
    fernet: { generations: ["2026-q3"] },
    ...extra,
  };
}

export interface EnvironmentsDeployment {
  resources: RecordedResource[];
  envs: AirflowSecretsEnvironment[];
}

/** Deploys the environments side by side under a fresh mock runtime and records what they register. */
export async function deployEnvironments(
  stack: string,
  ...argsList: AirflowSecretsEnvironmentConfigArgs[]
): Promise<EnvironmentsDeployment> {
  const session = installMocks({ project: "airflow-secrets", stack });
  const { AirflowSecretsEnvironment: Environment } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("../../components/environment") as typeof import("../../components/environment");
  const envs = argsList.map((args) => Environment.fromConfig(args.environment, args));
  await session.settle();
  return { resources: session.resources, envs };
}

export { ofType as resourcesOf, one as resourceNamed } from "../support/resources";

/**
 * Runs only the AWS backend's validation (`prepare`) on an environment's arguments, as the environment
 * component would, and returns every problem as `path: rule`. Registers nothing, so accepted
 * arguments can be checked without deploying them.
 */
export function awsPrepareProblems(args: AirflowSecretsEnvironmentConfigArgs): string[] {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { prepareEnvironment } =
    require("../../components/environment") as typeof import("../../components/environment");
  const { Problems } = require("../../components/airflow") as typeof import("../../components/airflow");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const problems = new Problems();
  prepareEnvironment(args, problems);
  return problems.list.map((p) => `${p.path}: ${p.rule}`);
}

/** A recorded JSON policy input, parsed (secret wrappers are unwrapped: policies never are secret). */
export function policyOf(resource: RecordedResource, key = "policy"): Record<string, unknown> {
  const raw = resource.inputs[key];
  const text = isSecretValue(raw) ? (raw.value as string) : (raw as string);
  if (typeof text !== "string") throw new Error(`${resource.name}.${key} is not a JSON string`);
  return JSON.parse(text);
}

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface SimulationRequest {
  principal: string;
  action: string;
  resource: string;
  identityPolicies: object[];
  resourcePolicy?: object;
  context?: Record<string, string | string[]>;
}

/** Evaluates one request the way IAM does; a malformed policy or request fails the test. */
export async function simulate(request: SimulationRequest): Promise<Decision> {
  const response = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: {
          "aws:PrincipalArn": request.principal,
          "aws:PrincipalAccount": ACCOUNT,
          ...(request.context ?? {}),
        },
      },
      identityPolicies: request.identityPolicies.map((policy, i) => ({ name: `policy${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: request.resourcePolicy,
    },
    {},
  );
  if (response.resultType === "error") {
    throw new Error(
      `iam-simulate rejected ${request.action} on ${request.resource}: ${JSON.stringify(response.errors)}`,
    );
  }
  return response.overallResult as Decision;
}

export const allowed = (decision: Decision) => decision === "Allowed";
