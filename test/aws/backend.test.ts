/**
 * The AWS backend in the parse → resolve → build shape: resolve is pure and holds every rule (tested
 * without the mock runtime), AwsAirflowSecrets builds from its value without checking anything again,
 * and the settings speak the one vocabulary (existing blocks, renamed keys, null blocks as absent).
 */
import Ajv from "ajv";
import { z } from "zod";
import { installMocks } from "../../cli/synth/mockRuntime";
import { Problems } from "../../components/airflow";
import * as validate from "../../components/airflow/validate";
import { BackendContext, prepareBackend } from "../../components/backend";
import { backend } from "../../components/aws/backend";
import type { AwsBackendSettingsInput } from "../../components/aws/schema";
import {
  ACCOUNT,
  DEPLOYER_ROLE_ARN,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  REGION,
  awsEnvironmentArgs,
} from "./harness";

const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

function contextOf(environment = "prod"): BackendContext {
  const args = awsEnvironmentArgs(environment);
  return {
    environment,
    production: environment === "prod",
    owner: args.owner,
    declarations: args.declarations,
    airflow: args.airflow,
    kubernetes: args.kubernetes,
    now: new Date("2026-07-01T00:00:00Z"),
  };
}

const baseSettings = (): AwsBackendSettingsInput => ({
  region: REGION,
  oidcProviderArn: OIDC_PROVIDER_ARN,
  oidcIssuer: OIDC_ISSUER,
  deployerRoleArns: [DEPLOYER_ROLE_ARN],
});

/** Parse → plan → resolve, as the environment runs them; no mock runtime, nothing can register. */
function resolveAws(settings: unknown, context = contextOf()) {
  const problems = new Problems();
  const resolved = prepareBackend(backend, context, settings, problems);
  return { resolved, problems: problems.list.map((p) => `${p.path}: ${p.rule}`) };
}

describe("resolve (pure, no runtime)", () => {
  it("gives the same value for the same input, and leaves its input as it was", () => {
    const settings = {
      ...baseSettings(),
      audit: { alarmEmail: "oncall@example.com" },
      tags: { team: "data" },
    };
    const before = JSON.stringify(settings);
    const first = resolveAws(settings);
    const second = resolveAws(settings);
    expect(first.problems).toEqual([]);
    expect(first.resolved).toBeDefined();
    expect(second.resolved!.settings).toEqual(first.resolved!.settings);
    expect(second.resolved!.criticalSecretNames).toEqual(first.resolved!.criticalSecretNames);
    expect(second.resolved!.plan.secrets.map((s) => s.name)).toEqual(
      first.resolved!.plan.secrets.map((s) => s.name),
    );
    expect(JSON.stringify(settings)).toBe(before);
  });

  it("decides the production defaults once: audit on and 30-day recovery in prod, off and 7 in dev", () => {
    const prod = resolveAws(baseSettings(), contextOf("prod")).resolved!;
    const dev = resolveAws(baseSettings(), contextOf("dev")).resolved!;
    expect([prod.audit, prod.recoveryWindowInDays]).toEqual([true, 30]);
    expect([dev.audit, dev.recoveryWindowInDays]).toEqual([false, 7]);
    expect(prod.settings.store).toBe("secretsmanager");
  });

  it("holds every rule: invalid settings return nothing and name each field", () => {
    const { resolved, problems } = resolveAws({
      ...baseSettings(),
      region: "Ireland",
      tags: { "cost-center": 'data"platform\nteam' },
      audit: { alarmEmail: "oncall" },
    });
    expect(resolved).toBeUndefined();
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "aws.region",
      "aws.tags.cost-center",
      "aws.audit.alarmEmail",
    ]);
  });
});

