/**
 * Every policy of the airflow-secrets pack, as plain objects. `index.ts` serves them to the Pulumi
 * CLI; `airflow-secrets check` runs the same objects offline over a synthesized stack.
 */
import { auditSinkInProd } from "./auditSinkInProd";
import { keyVaultPurgeProtection } from "./keyVaultPurgeProtection";
import { kmsKeyRotationAndDeletionWindow } from "./kmsKeyRotationAndDeletionWindow";
import type { AirflowPolicy } from "./lib/policy";
import { lookupPatternSet } from "./lookupPatternSet";
import { noLongLivedCloudCredentials } from "./noLongLivedCredentials";
import { noProdReferencesOutsideProd } from "./noProdReferencesOutsideProd";
import { prodKeysProtected } from "./prodKeysProtected";
import { identityGrantsScoped } from "./identityGrantsScoped";
import { noPlaintextSecretsInEnvOrTags } from "./noPlaintextSecretsInEnvOrTags";
import { rotationWithinCadence } from "./rotationWithinCadence";
import { workloadIdentityBoundExactly } from "./workloadIdentityBoundExactly";
import { secretInputsMarked } from "./secretInputsMarked";
import { secretsEncryptedWithCmk } from "./secretsEncryptedWithCmk";

export const PACK_NAME = "airflow-secrets";

export const policies: AirflowPolicy[] = [
  secretsEncryptedWithCmk,
  rotationWithinCadence,
  kmsKeyRotationAndDeletionWindow,
  keyVaultPurgeProtection,
  noLongLivedCloudCredentials,
  identityGrantsScoped,
  workloadIdentityBoundExactly,
  noPlaintextSecretsInEnvOrTags,
  noProdReferencesOutsideProd,
  auditSinkInProd,
  prodKeysProtected,
  secretInputsMarked,
  lookupPatternSet,
];

export {
  auditSinkInProd,
  keyVaultPurgeProtection,
  kmsKeyRotationAndDeletionWindow,
  lookupPatternSet,
  noLongLivedCloudCredentials,
  noProdReferencesOutsideProd,
  prodKeysProtected,
  identityGrantsScoped,
  noPlaintextSecretsInEnvOrTags,
  rotationWithinCadence,
  workloadIdentityBoundExactly,
  secretInputsMarked,
  secretsEncryptedWithCmk,
};
export type { AirflowPolicy };
