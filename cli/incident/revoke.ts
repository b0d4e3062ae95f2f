/**
 * `airflow-secrets revoke --stack NAME [--undo]`: ends the reader identity's live sessions where the
 * backend can, so a leaked session credential stops working now rather than when it expires.
 *   - AWS: an inline deny on the reader role for sessions issued before now (revokePolicy.ts); pods get
 *     new sessions through IRSA and keep working. `--undo` deletes that policy.
 *   - Vault: revokes the Airflow Kubernetes auth role's tokens; pods log in again. Nothing to undo.
 *   - GCP, Azure, env: no revocation of issued tokens exists; the command says what the cloud offers
 *     and exits 1 without changing anything.
 */
import { parseArgs, UsageError } from "../args";
import { REVOKE_USAGE } from "../usage";
import { REVOKE_POLICY_NAME, revokeOlderSessionsPolicy } from "./revokePolicy";
import { IncidentIo, messageOf, processIo, StepFailed, StepLog } from "./steps";
import { IncidentTarget, loadIncidentTarget, resourceInput } from "./target";
import { revokeVaultRoleTokens, vaultClientFromEnvironment, type VaultClientOptions } from "./vault";

/** The IAM calls `revoke` makes on the reader role. */
export interface RolePolicyClient {
  putRolePolicy(roleName: string, policyName: string, document: string): Promise<void>;
  /** Resolves false when the role has no such policy. */
  deleteRolePolicy(roleName: string, policyName: string): Promise<boolean>;
}

/** The shape of `@aws-sdk/client-iam` used here (an optional peer dependency, loaded only for AWS). */
interface IamSdk {
  IAMClient: new (config: { region?: string }) => {
    send(command: unknown): Promise<unknown>;
    destroy(): void;
  };
  PutRolePolicyCommand: new (input: {
    RoleName: string;
    PolicyName: string;
    PolicyDocument: string;
  }) => unknown;
  DeleteRolePolicyCommand: new (input: { RoleName: string; PolicyName: string }) => unknown;
}

function iamClient(): RolePolicyClient {
  let sdk: IamSdk;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sdk = require("@aws-sdk/client-iam") as IamSdk;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
    throw new Error(
      "revoke on AWS needs @aws-sdk/client-iam, an optional peer dependency: npm install @aws-sdk/client-iam",
    );
  }
  const client = new sdk.IAMClient({});
  return {
    async putRolePolicy(RoleName, PolicyName, PolicyDocument) {
      await client.send(new sdk.PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument }));
    },
    async deleteRolePolicy(RoleName, PolicyName) {
      try {
        await client.send(new sdk.DeleteRolePolicyCommand({ RoleName, PolicyName }));
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === "NoSuchEntityException") return false;
        throw error;
      }
    },
  };
}

export interface RevokeDeps {
  iam?: () => RolePolicyClient;
  vault?: () => VaultClientOptions;
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
}

/** The reader role's name as the stack deploys it (SecretsAccessRoles' `…-reader` role). */
export function readerRoleName(target: IncidentTarget): string {
  const name = resourceInput(target, "aws:iam/role:Role", "name", "-access-reader");
  if (!name) throw new Error(`stack ${target.stack} has no AWS reader role`);
  return name;
}

/** What the other backends offer instead, said plainly (nothing is changed). */
const NOT_AVAILABLE: Record<string, string> = {
  gcp:
    "GCP cannot revoke access tokens already issued to a Workload Identity (they expire within an hour). " +
    "What is real: remove the reader's IAM binding (roles/secretmanager.secretAccessor) or disable the " +
    "service account (gcloud iam service-accounts disable) — both stop new and existing tokens from " +
    "reading, and both stop Airflow too; rotate-now replaces what leaked.",
  azure:
    "Azure cannot revoke access tokens already issued to a managed identity (they live up to 24 hours). " +
    "Deleting the federated identity credential stops new token exchanges only; removing the reader's " +
    "role assignment on the vault stops reads at once (Key Vault checks RBAC per request) and stops Airflow " +
    "too; rotate-now replaces what leaked.",
  env: "The env backend has no reader sessions: the values live in a Kubernetes Secret; rotate the value and restart the pods.",
};

export async function runRevoke(
  argv: readonly string[],
  io: IncidentIo = processIo,
  deps: RevokeDeps = {},
): Promise<number> {
  let values: Record<string, string>;
  let undo: boolean;
  try {
    const args = parseArgs(argv, { values: ["stack", "config-file", "cwd"], switches: ["undo"] });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    if (!args.values.stack && !args.values["config-file"])
      throw new UsageError("--stack NAME or --config-file FILE is required");
    values = args.values;
    undo = args.switches.has("undo");
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`error: ${error.message}\n\n${REVOKE_USAGE}\n`);
    return 2;
  }
  const log = new StepLog(io);
  try {
    const target = await log.step(
      "load the stack (offline synth)",
      () =>
        loadIncidentTarget({
          stack: values.stack,
          configFile: values["config-file"],
          cwd: values.cwd ?? process.cwd(),
        }),
      (t) => `${t.stack}: ${t.environment}, backend ${t.backend}`,
    );
    switch (target.backend) {
      case "aws": {
        const role = readerRoleName(target);
        const iam = (deps.iam ?? iamClient)();
        if (undo) {
          await log.step(
            `delete ${REVOKE_POLICY_NAME} from role ${role}`,
            () => iam.deleteRolePolicy(role, REVOKE_POLICY_NAME),
            (deleted) =>
              deleted ? "deleted; sessions of every age are allowed again" : "the role had no such policy",
          );
          return 0;
        }
        const now = (deps.now ?? (() => new Date()))();
        const policy = revokeOlderSessionsPolicy(now);
        await log.step(
          `deny role ${role} to sessions issued before now (${REVOKE_POLICY_NAME})`,
          () => iam.putRolePolicy(role, REVOKE_POLICY_NAME, JSON.stringify(policy)),
          () => `cut-off ${policy.Statement[0].Condition.DateLessThan["aws:TokenIssueTime"]}`,
        );
        log.note(
          "Airflow's pods get new sessions through IRSA on their next call (restart them to be sure: kubectl rollout restart).",
        );
        log.note(
          `Leave the policy until the leaked sessions would have expired (the role's maximum session, 1 h), then: revoke --stack ${target.stack} --undo`,
        );
        return 0;
      }
      case "vault": {
        if (undo) {
          log.heading(
            "nothing to undo: revoked Vault tokens cannot be restored, and none is needed — Airflow's pods log in again with their service account token",
          );
          return 0;
        }
        await revokeVaultRoleTokens(
          target,
          (deps.vault ?? vaultClientFromEnvironment(deps.env ?? process.env))(),
          log,
        );
        return 0;
      }
      default: {
        io.stderr(
          `revoke: not available on the ${target.backend} backend; nothing was changed.\n${NOT_AVAILABLE[target.backend] ?? ""}\n`,
        );
        return 1;
      }
    }
  } catch (error) {
    if (!(error instanceof StepFailed)) io.stderr(`error: ${messageOf(error)}\n`);
    return 1;
  }
}
