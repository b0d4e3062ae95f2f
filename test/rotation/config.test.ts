/**
 * The rotators' shared config core: what each component writes is what its runtime reads back, through
 * the same parser, and a broken config fails with every problem named by field, never by value.
 */
import { readRotationHandlerConfig, rotationHandlerEnvironment } from "../../components/aws/rotator/config";
import { rotationConfig } from "../../components/azure/rotation";
import { parseRotationConfig } from "../../components/azure/rotator/config";
import { parseRotatorConfig, ROTATOR_CONFIG_ENV } from "../../components/gcp/rotator/config";
import { rotatorPasswordPolicy } from "../../components/rotation/config";
import {
  DEFAULT_EXCLUDED_CHARACTERS,
  DEFAULT_PASSWORD_LENGTH,
  RotationError,
} from "../../components/rotation/internal";

function configError(run: () => unknown): RotationError {
  try {
    run();
  } catch (error) {
    if (error instanceof RotationError) return error;
    throw error;
  }
  throw new Error("expected an INVALID_CONFIG error");
}

describe("rotatorPasswordPolicy", () => {
  it("fills the rotation core's defaults, keeping an explicit empty exclusion list", () => {
    expect(rotatorPasswordPolicy()).toEqual({
      length: DEFAULT_PASSWORD_LENGTH,
      excludeCharacters: DEFAULT_EXCLUDED_CHARACTERS,
    });
    expect(rotatorPasswordPolicy({ length: 48, excludeCharacters: "" })).toEqual({
      length: 48,
      excludeCharacters: "",
    });
  });
});

describe("AWS: environment variables", () => {
  it("round-trips what the component writes", () => {
    const env = rotationHandlerEnvironment({
      endpoint: "https://vpce.example",
      password: { length: 40, excludeCharacters: "" },
      defaults: { strategy: "alternating-users", master: "arn:aws:secretsmanager:eu-west-1:1:secret:admin" },
    });
    expect(readRotationHandlerConfig(env)).toEqual({
      endpoint: "https://vpce.example",
      password: { length: 40, excludeCharacters: "" },
      defaults: { strategy: "alternating-users", master: "arn:aws:secretsmanager:eu-west-1:1:secret:admin" },
    });
  });

  it("leaves unset fields to the core's defaults", () => {
    const env = rotationHandlerEnvironment<string>({ defaults: { strategy: "single-user" } });
    expect(env).toEqual({ ROTATION_STRATEGY: "single-user" });
    expect(readRotationHandlerConfig(env)).toEqual({
      endpoint: undefined,
      password: rotatorPasswordPolicy(),
      defaults: { strategy: "single-user" },
    });
  });

  it("names every bad variable at once", () => {
    const error = configError(() =>
      readRotationHandlerConfig({ PASSWORD_LENGTH: "0", ROTATION_STRATEGY: "hourly" }),
    );
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.detail).toBe(
      "the rotation function's environment is invalid: PASSWORD_LENGTH must be an integer from 1 to 4096; ROTATION_STRATEGY must be one of single-user, alternating-users",
    );
  });
});

describe("GCP: one JSON environment variable", () => {
  const valid = {
    projectId: "acme",
    projectNumber: "123",
    secrets: {
      "airflow-prod-connections-warehouse": {
        connId: "warehouse",
        strategy: "alternating-users",
        master: "airflow-prod-connections-admin",
      },
      "airflow-prod-connections-reporting": { connId: "reporting", strategy: "single-user" },
    },
    password: { length: 40, excludeCharacters: "@" },
  };

  it("reads a valid config as written", () => {
    expect(parseRotatorConfig(JSON.stringify(valid))).toEqual(valid);
  });

  it("keys the secrets map without a prototype, so a secret id never resolves to an inherited property", () => {
    const config = parseRotatorConfig(JSON.stringify({ ...valid, secrets: {} }));
    expect(config.secrets.constructor).toBeUndefined();
    expect(config.secrets.toString).toBeUndefined();
  });

  it("names every problem by field", () => {
    const error = configError(() =>
      parseRotatorConfig(
        JSON.stringify({
          projectId: "",
          projectNumber: "12a",
          secrets: { a: { connId: "a", strategy: "alternating-users" }, b: "single-user" },
          password: { length: 1.5, excludeCharacters: 3 },
        }),
      ),
    );
    expect(error.detail).toBe(
      `${ROTATOR_CONFIG_ENV} is invalid: projectId must be a string; projectNumber must be digits; ` +
        "secrets.a.master is required for alternating-users; secrets.b must be an object; secrets.b.connId must be a string; " +
        "password.length must be an integer from 1 to 4096; password.excludeCharacters must be a string",
    );
  });

  it("refuses a missing, non-JSON or non-object setting", () => {
    expect(configError(() => parseRotatorConfig(undefined)).detail).toBe(`${ROTATOR_CONFIG_ENV} is not set`);
    expect(configError(() => parseRotatorConfig("{")).detail).toBe(`${ROTATOR_CONFIG_ENV} is not valid JSON`);
    expect(configError(() => parseRotatorConfig("[]")).detail).toBe(
      `${ROTATOR_CONFIG_ENV} must be a JSON object`,
    );
  });
});

describe("Azure: one JSON app setting", () => {
  it("round-trips what the component writes, password policy included", () => {
    const written = rotationConfig(
      {
        vault: {
          id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
          name: "kv",
          url: "https://kv.vault.azure.net/",
        },
        secrets: [
          {
            name: "Airflow-Prod-Connections-Warehouse",
            strategy: "alternating-users",
            everyDays: 30,
            journalName: "airflow-prod-connections-warehouse-rotation-pending",
            masterName: "airflow-prod-connections-admin",
          },
        ],
        password: { length: 50 },
      },
      { containerUrl: "https://stafrot.blob.core.windows.net/rotation-journals" },
    );
    const read = parseRotationConfig(JSON.stringify(written));
    expect(read).toEqual(written);
    expect(read).toEqual({
      vaultUrl: "https://kv.vault.azure.net/",
      tokenResource: "https://vault.azure.net",
      secrets: {
        "airflow-prod-connections-warehouse": {
          strategy: "alternating-users",
          everyDays: 30,
          journalName: "airflow-prod-connections-warehouse-rotation-pending",
          master: "airflow-prod-connections-admin",
        },
      },
      password: { length: 50, excludeCharacters: DEFAULT_EXCLUDED_CHARACTERS },
      journals: { containerUrl: "https://stafrot.blob.core.windows.net/rotation-journals" },
    });
  });

  it("names every problem by field, without quoting values", () => {
    const error = configError(() =>
      parseRotationConfig(
        JSON.stringify({
          vaultUrl: "http://kv.vault.azure.net/",
          tokenResource: "vault.azure.net",
          secrets: { s: { strategy: "alternating-users", everyDays: 0, master: "" } },
        }),
      ),
    );
    expect(error.detail).toBe(
      "AIRFLOW_ROTATION_CONFIG is invalid: vaultUrl must be the vault's https URL; tokenResource must be https://{vault DNS suffix}; " +
        "journals must be an object with the journal container's URL; " +
        "secrets.s.master must be a non-empty string; " +
        "secrets.s.everyDays must be a whole number of days; secrets.s.journalName must be a journal name",
    );
    expect(error.detail).not.toContain("kv.vault.azure.net");
  });
});
