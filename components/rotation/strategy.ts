import type { RotationDeclaration } from "../airflow/declarations";

/** `single-user` changes its own password; `alternating-users` flips between `login` and `login_clone`. */
export type RotationStrategy = RotationDeclaration["strategy"];
export const ROTATION_STRATEGIES: readonly RotationStrategy[] = ["single-user", "alternating-users"];

export function isRotationStrategy(value: unknown): value is RotationStrategy {
  return (ROTATION_STRATEGIES as readonly unknown[]).includes(value);
}
