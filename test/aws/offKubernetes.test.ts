/**
 * `kubernetes: false` with the AWS backend (Amazon MWAA, Astronomer on AWS): no Kubernetes resource,
 * the reader role trusted by exactly the roles Airflow runs as (iam-simulate), Airflow's backend
 * assuming it through `role_arn` (the amazon provider's session model), and MWAA's
 * `AirflowConfigurationOptions` holding the same configuration under MWAA's key and value rules.
 */
import * as fc from "fast-check";
import { RecordedResource, resolveOutput } from "../../cli/synth/mockRuntime";
import type { AirflowSecretsEnvironment } from "../../components/environment";
import { modelAwsBackend } from "./awsSessionOracle";
import {
  ACCOUNT,
  OIDC_ISSUER,
  OIDC_PROVIDER_ARN,
  awsEnvironmentArgs,
  awsPrepareProblems,
  deployEnvironments,
  policyOf,
  resourceNamed,
  simulate,
} from "./harness";

const MWAA_ROLE = `arn:aws:iam::${ACCOUNT}:role/service-role/AmazonMWAA-prod-execution`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/some-other-workload`;

/** A production environment for MWAA: no IRSA fields, the execution role named instead. */
const mwaaArgs = (airflowVersion = "2.10") =>
  awsEnvironmentArgs(
    "prod",
    {
      oidcProviderArn: undefined,
      oidcIssuer: undefined,
      offKubernetes: { airflowRoleArns: [MWAA_ROLE], accountId: ACCOUNT },
    },
    { kubernetes: false, airflow: { version: airflowVersion, cache: { enabled: true, ttlSeconds: 600 } } },
  );

describe("AWS backend with kubernetes: false (MWAA, Astronomer)", () => {
  let resources: RecordedResource[];
  let environment: AirflowSecretsEnvironment;
  let trust: Record<string, unknown>;
  let readerRoleArn: string;

  beforeAll(async () => {
    const deployed = await deployEnvironments("prod", mwaaArgs());
    resources = deployed.resources;
    environment = deployed.envs[0];
    const reader = resourceNamed(resources, "aws:iam/role:Role", /-reader$/);
    trust = policyOf(reader, "assumeRolePolicy");
    readerRoleArn = `arn:aws:iam::${ACCOUNT}:role/${reader.inputs.name as string}`;
  });

  it("registers the store, key and reader, and no Kubernetes resource", () => {
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.some((r) => r.type === "aws:secretsmanager/secret:Secret")).toBe(true);
    expect(resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.type)).toEqual([]);
    expect(environment.serviceAccount).toBeUndefined();
    expect(environment.configMap).toBeUndefined();
    expect(environment.helmValues).toBeUndefined();
  });

  it("the reader role trusts only the roles Airflow runs as, by sts:AssumeRole (iam-simulate)", async () => {
    const assume = (principal: string, action = "sts:AssumeRole") =>
      simulate({ principal, action, resource: readerRoleArn, identityPolicies: [], resourcePolicy: trust });
    expect(await assume(MWAA_ROLE)).toBe("Allowed");
    expect(await assume(OTHER_ROLE)).not.toBe("Allowed");
    expect(await assume(`arn:aws:iam::${ACCOUNT}:root`)).not.toBe("Allowed");
    expect(await assume(MWAA_ROLE, "sts:TagSession")).not.toBe("Allowed");
    expect(await assume(MWAA_ROLE, "sts:AssumeRoleWithWebIdentity")).not.toBe("Allowed");
    expect(JSON.stringify(trust)).not.toContain("Federated");
  });

  it("Airflow's backend assumes exactly that reader with the host's credentials, nothing ignored", () => {
    const env = environment.airflowConfig.env;
    const kwargs = JSON.parse(env.AIRFLOW__SECRETS__BACKEND_KWARGS);
    const backend = modelAwsBackend("SecretsManagerBackend", kwargs);
    expect(backend.ignoredKeys).toEqual([]);
    expect(backend.session.baseCredentials).toBe("default chain (IRSA web identity)"); // boto's default chain: the host's role
    expect(backend.session.assumeRole).toEqual({ RoleArn: readerRoleArn, RoleSessionName: "airflow-prod" });
    expect(backend.prefixes.connection).toBe("airflow/prod/connections");
  });

  it("MWAA's configuration options hold the same configuration, within MWAA's key and value rules", () => {
    const mwaa = environment.mwaaConfiguration!;
    const config = environment.airflowConfig;
    expect(Object.keys(mwaa.options).length).toBeGreaterThan(0);
    expect(mwaa.options["secrets.backend"]).toBe(config.backendClass);
    expect(mwaa.options["secrets.backend_kwargs"]).toBe(config.env.AIRFLOW__SECRETS__BACKEND_KWARGS);
    expect(mwaa.options["secrets.use_cache"]).toBe("True");
    // Every option is either in the map, under the environment variable's name, or left out with a reason.
    for (const { section, option, value } of config.options) {
      const key = `${section}.${option}`;
      const omitted = mwaa.omitted.find((o) => o.option === key);
      if (omitted === undefined) expect(mwaa.options[key]).toBe(value);
      else expect(mwaa.options[key]).toBeUndefined();
    }
    for (const [key, value] of Object.entries(mwaa.options)) {
      expect(key).toMatch(/^[a-z]+([a-z0-9._]*[a-z0-9_]+)?$/);
      expect(key.length).toBeLessThanOrEqual(64);
      expect(value).toMatch(/^[ -~]{1,65536}$/);
    }
    // MWAA keeps its own Fernet key: the reference to this library's is left out, with the reason.
    expect(config.env.AIRFLOW__CORE__FERNET_KEY_SECRET).toBe("fernet_key");
    expect(mwaa.omitted).toEqual([
      { option: "core.fernet_key_secret", reason: expect.stringMatching(/MWAA .*Fernet key/) },
    ]);
  });

  it("airflow.cfg (Astronomer, a host's file) names the same backend", async () => {
    const cfg = await resolveOutput(environment.airflowConfig.cfg);
    expect(cfg.value).toContain(
      "[secrets]\nbackend = airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
    );
  });
});

describe("AWS backend with kubernetes: false on Airflow 3", () => {
  it("MWAA's map carries the workers' backend as Airflow 3 reads it", async () => {
    const { envs } = await deployEnvironments("prod3", mwaaArgs("3.0"));
    const mwaa = envs[0].mwaaConfiguration!;
    expect(mwaa.options["workers.secrets_backend"]).toBe(mwaa.options["secrets.backend"]);
    expect(mwaa.options["workers.secrets_backend_kwargs"]).toBe(mwaa.options["secrets.backend_kwargs"]);
  });
});

describe("the target's identity fields", () => {
  const problemsOf = (settings: Record<string, unknown>, extra = {}) =>
    awsPrepareProblems(awsEnvironmentArgs("prod", settings, { kubernetes: false, ...extra }));
  const off = { oidcProviderArn: undefined, oidcIssuer: undefined };

  it("off Kubernetes: offKubernetes is required, IRSA's fields and accounts are refused, each by its field", () => {
    expect(problemsOf(off)).toEqual([
      expect.stringMatching(/^aws\.offKubernetes: is required with kubernetes: false/),
    ]);
    const withIrsa = problemsOf({
      oidcProviderArn: OIDC_PROVIDER_ARN,
      oidcIssuer: OIDC_ISSUER,
      offKubernetes: { airflowRoleArns: [MWAA_ROLE], accountId: ACCOUNT },
    });
    expect(withIrsa).toEqual([
      expect.stringMatching(/^aws\.oidcProviderArn: is IRSA's and kubernetes is false/),
      expect.stringMatching(/^aws\.oidcIssuer: is IRSA's and kubernetes is false/),
    ]);
  });

  it("refuses malformed roles and account ids without quoting them", () => {
    fc.assert(
      // A marker no message contains, around any text: a refused value must never be echoed.
      fc.property(
        fc.string().map((text) => `Qz7${text}Qz7`),
        (junk) => {
          const problems = problemsOf({
            ...off,
            offKubernetes: { airflowRoleArns: [junk], accountId: junk },
          });
          const paths = problems.map((p) => p.split(": ")[0]);
          expect(paths).toContain("aws.offKubernetes.airflowRoleArns[0]");
          expect(paths).toContain("aws.offKubernetes.accountId");
          for (const p of problems) expect(p.slice(p.indexOf(": ") + 2)).not.toContain(junk);
        },
      ),
      { numRuns: 50 },
    );
    expect(problemsOf({ ...off, offKubernetes: { airflowRoleArns: [], accountId: ACCOUNT } })).toEqual([
      expect.stringMatching(/^aws\.offKubernetes\.airflowRoleArns: must name at least one IAM role/),
    ]);
  });

  it("on Kubernetes: IRSA's fields are required and offKubernetes is refused", () => {
    const onCluster = (settings: Record<string, unknown>) =>
      awsPrepareProblems(awsEnvironmentArgs("prod", settings));
    expect(onCluster({ offKubernetes: { airflowRoleArns: [MWAA_ROLE], accountId: ACCOUNT } })).toEqual([
      expect.stringMatching(/^aws\.offKubernetes: applies only with kubernetes: false/),
    ]);
    expect(onCluster(off)).toEqual([
      expect.stringMatching(/^aws\.oidcProviderArn: is required on Kubernetes/),
      expect.stringMatching(/^aws\.oidcIssuer: is required on Kubernetes/),
    ]);
  });

  it("a Fernet re-encryption Job is refused off Kubernetes, at its field", () => {
    const problems = problemsOf(
      { ...off, offKubernetes: { airflowRoleArns: [MWAA_ROLE], accountId: ACCOUNT } },
      {
        fernet: {
          generations: ["2026-q3", "2026-q4"],
          rotationInProgress: true,
          reencryptJob: { image: "apache/airflow:2.10.5", metadataSecret: { name: "airflow-metadata" } },
        },
      },
    );
    expect(problems).toEqual([
      expect.stringMatching(/^fernet\.reencryptJob: is a Kubernetes Job and kubernetes is false/),
    ]);
  });

  it("kubernetes is false or a map: anything else names the field", () => {
    for (const kubernetes of [true, "no", 0, []])
      expect(
        awsPrepareProblems(awsEnvironmentArgs("prod", {}, { kubernetes: kubernetes as never })),
      ).toContain(
        "kubernetes: must be a map of Kubernetes settings, or false when Airflow runs off Kubernetes",
      );
  });

  it("the deployer role stays required with Secrets Manager off Kubernetes too", () => {
    const problems = problemsOf({
      ...off,
      deployerRoleArns: undefined,
      offKubernetes: { airflowRoleArns: [MWAA_ROLE], accountId: ACCOUNT },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^aws\.deployerRoleArns: is required with Secrets Manager/),
    ]);
  });
});
