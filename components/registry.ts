/**
 * The backends a stack may select: one line each. A backend is one folder holding `schema.ts`
 * (exporting `settingsSchema`, no provider SDK) and `backend.ts` (exporting `backend`, an
 * `AirflowSecretsBackend`). Folders load lazily: each cloud provider SDK is an optional peer
 * dependency, needed only by stacks that select it.
 */
import * as path from "path";
import type { z } from "zod";
import type { AirflowSecretsBackend } from "./backend";

interface BackendEntry {
  /** The folder, relative to this file. */
  folder: string;
  /** The provider package the folder needs (an optional peer dependency). */
  needs: string;
}

export const BACKENDS = {
  env: { folder: "./env", needs: "@pulumi/kubernetes" },
  vault: { folder: "./vault", needs: "@pulumi/vault" },
  aws: { folder: "./aws", needs: "@pulumi/aws" },
  gcp: { folder: "./gcp", needs: "@pulumi/gcp" },
  azure: { folder: "./azure", needs: "@pulumi/azure-native" },
} as const satisfies Record<string, BackendEntry>;

export type BackendName = keyof typeof BACKENDS;
export const BACKEND_NAMES = Object.keys(BACKENDS) as [BackendName, ...BackendName[]];

function entryOf(name: string): BackendEntry {
  const entry = (BACKENDS as Record<string, BackendEntry>)[name];
  if (entry === undefined || !Object.prototype.hasOwnProperty.call(BACKENDS, name))
    throw new Error(`backend: "${name}" is not a known backend (known: ${BACKEND_NAMES.join(", ")})`);
  return entry;
}

function load(name: string, entry: BackendEntry, file: string): Record<string, unknown> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(entry.folder, file).replace(/^(?!\.)/, "./"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "MODULE_NOT_FOUND" && String((error as Error).message).includes(entry.needs)) {
      throw new Error(
        `backend: "${name}" needs the optional peer dependency ${entry.needs}; run npm install ${entry.needs}`,
      );
    }
    throw error;
  }
}

/** The backend's settings schema, without loading its provider SDK. */
export function backendSettingsSchema(name: BackendName): z.ZodObject {
  return load(name, entryOf(name), "schema").settingsSchema as z.ZodObject;
}

/** The backend a stack selects. */
export function loadBackend(name: string): AirflowSecretsBackend {
  const entry = entryOf(name);
  return load(name, entry, "backend").backend as AirflowSecretsBackend;
}
