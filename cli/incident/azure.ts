/**
 * Azure for rotate-now. The deployed rotator (components/azure/rotator) is an Event Grid function that
 * rotates a secret when Key Vault reports `SecretNearExpiry` and the current version is within its
 * near-expiry window; it has no HTTP trigger. So the command, with the caller's credentials:
 *   1. brings the current version's expiry into that window (PATCH its `exp` to 30 days from now —
 *      still in the future, so nothing stops reading it; Key Vault's own event for it follows later
 *      and is skipped by the rotator, whose version check sees it superseded);
 *   2. runs the function with the same event Key Vault sends, through the Functions host's documented
 *      admin endpoint for non-HTTP functions (`POST /admin/functions/RotateSecret`, master key);
 *   3. waits for a newer version.
 * The caller needs Key Vault Secrets Officer on the secret (read, set attributes) and the function
 * app's master key (`AZURE_FUNCTIONS_MASTER_KEY`, or `az functionapp keys list`, which needs
 * Microsoft.Web/sites/host/listkeys/action). Tokens: `AZURE_ACCESS_TOKEN` or `az account get-access-token`.
 */
import { execFileSync } from "child_process";
import { randomUUID } from "crypto";
import { ROTATION_EVENT_TYPES, ROTATOR_FUNCTION_NAME } from "../../components/azure/rotator/config";
import {
  KEY_VAULT_API_VERSION,
  KEY_VAULT_RESOURCE,
  KeyVaultRestClient,
  type KeyVaultSecretsClient,
} from "../../components/azure/rotator/keyVaultClient";
import { DAY_MS, NEAR_EXPIRY_LEAD_DAYS, isDue } from "../../components/azure/rotator/schedule";
import type { RotationDriver } from "./rotateSteps";
import { pollUntil, StepFailed } from "./steps";
import { IncidentTarget, resourceInput } from "./target";

/** The Event Grid event Key Vault sends (schema `Microsoft.KeyVault.SecretNearExpiry`). */
export interface KeyVaultEvent {
  id: string;
  eventType: string;
  subject: string;
  eventTime: string;
  dataVersion: string;
  data: {
    Id: string;
    VaultName: string;
    ObjectType: "Secret";
    ObjectName: string;
    Version: string;
    EXP?: number;
  };
}

export interface AzureRotationClients {
  keyVault: KeyVaultSecretsClient & {
    /** Sets one version's expiry (Key Vault `PATCH secrets/{name}/{version}`). */
    updateExpiry(name: string, version: string, expiresOn: Date): Promise<void>;
  };
  /** Runs the rotator function with the event; resolves when the host accepted it. */
  invokeRotator(event: KeyVaultEvent): Promise<void>;
}

function azToken(env: NodeJS.ProcessEnv, variable: string, resource: string): () => Promise<string> {
  return async () => {
    if (env[variable]) return env[variable]!;
    try {
      return execFileSync(
        "az",
        ["account", "get-access-token", "--resource", resource, "--query", "accessToken", "-o", "tsv"],
        { encoding: "utf8" },
      ).trim();
    } catch {
      throw new Error(`no Azure credentials: set ${variable} or log in with az login`);
    }
  };
}

function functionApp(target: IncidentTarget): { name: string; resourceGroup: string } {
  const name = resourceInput(target, "azure-native:web:WebApp", "name", "-rotation-function");
  const resourceGroup = resourceInput(
    target,
    "azure-native:web:WebApp",
    "resourceGroupName",
    "-rotation-function",
  );
  if (!name || !resourceGroup)
    throw new Error(`stack ${target.stack} has no rotator function app: no connection declares rotation`);
  return { name, resourceGroup };
}

function vaultUrlOf(target: IncidentTarget): string {
  const url = target.outputs.keyVaultUrl;
  if (typeof url !== "string") throw new Error(`stack ${target.stack}: no Key Vault URL in the synth`);
  return url.replace(/\/+$/, "");
}

