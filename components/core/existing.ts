/**
 * Bring-your-own, spelled one way in every backend (after awsx's "create it, or give me yours"):
 * a block that creates something by default takes `existing: { <reference> }` instead, and the
 * settings that only shape a created resource are then refused, not silently ignored.
 *
 *   kms:
 *     existing: { keyArn: arn:aws:kms:… }   # instead of creating the key
 *     deletionWindowInDays: 30             # refused with `existing`: nothing is created to delete
 */
import { z } from "zod";
import { Problems } from "../airflow/problems";

/** The `existing` field of a block: a strict map of the reference's fields, optional. */
export function existingReference<Shape extends z.ZodRawShape>(shape: Shape, description: string) {
  return z.strictObject(shape).optional().describe(description);
}

/**
 * Refuses the settings that only shape a created resource when the block brings its own: each one
 * named, with why. `block` is the parsed block (undefined when absent), `path` its field path.
 */
export function refuseWithExisting(
  block: ({ existing?: unknown } & Record<string, unknown>) | undefined | null,
  createOnly: readonly string[],
  path: string,
  problems: Problems,
): void {
  if (block?.existing === undefined || block.existing === null) return;
  for (const key of createOnly)
    problems.check(
      block[key] === undefined,
      `${path}.${key}`,
      `shapes a resource this library creates, and ${path}.existing brings your own, so nothing would use it; remove one of the two`,
    );
}
