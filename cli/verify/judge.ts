/**
 * One verdict per declared id, from what the store answered. The verdicts and their precise meaning
 * (the README's "DR drill: verify" states the same):
 *  - ok       Airflow reads a value that matches the declaration in every field compared;
 *  - missing  the lookup finds nothing (no secret, or its current version deleted, destroyed or disabled);
 *  - denied   the reader identity may not read it, so Airflow's lookup fails too;
 *  - altered  the value differs from the declaration (the differing field names are listed) and is not
 *             one the store held before, or Airflow cannot parse it at all;
 *  - stale    the value is an earlier one: it differs from the declaration and either equals another
 *             version of the same secret (a rollback written as a new version, or a copy taken before the
 *             last change) or is older than another version the store keeps (a rollback by moving the
 *             current label, as Secrets Manager's AWSCURRENT); or, when the secret fields cannot be
 *             compared (no --config-json), it is such a rollback while matching every compared field; or
 *             the connection is rotated and its current version is older than the rotation period plus a
 *             day's grace (rotation has stopped);
 *  - skipped  Airflow's reader never looks it up (a rotation master).
 * Details name fields and versions, never a value.
 */
import { AirflowView, UnreadableValue, connectionView, scalarText } from "./airflowView";
import { Expectation, FieldRule } from "./expected";
import { BackendKind } from "../../components/airflow";
import { ReadDenied, StoredValue, StoreReader } from "./stores";

export type VerdictStatus = "ok" | "missing" | "denied" | "altered" | "stale" | "skipped" | "error";

export interface Verdict {
  kind: string;
  id: string;
  name: string;
  status: VerdictStatus;
  /** Why, in words that never include a value. */
  detail?: string;
}

/** A rotation may run up to a day late before it counts as stopped. */
export const ROTATION_GRACE_DAYS = 1;
const DAY_MS = 24 * 60 * 60 * 1000;

function isFernetKeyList(text: string): boolean {
  const keys = text.split(",");
  return keys.every((key) => /^[A-Za-z0-9_-]{43}=$/.test(key) && Buffer.from(key, "base64url").length === 32);
}

function matches(rule: FieldRule, text: string | undefined): boolean {
  if (text === undefined) return false;
  if ("exact" in rule) return text === rule.exact;
  if ("present" in rule) return text !== "";
  if ("pattern" in rule) return rule.pattern.test(text);
  if ("oneOf" in rule) return rule.oneOf.includes(text);
  return isFernetKeyList(text);
}

/** The fields where the stored view breaks the expectation (missing, different or unexpected), sorted. */
export function differingFields(expected: Expectation, view: AirflowView): string[] {
  const differing = new Set<string>();
  for (const [field, rule] of Object.entries(expected.fields))
    if (!matches(rule, view[field])) differing.add(field);
  const extras = Object.keys(view).filter((field) => field === "extra" || field.startsWith("extra."));
  if (expected.anyExtra && extras.length === 0) differing.add("extra");
  for (const field of Object.keys(view))
    if (!(field in expected.fields) && !(expected.anyExtra && extras.includes(field))) differing.add(field);
  return [...differing].sort();
}

function viewOf(kind: BackendKind, expected: Expectation, stored: string): AirflowView {
  return expected.connection ? connectionView(kind, stored) : { value: scalarText(kind, stored) };
}

const sameView = (a: AirflowView, b: AirflowView) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

export async function judge(
  kind: BackendKind,
  expected: Expectation,
  reader: StoreReader,
  now: Date,
): Promise<Verdict> {
  const verdict = (status: VerdictStatus, detail?: string): Verdict => ({
    kind: expected.kind,
    id: expected.id,
    name: expected.name,
    status,
    ...(detail ? { detail } : {}),
  });
  if (expected.skip) return verdict("skipped", expected.skip);
  let current;
  try {
    current = await reader.current(expected.name);
  } catch (error) {
    if (error instanceof ReadDenied) return verdict("denied", error.message);
    return verdict("error", (error as Error).message);
  }
  if (!current) return verdict("missing", "the lookup finds no value");
  let view: AirflowView;
  try {
    view = viewOf(kind, expected, current.value);
  } catch (error) {
    if (error instanceof UnreadableValue)
      return verdict("altered", `Airflow cannot read it: ${error.message}`);
    throw error;
  }
  const differing = differingFields(expected, view);
  const rotationAgeDays =
    expected.rotation && current.changedAt
      ? (now.getTime() - current.changedAt.getTime()) / DAY_MS
      : undefined;
  // Earlier versions are read only when they can change the verdict (each read is a billed call).
  const needsHistory = differing.length > 0 || !expected.fullyKnown;
  let earlierMatch = false;
  if (needsHistory) {
    let earlier: StoredValue[] = [];
    try {
      earlier = await reader.earlier(expected.name);
    } catch {
      earlier = [];
    }
    const changedAt = current.changedAt?.getTime();
    earlierMatch = earlier.some((other) => {
      if (changedAt !== undefined && other.changedAt !== undefined && other.changedAt.getTime() > changedAt)
        return true;
      try {
        return sameView(viewOf(kind, expected, other.value), view);
      } catch {
        return false;
      }
    });
  }
  if (differing.length > 0)
    return earlierMatch
      ? verdict(
          "stale",
          `holds an earlier version's value; differs from the declaration in: ${differing.join(", ")}`,
        )
      : verdict("altered", `differs from the declaration in: ${differing.join(", ")}`);
  if (
    expected.rotation &&
    rotationAgeDays !== undefined &&
    rotationAgeDays > expected.rotation.everyDays + ROTATION_GRACE_DAYS
  )
    return verdict(
      "stale",
      `last changed ${Math.floor(rotationAgeDays)} days ago; rotated every ${expected.rotation.everyDays} days (${ROTATION_GRACE_DAYS} day grace)`,
    );
  if (earlierMatch)
    return verdict(
      "stale",
      "holds an earlier version's value (a rollback?); pass --config-json to compare the secret fields with the declaration",
    );
  return verdict("ok");
}
