import { StackBackend } from "./stackBackend";

/**
 * Backends by the name a stack selects (`airflow-secrets:backend`). Loaded lazily: each cloud
 * provider SDK is an optional peer dependency, needed only by stacks that select it.
 */
const LOADERS: Record<string, { module: string; export: string; needs: string }> = {
  env: { module: "./kubernetes/stackBackend", export: "envStackBackend", needs: "@pulumi/kubernetes" },
  vault: { module: "./vault/stackBackend", export: "vaultStackBackend", needs: "@pulumi/vault" },
  aws: { module: "./aws/stackBackend", export: "awsStackBackend", needs: "@pulumi/aws" },
  gcp: { module: "./gcp/stackBackend", export: "gcpStackBackend", needs: "@pulumi/gcp" },
  azure: { module: "./azure/stackBackend", export: "azureStackBackend", needs: "@pulumi/azure-native" },
};

export const STACK_BACKEND_NAMES = Object.keys(LOADERS);

export function loadStackBackend(name: string): StackBackend {
  const entry = LOADERS[name];
  if (!entry) {
    throw new Error(`backend: "${name}" is not a known backend (known: ${STACK_BACKEND_NAMES.join(", ")})`);
  }
  let loaded: Record<string, StackBackend>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(entry.module);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "MODULE_NOT_FOUND" && String((error as Error).message).includes(entry.needs)) {
      throw new Error(
        `backend: "${name}" needs the optional peer dependency ${entry.needs}; run npm install ${entry.needs}`,
      );
    }
    throw error;
  }
  return loaded[entry.export];
}