export function azureClientsFromEnvironment(
  env: NodeJS.ProcessEnv,
): (target: IncidentTarget) => AzureRotationClients {
  return (target) => {
    const vaultUrl = vaultUrlOf(target);
    const token = azToken(env, "AZURE_ACCESS_TOKEN", KEY_VAULT_RESOURCE);
    const app = functionApp(target);
    const masterKey = async () => {
      if (env.AZURE_FUNCTIONS_MASTER_KEY) return env.AZURE_FUNCTIONS_MASTER_KEY;
      try {
        return execFileSync(
          "az",
          [
            "functionapp",
            "keys",
            "list",
            "-g",
            app.resourceGroup,
            "-n",
            app.name,
            "--query",
            "masterKey",
            "-o",
            "tsv",
          ],
          { encoding: "utf8" },
        ).trim();
      } catch {
        throw new Error(
          `no master key for ${app.name}: set AZURE_FUNCTIONS_MASTER_KEY or log in with az login`,
        );
      }
    };
    const rest = new KeyVaultRestClient(vaultUrl, token);
    return {
      keyVault: {
        getSecret: (name) => rest.getSecret(name),
        setSecret: (name, value, options) => rest.setSecret(name, value, options),
        async updateExpiry(name, version, expiresOn) {
          const response = await fetch(
            `${vaultUrl}/secrets/${encodeURIComponent(name)}/${encodeURIComponent(version)}?api-version=${KEY_VAULT_API_VERSION}`,
            {
              method: "PATCH",
              headers: { Authorization: `Bearer ${await token()}`, "Content-Type": "application/json" },
              body: JSON.stringify({ attributes: { exp: Math.floor(expiresOn.getTime() / 1000) } }),
            },
          );
          if (!response.ok)
            throw new Error(`Key Vault refused setting the expiry of ${name} (HTTP ${response.status})`);
        },
      },
      async invokeRotator(event) {
        const response = await fetch(
          `https://${app.name}.azurewebsites.net/admin/functions/${ROTATOR_FUNCTION_NAME}`,
          {
            method: "POST",
            headers: { "x-functions-key": await masterKey(), "Content-Type": "application/json" },
            body: JSON.stringify({ input: JSON.stringify(event) }),
          },
        );
        if (!response.ok)
          throw new Error(`the Functions host refused the invocation (HTTP ${response.status})`);
      },
    };
  };
}

export function azureRotationDriver(
  target: IncidentTarget,
  clients: AzureRotationClients,
  wait: { timeoutMs: number; intervalMs: number },
): RotationDriver {
  const vaultUrl = vaultUrlOf(target);
  const vaultName = new URL(vaultUrl).hostname.split(".")[0];
  const { keyVault } = clients;
  return {
    describe: (connection) => `Key Vault ${vaultName}/${connection.name}`,
    async readCurrent(connection) {
      const found = await keyVault.getSecret(connection.name);
      if (!found) throw new StepFailed(`secret ${connection.name} does not exist in ${vaultName}`);
      return { version: found.version, text: found.value };
    },
    async trigger(connection, current) {
      const found = await keyVault.getSecret(connection.name);
      if (!found || found.version !== current.version)
        throw new StepFailed(`${connection.name} changed while starting (now ${found?.version ?? "absent"})`);
      const now = new Date();
      // The rotator rotates only a version inside its near-expiry window; an earlier expiry is kept.
      let expiresOn = found.expiresOn;
      if (!isDue(expiresOn, now)) {
        expiresOn = new Date(now.getTime() + NEAR_EXPIRY_LEAD_DAYS * DAY_MS);
        await keyVault.updateExpiry(connection.name, current.version, expiresOn);
      }
      const event: KeyVaultEvent = {
        id: randomUUID(),
        eventType: ROTATION_EVENT_TYPES[0],
        subject: connection.name,
        eventTime: now.toISOString(),
        dataVersion: "1",
        data: {
          Id: `${vaultUrl}/secrets/${connection.name}/${current.version}`,
          VaultName: vaultName,
          ObjectType: "Secret",
          ObjectName: connection.name,
          Version: current.version,
          ...(expiresOn ? { EXP: Math.floor(expiresOn.getTime() / 1000) } : {}),
        },
      };
      await clients.invokeRotator(event);
      return event.id;
    },
    waitLabel: `wait for a new version (function ${ROTATOR_FUNCTION_NAME})`,
    async waitForNewVersion(connection, current) {
      const latest = await pollUntil(async () => {
        const found = await keyVault.getSecret(connection.name);
        return found && found.version !== current.version ? found.version : undefined;
      }, wait);
      if (latest === undefined)
        throw new StepFailed(
          `no new version within ${Math.round(wait.timeoutMs / 1000)} s (latest is still ${current.version}): ` +
            'the rotator failed or is still running — read the function app\'s log ("rotation failed"); ' +
            "running rotate-now again resumes a rotation the rotator journaled",
        );
      return latest;
    },
  };
}
