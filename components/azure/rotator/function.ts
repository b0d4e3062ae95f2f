/**
 * The Azure Functions entry point (classic model: `RotateSecret/function.json` binds an Event Grid
 * trigger to `rotateSecret`). Wires the handler to Key Vault's REST API with the app's
 * user-assigned managed identity (`AZURE_CLIENT_ID`), and the journals to the blob container of its
 * own storage account (the same identity, a token for Azure Storage). A thrown error fails the
 * invocation, and Event Grid redelivers the event with backoff.
 */
import { ROTATION_CONFIG_SETTING, parseRotationConfig } from "./config";
import { handleKeyVaultEvent } from "./handler";
import { BlobJournalStore, STORAGE_RESOURCE } from "./journal";
import { KeyVaultRestClient, managedIdentityTokenProvider } from "./keyVaultClient";

interface FunctionContext {
  log: ((...args: unknown[]) => void) & { error?: (...args: unknown[]) => void };
}

const config = parseRotationConfig(process.env[ROTATION_CONFIG_SETTING]);
const client = new KeyVaultRestClient(
  config.vaultUrl,
  managedIdentityTokenProvider(process.env, process.env.AZURE_CLIENT_ID, config.tokenResource),
);
const journals = new BlobJournalStore(
  config.journals.containerUrl,
  managedIdentityTokenProvider(
    process.env,
    process.env.AZURE_CLIENT_ID,
    config.journals.tokenResource ?? STORAGE_RESOURCE,
  ),
);

export async function rotateSecret(context: FunctionContext, event: unknown): Promise<void> {
  try {
    await handleKeyVaultEvent(event, { client, config, journals, log: (message) => context.log(message) });
  } catch (error) {
    (context.log.error ?? context.log)(`rotation failed: ${(error as Error).message}`);
    throw error;
  }
}
