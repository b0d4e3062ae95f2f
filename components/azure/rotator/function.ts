/**
 * The Azure Functions entry point (classic model: `RotateSecret/function.json` binds an Event Grid
 * trigger to `rotateSecret`). Wires the handler to Key Vault's REST API with the app's
 * user-assigned managed identity (`AZURE_CLIENT_ID`). A thrown error fails the invocation, and
 * Event Grid redelivers the event with backoff.
 */
import { ROTATION_CONFIG_SETTING, parseRotationConfig } from "./config";
import { handleKeyVaultEvent } from "./handler";
import { KeyVaultRestClient, managedIdentityTokenProvider } from "./keyVaultClient";

interface FunctionContext {
  log: ((...args: unknown[]) => void) & { error?: (...args: unknown[]) => void };
}

const config = parseRotationConfig(process.env[ROTATION_CONFIG_SETTING]);
const client = new KeyVaultRestClient(
  config.vaultUrl,
  managedIdentityTokenProvider(process.env, process.env.AZURE_CLIENT_ID, config.tokenResource),
);

export async function rotateSecret(context: FunctionContext, event: unknown): Promise<void> {
  try {
    await handleKeyVaultEvent(event, { client, config, log: (message) => context.log(message) });
  } catch (error) {
    (context.log.error ?? context.log)(`rotation failed: ${(error as Error).message}`);
    throw error;
  }
}
