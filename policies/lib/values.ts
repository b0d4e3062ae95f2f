/**
 * Reading resource properties the way CrossGuard hands them over: during `pulumi preview` a value
 * that depends on a resource not yet created is unknown, and touching it throws UnknownValueError.
 * Policies read through these helpers so one unknown property never hides every other finding.
 */
import { UnknownValueError } from "@pulumi/policy";

export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Maybe<T> = T | typeof UNKNOWN;

/** Runs `read`; an unknown value becomes UNKNOWN instead of aborting the whole policy. */
export function known<T>(read: () => T): Maybe<T> {
  try {
    return read();
  } catch (error) {
    if (error instanceof UnknownValueError) return UNKNOWN;
    throw error;
  }
}

/** `known` for callers that treat unknown like absent. */
export function knownOrUndefined<T>(read: () => T): T | undefined {
  const value = known(read);
  return value === UNKNOWN ? undefined : value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every string inside `value` with its property path (`metadata.labels.app`, `replicas[0].location`). */
export function stringsIn(value: unknown, path = ""): Array<{ path: string; value: string }> {
  const found: Array<{ path: string; value: string }> = [];
  const visit = (node: unknown, at: string) => {
    if (typeof node === "string") {
      found.push({ path: at, value: node });
    } else if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item = known(() => node[i]);
        if (item !== UNKNOWN) visit(item, `${at}[${i}]`);
      }
    } else if (isRecord(node)) {
      for (const key of Object.keys(node)) {
        const item = known(() => node[key]);
        if (item !== UNKNOWN) visit(item, at ? `${at}.${key}` : key);
      }
    }
  };
  visit(value, path);
  return found;
}

/** A JSON document given as a string (how most providers take it) or already as an object. */
export function jsonDocument(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

export function asArray<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

const DAY = 86400;

/** Google duration strings (`"7776000s"`, `"86400.5s"`) → seconds. */
export function googleDurationSeconds(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}

/** ISO 8601 durations as Azure uses them (`P90D`, `P3M`, `P1Y`, `PT12H`) → seconds; months are 31 days, years 366. */
export function isoDurationSeconds(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match =
    /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(
      value.trim(),
    );
  if (!match || value.trim().toUpperCase() === "P" || /T$/i.test(value.trim())) return undefined;
  const [, y, mo, w, d, h, mi, s] = match.map((part) => Number(part ?? 0));
  return (y * 366 + mo * 31 + w * 7 + d) * DAY + h * 3600 + mi * 60 + s;
}

export function days(seconds: number): string {
  const value = seconds / DAY;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} days`;
}

export { DAY };
