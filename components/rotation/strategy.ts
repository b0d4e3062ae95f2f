/**
 * The rotation strategies: the one declaration every layer uses (the declarations' `rotation.strategy`,
 * the rotator configs of every cloud, the rotation core). Pulumi- and schema-free: rotators bundle it.
 */
export const ROTATION_STRATEGIES = ["single-user", "alternating-users"] as const;

/** `single-user` changes its own password; `alternating-users` flips between `login` and `login_clone`. */
export type RotationStrategy = (typeof ROTATION_STRATEGIES)[number];

export function isRotationStrategy(value: unknown): value is RotationStrategy {
  return (ROTATION_STRATEGIES as readonly unknown[]).includes(value);
}
