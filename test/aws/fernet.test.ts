/**
 * The Fernet key through the AWS store, across a real rotation sequence: three deployments of the
 * same prod stack (one generation; new + old during the window; new alone), each checked with an
 * independent Fernet implementation (Python's cryptography MultiFernet, as Airflow uses it).
 */
import { isSecretValue, RecordedResource } from "../../cli/synth/mockRuntime";
import { fernet, pythonFernetAvailable } from "./fernetOracle";
import { awsEnvironmentArgs, deployEnvironments, resourceNamed } from "./harness";

const FERNET_SECRET = "prod-secrets-config-fernet_key";

interface Deployment {
  resources: RecordedResource[];
  /** The stored `[core] fernet_key` value (unwrapped from its secret marker). */
  value: string;
  wrapped: boolean;
  airflowEnv: Record<string, string>;
}

async function deployProd(generations: string[], rotationInProgress: boolean): Promise<Deployment> {
  const {
    resources,
    envs: [env],
  } = await deployEnvironments(
    "prod",
    awsEnvironmentArgs("prod", {}, { fernet: { generations, rotationInProgress } }),
  );
  const version = resourceNamed(
    resources,
    "aws:secretsmanager/secretVersion:SecretVersion",
    `${FERNET_SECRET}-value`,
  );
  const stored = version.inputs.secretString;
  return {
    resources,
    value: (isSecretValue(stored) ? stored.value : stored) as string,
    wrapped: isSecretValue(stored),
    airflowEnv: env.airflowConfig.env,
  };
}

let first: Deployment;
let window: Deployment;
let after: Deployment;

beforeAll(async () => {
  // Printed so a run without Python's cryptography is visible, not silently different.
  console.log(
    `Fernet oracle: ${pythonFernetAvailable ? "python3 cryptography (MultiFernet)" : "npm fernet"}`,
  );
  first = await deployProd(["2026-q3"], false);
  window = await deployProd(["2026-q3", "2026-q4"], true);
  after = await deployProd(["2026-q3", "2026-q4"], false);
});

describe("Fernet key stored by the AWS backend", () => {
  it("every generation is a valid Fernet key, and the stored value is always a Pulumi secret", () => {
    const keys = [first.value, ...window.value.split(","), after.value];
    expect(fernet(keys.map((key) => ({ op: "valid" as const, key })))).toEqual(keys.map(() => true));
    expect([first.wrapped, window.wrapped, after.wrapped]).toEqual([true, true, true]);
    expect(window.value.split(",")).toHaveLength(2);
  });

  it("during the window (new,old) tokens made with the old key still decrypt and new tokens use the new key", () => {
    const oldKey = first.value;
    const [newKey, previous] = window.value.split(",");
    expect(previous).toBe(oldKey);
    expect(newKey).not.toBe(oldKey);
    const [oldToken] = fernet([
      { op: "encrypt", keys: [oldKey], data: "postgres-password-encrypted-before-rotation" },
    ]) as string[];
    const [newToken] = fernet([
      { op: "encrypt", keys: window.value.split(","), data: "written-during-the-window" },
    ]) as string[];
    const [oldStillReadable, newWithNewKey, newWithOldKey] = fernet([
      { op: "decrypt", keys: window.value.split(","), token: oldToken },
      { op: "decrypt", keys: [newKey], token: newToken },
      { op: "decrypt", keys: [oldKey], token: newToken },
    ]);
    expect(oldStillReadable).toBe("postgres-password-encrypted-before-rotation");
    expect(newWithNewKey).toBe("written-during-the-window");
    expect(newWithOldKey).toBeNull();
  });

  it("after `airflow rotate-fernet-key` and dropping the old key, rotated values decrypt and old tokens do not", () => {
    const [oldToken] = fernet([{ op: "encrypt", keys: [first.value], data: "variable-value" }]) as string[];
    const [rotated] = fernet([{ op: "rotate", keys: window.value.split(","), token: oldToken }]) as string[];
    expect(after.value).toBe(window.value.split(",")[0]);
    expect(
      fernet([
        { op: "decrypt", keys: [after.value], token: rotated },
        { op: "decrypt", keys: [after.value], token: oldToken },
      ]),
    ).toEqual(["variable-value", null]);
  });

  it("the npm fernet package agrees with Python on the stored keys (two implementations, one answer)", () => {
    const keys = window.value.split(",");
    const [token] = fernet([{ op: "encrypt", keys, data: "cross-check" }]) as string[];
    expect(fernet([{ op: "decrypt", keys, token }], "npm")).toEqual(["cross-check"]);
    const [npmToken] = fernet([{ op: "encrypt", keys, data: "the other way" }], "npm") as string[];
    expect(fernet([{ op: "decrypt", keys, token: npmToken }])).toEqual(["the other way"]);
  });

  it("Airflow reads it through AIRFLOW__CORE__FERNET_KEY_SECRET from the contract", () => {
    expect(window.airflowEnv.AIRFLOW__CORE__FERNET_KEY_SECRET).toBe("fernet_key");
    const kwargs = JSON.parse(window.airflowEnv.AIRFLOW__SECRETS__BACKEND_KWARGS);
    expect(kwargs.config_prefix).toBe("airflow/prod/config");
  });

  it("is encrypted with the environment's key; in production the secret and the key are protected and retained", () => {
    for (const deployment of [first, window, after]) {
      const secret = resourceNamed(deployment.resources, "aws:secretsmanager/secret:Secret", FERNET_SECRET);
      const key = resourceNamed(deployment.resources, "aws:kms/key:Key", "prod-secrets-key-key");
      const version = resourceNamed(
        deployment.resources,
        "aws:secretsmanager/secretVersion:SecretVersion",
        `${FERNET_SECRET}-value`,
      );
      expect(secret.inputs.name).toBe("airflow/prod/config/fernet_key");
      // The key the environment's alias (alias/airflow-prod-secrets) names.
      const alias = resourceNamed(deployment.resources, "aws:kms/alias:Alias", "prod-secrets-key-alias");
      expect(alias.inputs.name).toBe("alias/airflow-prod-secrets");
      expect(secret.inputs.kmsKeyId).toBe(
        `arn:aws:kms:eu-west-1:123456789012:key/${alias.inputs.targetKeyId}`,
      );
      expect({ protect: secret.protect, retain: secret.retainOnDelete }).toEqual({
        protect: true,
        retain: true,
      });
      expect({ protect: key.protect, retain: key.retainOnDelete }).toEqual({ protect: true, retain: true });
      // Each rotation replaces the version; the old one stays in Secrets Manager as AWSPREVIOUS.
      expect({ protect: version.protect, retain: version.retainOnDelete }).toEqual({
        protect: false,
        retain: true,
      });
      for (const generation of deployment.resources.filter(
        (r) => r.type === "random:index/randomBytes:RandomBytes",
      )) {
        expect(generation.protect).toBe(true);
      }
    }
  });
});
