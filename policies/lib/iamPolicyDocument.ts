/** AWS IAM policy documents as providers take them: a JSON string or an object; statements normalised. */
import { asArray, isRecord, jsonDocument } from "./values";

export interface IamStatement {
  sid?: string;
  effect: string;
  actions: string[];
  notActions: boolean;
  resources: string[];
  notResources: boolean;
  /** The statement has a Condition block (which may narrow it). */
  conditional: boolean;
}

export function iamStatements(policy: unknown): IamStatement[] | undefined {
  const document = jsonDocument(policy);
  if (!isRecord(document)) return undefined;
  return asArray(document.Statement as unknown[])
    .filter(isRecord)
    .map((s) => ({
      sid: typeof s.Sid === "string" ? s.Sid : undefined,
      effect: String(s.Effect ?? ""),
      actions: asArray((s.Action ?? s.NotAction) as string | string[]).map(String),
      notActions: s.NotAction !== undefined,
      resources: asArray((s.Resource ?? s.NotResource) as string | string[]).map(String),
      notResources: s.NotResource !== undefined,
      conditional: isRecord(s.Condition) && Object.keys(s.Condition).length > 0,
    }));
}
