/**
 * Cloud SDKs the incident commands load only when a stack of that cloud is acted on. They are optional
 * peer dependencies of this package (the library and the other commands never need them), so a missing
 * one is a clear "install X" error naming the command that needs it, not a stack trace.
 */
/* eslint-disable @typescript-eslint/no-require-imports */

export type SecretsManagerSdk = typeof import("@aws-sdk/client-secrets-manager");

function load<T>(name: string, purpose: string, loader: () => T): T {
  try {
    return loader();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
    throw new Error(`${purpose} needs ${name}, an optional peer dependency: npm install ${name}`);
  }
}

export function secretsManagerSdk(purpose: string): SecretsManagerSdk {
  return load("@aws-sdk/client-secrets-manager", purpose, () => require("@aws-sdk/client-secrets-manager"));
}
