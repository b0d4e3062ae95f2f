/**
 * AWS for the incident commands. rotate-now: `RotateSecret` with the caller's credentials makes Secrets
 * Manager invoke the deployed rotation Lambda (createSecret → setSecret → testSecret → finishSecret);
 * the command then polls `DescribeSecret` until AWSCURRENT is on the new version and AWSPENDING is
 * gone. Secrets Manager reports no failure of the function (it lives in the function's CloudWatch log),
 * so a rotation that does not finish within the timeout is the failure.
 * The caller needs secretsmanager:RotateSecret, DescribeSecret and GetSecretValue on the secret (and
 * kms:Decrypt through Secrets Manager with the stack's key).
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { RotatedConnection } from "./target";
import type { RotationDriver } from "./rotateSteps";
import { secretsManagerSdk } from "./sdk";
import { pollUntil, StepFailed } from "./steps";

const CURRENT = "AWSCURRENT";
const PENDING = "AWSPENDING";

export interface AwsRotationOptions {
  client: SecretsManagerClient;
  timeoutMs: number;
  intervalMs: number;
}

export function awsRotationDriver(options: AwsRotationOptions): RotationDriver {
  const sdk = secretsManagerSdk("rotate-now on AWS");
  const { client } = options;
  const describe = (name: string) => client.send(new sdk.DescribeSecretCommand({ SecretId: name }));
  return {
    describe: (connection) => `Secrets Manager ${connection.name}`,
    async readCurrent(connection) {
      const found = await client.send(
        new sdk.GetSecretValueCommand({ SecretId: connection.name, VersionStage: CURRENT }),
      );
      if (found.SecretString === undefined || found.VersionId === undefined)
        throw new StepFailed(`${connection.name} has no SecretString at ${CURRENT}`);
      return { version: found.VersionId, text: found.SecretString };
    },
    async trigger(connection, current) {
      const metadata = await describe(connection.name);
      if (!metadata.RotationEnabled)
        throw new StepFailed(
          `rotation is not enabled on ${connection.name}: deploy the stack's rotation (pulumi up) first`,
        );
      const stages = metadata.VersionIdsToStages ?? {};
      const unfinished = Object.keys(stages).find(
        (id) => stages[id].includes(PENDING) && !stages[id].includes(CURRENT),
      );
      if (unfinished !== undefined)
        throw new StepFailed(
          `an earlier rotation is unfinished (version ${unfinished} is ${PENDING}; AWSCURRENT is ${current.version}): ` +
            "read the rotation function's log and fix the cause; then either let Secrets Manager retry it, or drop it " +
            `(aws secretsmanager update-secret-version-stage --secret-id ${connection.name} --version-stage ${PENDING} ` +
            `--remove-from-version-id ${unfinished}) and run rotate-now again`,
        );
      const started = await client.send(
        new sdk.RotateSecretCommand({ SecretId: connection.name, RotateImmediately: true }),
      );
      if (!started.VersionId) throw new StepFailed("RotateSecret returned no VersionId");
      return started.VersionId;
    },
    waitLabel: `wait until ${CURRENT} moves and ${PENDING} is gone`,
    async waitForNewVersion(connection: RotatedConnection, current, token) {
      let last: Record<string, string[]> = {};
      const done = await pollUntil(
        async () => {
          last = (await describe(connection.name)).VersionIdsToStages ?? {};
          const pending = Object.keys(last).some(
            (id) => last[id].includes(PENDING) && !last[id].includes(CURRENT),
          );
          return last[token]?.includes(CURRENT) && !pending ? token : undefined;
        },
        { timeoutMs: options.timeoutMs, intervalMs: options.intervalMs },
      );
      if (done !== undefined) return `${done}`;
      const stagesOf = (id: string) => (last[id] ?? []).join(", ") || "no stage";
      throw new StepFailed(
        `not finished within ${Math.round(options.timeoutMs / 1000)} s: version ${token} has ${stagesOf(token)}, ` +
          `${current.version} has ${stagesOf(current.version)}; the rotation function failed or is still running — ` +
          "read its CloudWatch log (/aws/lambda/<function>)",
      );
    },
  };
}
