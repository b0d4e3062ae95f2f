import * as pulumi from "@pulumi/pulumi";
import type { RotationStrategy } from "../rotation/strategy";

/**
 * An Airflow connection, field for field as Airflow's `Connection` model has it. Field names are
 * Airflow's own (`conn_type`, `schema`, …) so a declaration reads like the Airflow docs.
 */
export interface ConnectionDeclaration {
  /** Airflow's conn_id: `^[\w#!()\-.:/\\]{1,250}$`, further limited by the chosen backend's naming rule. */
  conn_id: string;
  /** Connection type (`postgres`, `http`, `aws`, …). Airflow 3 workers refuse a connection without one. */
  conn_type: string;
  description?: string;
  host?: pulumi.Input<string>;
  /** 1–65535. */
  port?: pulumi.Input<number>;
  /** Airflow's `schema` (for databases, the database name). */
  schema?: pulumi.Input<string>;
  login?: pulumi.Input<string>;
  /** Always stored as a Pulumi secret. */
  password?: pulumi.Input<string>;
  /** Provider-specific extras: a JSON object. Always stored as a Pulumi secret (extras often hold tokens). */
  extra?: pulumi.Input<Record<string, unknown>>;
  /** Rotation settings; the cloud backends that rotate read them, the contract only validates them. */
  rotation?: RotationDeclaration;
  /**
   * Part of the emergency subset: exported in the `airflow connections import` file kept for the day
   * every backend is down (README "Emergency subset"). Never stored in the connection's value.
   */
  critical?: boolean;
}

/** How a connection's password is rotated. Interpreted by the backends that support rotation. */
export interface RotationDeclaration {
  /** `single-user` changes its own password; `alternating-users` flips between `login` and `login_clone`. */
  strategy: RotationStrategy;
  /** Days between rotations (the production checklist allows at most 90 for database passwords). */
  everyDays: number;
  /** Name of the connection holding the master credential (required for `alternating-users`). */
  masterConnId?: string;
}

/** An Airflow Variable. Its value is always stored as a Pulumi secret. */
export interface VariableDeclaration {
  key: string;
  value: pulumi.Input<string>;
  description?: string;
}

/**
 * A sensitive Airflow configuration option read from the secrets backend via `{option}_secret`
 * (e.g. `[core] fernet_key_secret = fernet_key`). Only options Airflow marks sensitive support this.
 */
export interface ConfigDeclaration {
  section: string;
  option: string;
  /** The id looked up in the backend; defaults to the option name (`fernet_key`). */
  key?: string;
  value: pulumi.Input<string>;
}

/** Everything one environment declares. */
export interface SecretsDeclarations {
  connections?: ConnectionDeclaration[];
  variables?: VariableDeclaration[];
  config?: ConfigDeclaration[];
}

export type SecretKind = "connection" | "variable" | "config";