describe("AwsAirflowSecrets builds from the resolved value and checks nothing again", () => {
  it("a TypeScript program composes it alone: no declaration check while building, no aliases without a parent", async () => {
    const session = installMocks({ project: "airflow-secrets", stack: "aws-alone" });
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { resolveBackendOrThrow } =
      require("../../components/backend") as typeof import("../../components/backend");
    const aws = require("../../components/aws") as typeof import("../../components/aws");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const context = contextOf("dev");
    const resolved = resolveBackendOrThrow(aws.awsBackend, context, baseSettings());
    expect(session.resources).toEqual([]);
    const spy = jest.spyOn(validate, "validateDeclarations");
    try {
      const secrets = new aws.AwsAirflowSecrets("dev-aws", resolved);
      await session.settle();
      expect(spy).not.toHaveBeenCalled();
      expect(secrets.plan).toBe(resolved.plan);
      expect(Object.keys(secrets.deployment.outputs).sort()).toEqual([
        "awsRegion",
        "kmsKeyArn",
        "readerRoleArn",
        "secretArns",
        "secretStore",
        "writerPolicyArn",
      ]);
    } finally {
      spy.mockRestore();
    }
    const umbrella = session.resources.filter((r) => r.type === "airflow-secrets:aws:AwsAirflowSecrets");
    expect(umbrella).toHaveLength(1);
    const children = session.resources.filter((r) => r.parent === umbrella[0].urn);
    expect(children.length).toBeGreaterThanOrEqual(3);
    expect(children.filter((r) => r.aliases.length > 0)).toEqual([]);
  });

  it("under the environment, each direct child is aliased to the environment it sat under", async () => {
    const session = installMocks({ project: "airflow-secrets", stack: "aws-env" });
    const { AirflowSecretsEnvironment } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require("../../components/environment") as typeof import("../../components/environment");
    AirflowSecretsEnvironment.fromConfig("prod", awsEnvironmentArgs("prod"));
    await session.settle();
    const env = session.resources.find((r) => r.type === "airflow-secrets:index:AirflowSecretsEnvironment")!;
    const umbrella = session.resources.find((r) => r.type === "airflow-secrets:aws:AwsAirflowSecrets")!;
    expect(umbrella.parent).toBe(env.urn);
    const children = session.resources.filter((r) => r.parent === umbrella.urn);
    expect(children.map((r) => r.type).sort()).toEqual([
      "airflow-secrets:aws:SecretsAccessRoles",
      "airflow-secrets:aws:SecretsAuditTrail",
      "airflow-secrets:aws:SecretsKmsKey",
      "airflow-secrets:aws:SecretsManagerStore",
    ]);
    // An alias names the old parent: as a spec (its parent URN) or as the whole old URN.
    const oldUrnOf = (child: (typeof children)[number]) =>
      `urn:pulumi:aws-env::airflow-secrets::${env.type}$${child.type}::${child.name}`;
    const aliasedToEnvironment = (child: (typeof children)[number]) =>
      (child.aliases as unknown[]).some((alias) =>
        typeof alias === "string"
          ? alias === oldUrnOf(child)
          : (alias as { parent?: string }).parent === env.urn,
      );
    expect(children.filter((child) => !aliasedToEnvironment(child))).toEqual([]);
  });
});

describe("one vocabulary", () => {
  it("the keys of an earlier release are reported as renamed, with the new path", () => {
    const { problems } = resolveAws({
      ...baseSettings(),
      kms: { existingKeyArn: KEY_ARN },
      audit: { existingTrail: { logGroupName: "org-trail" } },
    });
    expect(problems).toEqual([
      "aws.kms.existingKeyArn: was renamed: write aws.kms.existing.keyArn instead",
      "aws.audit.existingTrail: was renamed: write aws.audit.existing instead",
    ]);
  });

  it("existing refuses the settings that only shape a created key or trail", () => {
    const { problems } = resolveAws({
      ...baseSettings(),
      kms: { existing: { keyArn: KEY_ARN }, deletionWindowInDays: 7, multiRegion: true },
      audit: { existing: { logGroupName: "org-trail" }, expireAfterDays: 400 },
    });
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "aws.kms.deletionWindowInDays",
      "aws.kms.multiRegion",
      "aws.audit.expireAfterDays",
    ]);
    expect(problems[0]).toMatch(/aws\.kms\.existing brings your own/);
  });

  it("a block written with every child commented out (YAML null) is the same as no block", () => {
    const absent = resolveAws(baseSettings());
    const blocks = ["layout", "kms", "tags", "audit", "ciWriter", "rotation", "replicaRegions", "store"];
    const nulls = resolveAws({ ...baseSettings(), ...Object.fromEntries(blocks.map((b) => [b, null])) });
    expect(nulls.problems).toEqual([]);
    expect(nulls.resolved!.settings).toEqual(absent.resolved!.settings);
    expect(nulls.resolved!.audit).toBe(true);
  });
});

