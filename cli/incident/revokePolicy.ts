/**
 * The IAM document that revokes a role's live sessions: AWS's documented "revoke active sessions"
 * pattern (the console's Revoke sessions button writes the same inline policy,
 * AWSRevokeOlderSessions; https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html).
 * An explicit deny of every action to credentials whose `aws:TokenIssueTime` is before the cut-off:
 * sessions issued earlier (the ones that may have leaked) stop working at once, sessions issued later
 * (pods re-assuming the role through IRSA) are unaffected. Pure: tested with iam-simulate.
 */

/** Our inline policy's name on the reader role; `revoke --undo` deletes exactly this one. */
export const REVOKE_POLICY_NAME = "airflow-secrets-revoke-older-sessions";

export interface RevokeOlderSessionsPolicy {
  Version: "2012-10-17";
  Statement: Array<{
    Sid: string;
    Effect: "Deny";
    Action: ["*"];
    Resource: ["*"];
    Condition: { DateLessThan: { "aws:TokenIssueTime": string } };
  }>;
}

/**
 * Denies everything to sessions issued before `issuedBefore`. IAM compares whole seconds, so the
 * cut-off is rounded up: every session issued before the call is denied (one issued later within the
 * same second is too, and simply assumes the role again).
 */
export function revokeOlderSessionsPolicy(issuedBefore: Date): RevokeOlderSessionsPolicy {
  if (Number.isNaN(issuedBefore.getTime())) throw new Error("the revocation time is not a valid date");
  const cutOff = `${new Date(Math.ceil(issuedBefore.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RevokeSessionsIssuedBeforeTheIncident",
        Effect: "Deny",
        Action: ["*"],
        Resource: ["*"],
        Condition: { DateLessThan: { "aws:TokenIssueTime": cutOff } },
      },
    ],
  };
}
