/** Naming shared by the backend folders. */
import { createHash } from "crypto";

/**
 * A stable Pulumi resource-name fragment for an id. Ids may hold characters URNs handle badly (`:`,
 * `/`, `\`); those become `replacement` and a short hash of the original keeps two ids apart.
 */
export function resourceNameFragment(id: string, replacement: "-" | "_"): string {
  const plain = id.replace(/[^A-Za-z0-9_.-]/g, replacement);
  return plain === id ? id : `${plain}-${createHash("sha256").update(id).digest("hex").slice(0, 8)}`;
}