describe("AWS tags", () => {
  it.each([
    ["a quote and a newline in a value", { "cost-center": 'data"platform\nteam' }, "aws.tags.cost-center"],
    ["a value over 256 characters", { team: "a".repeat(257) }, "aws.tags.team"],
    ["a key with the aws: prefix", { "aws:team": "data" }, "aws.tags"],
    ["a key with a character AWS refuses", { "team#1": "data" }, "aws.tags"],
    ["a key over 128 characters", { ["k".repeat(129)]: "data" }, "aws.tags"],
    [
      "a key this library sets",
      { "airflow-secrets-environment": "dev" },
      "aws.tags.airflow-secrets-environment",
    ],
  ])("%s is refused at its field, before registration", (_, tags, field) => {
    const { resolved, problems } = resolveAws({ ...baseSettings(), tags });
    expect(resolved).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(`${field}: `)).toBe(true);
    for (const value of Object.values(tags)) expect(problems[0]).not.toContain(value);
  });

  it("accepts every character AWS allows", () => {
    const tags = { "team:data/platform_x.y=z+1-2@3": "Data Platform: ü/é_x.y=z+1-2@3" };
    expect(resolveAws({ ...baseSettings(), tags }).problems).toEqual([]);
  });
});

describe("rules name the field, never the refused value", () => {
  const SENTINEL = "LEAKED-VALUE-7f3a";
  it.each([
    ["region", { region: SENTINEL.toLowerCase() }],
    ["oidcProviderArn", { oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${SENTINEL}` }],
    ["oidcIssuer", { oidcIssuer: `https://${SENTINEL}` }],
    ["deployerRoleArns", { deployerRoleArns: [SENTINEL] }],
    ["audit.alarmEmail", { audit: { alarmEmail: SENTINEL } }],
    ["ciWriter.githubRepository", { ciWriter: { githubRepository: `${SENTINEL}/x/y` } }],
    ["ciWriter.githubSubjects", { ciWriter: { githubRepository: "acme/x", githubSubjects: [SENTINEL] } }],
    ["rotation.secretsManagerEndpointUrl", { rotation: { secretsManagerEndpointUrl: SENTINEL } }],
  ])("%s", (field, override) => {
    const { problems } = resolveAws({ ...baseSettings(), ...override });
    expect(problems.some((p) => p.startsWith(`aws.${field}`))).toBe(true);
    expect(problems.join("\n").toLowerCase()).not.toContain(SENTINEL.toLowerCase());
  });
});

describe("deployerRoleArns: required with Secrets Manager by resolve and by the JSON Schema alike", () => {
  const { settingsSchema } = jest.requireActual(
    "../../components/aws/schema",
  ) as typeof import("../../components/aws/schema");
  const schemaAccepts = new Ajv({ strict: false }).compile(
    z.toJSONSchema(settingsSchema, { target: "draft-7", io: "input", unrepresentable: "any" }),
  );
  const { deployerRoleArns: _deployers, ...withoutDeployers } = baseSettings();
  it.each([
    ["Secrets Manager without deployers", withoutDeployers, false],
    ["Secrets Manager with deployers", baseSettings(), true],
    ["Parameter Store without deployers", { ...withoutDeployers, store: "ssm" }, true],
    ["Parameter Store with deployers", { ...baseSettings(), store: "ssm" }, false],
  ])("%s", (_, settings, accepted) => {
    expect(resolveAws(settings).problems.length === 0).toBe(accepted);
    expect(schemaAccepts(settings)).toBe(accepted);
  });
});
