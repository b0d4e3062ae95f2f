import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { Problems } from "../airflow";
import { checkMountPath } from "./paths";

export type VaultAuditType = "file" | "socket" | "syslog";
const AUDIT_TYPES: readonly VaultAuditType[] = ["file", "socket", "syslog"];

export interface VaultAuditDeviceArgs {
  type: VaultAuditType;
  /** Where the device is mounted (`sys/audit/{path}`); default `airflow-{type}`. */
  path?: string;
  description?: string;
  /** file: `file_path` (absolute, or `stdout`/`discard`). Required for file. */
  filePath?: string;
  /** file: `mode` of the log file; default `0600`. */
  mode?: string;
  /** socket: `address` (`host:port`). Required for socket. */
  address?: string;
  /** socket: `socket_type`; default `tcp`. */
  socketType?: "tcp" | "udp" | "unix";
  /** syslog: `facility` (default `AUTH`) and `tag` (default `vault`). */
  facility?: string;
  tag?: string;
  /**
   * `hmac_accessor`; default true: token accessors are HMAC'd like every other secret value.
   * `log_raw` is always false: the log never holds plaintext secrets.
   */
  hmacAccessor?: boolean;
  /** `elide_list_responses`; default true: list responses log counts, not key names. */
  elideListResponses?: boolean;
  /** `prefix` written before every entry (helps a shared log pipeline). */
  prefix?: string;
  /** Not replicated to performance secondaries (Enterprise). */
  local?: boolean;
  /** Protect the device from deletion (production). */
  protect?: boolean;
  namespace?: string;
}

/** Options that only one device type takes. */
const TYPE_SPECIFIC_OPTIONS: ReadonlyArray<[keyof VaultAuditDeviceArgs, VaultAuditType]> = [
  ["filePath", "file"],
  ["mode", "file"],
  ["address", "socket"],
  ["socketType", "socket"],
  ["facility", "syslog"],
  ["tag", "syslog"],
];

export function validateAuditDeviceArgs(
  args: VaultAuditDeviceArgs,
  problems: Problems,
  field = "audit",
): void {
  if (
    !problems.check(
      AUDIT_TYPES.includes(args.type),
      `${field}.type`,
      `must be one of ${AUDIT_TYPES.join(", ")}`,
    )
  )
    return;
  if (args.path !== undefined) checkMountPath(args.path, `${field}.path`, problems);
  if (args.type === "file") {
    problems.check(
      typeof args.filePath === "string" &&
        (/^\/[^\s]*[^/\s]$/.test(args.filePath) || args.filePath === "stdout" || args.filePath === "discard"),
      `${field}.filePath`,
      `is required for a file device: an absolute file path, "stdout" or "discard"`,
    );
    if (args.mode !== undefined)
      problems.check(
        /^0[0-7]{3}$/.test(args.mode),
        `${field}.mode`,
        `must be an octal file mode like "0600"`,
      );
  }
  if (args.type === "socket") {
    const unix = args.socketType === "unix";
    problems.check(
      typeof args.address === "string" &&
        (unix ? /^\/\S*[^/\s]$/.test(args.address) : /^[^\s]+:\d{1,5}$/.test(args.address)),
      `${field}.address`,
      unix
        ? `is required for a unix socket device: the socket's absolute path`
        : `is required for a socket device: "host:port"`,
    );
    if (args.socketType !== undefined) {
      problems.check(
        ["tcp", "udp", "unix"].includes(args.socketType),
        `${field}.socketType`,
        `must be tcp, udp or unix`,
      );
    }
  }
  if (args.type === "syslog" && args.facility !== undefined) {
    problems.check(
      /^(AUTH|AUTHPRIV|DAEMON|LOCAL[0-7]|SYSLOG|USER)$/.test(args.facility),
      `${field}.facility`,
      `must be a syslog facility such as AUTH or LOCAL0`,
    );
  }
  // Options of another device type would be silently dropped by auditOptions: refuse them.
  for (const [key, type] of TYPE_SPECIFIC_OPTIONS) {
    if (args.type !== type && args[key] !== undefined) {
      problems.add(`${field}.${key}`, `applies only to ${type} devices (type is ${args.type})`);
    }
  }
}

/** The device options Vault receives (all strings, as the API takes them). */
export function auditOptions(args: VaultAuditDeviceArgs): Record<string, string> {
  const options: Record<string, string> = {
    format: "json",
    log_raw: "false",
    hmac_accessor: String(args.hmacAccessor ?? true),
    elide_list_responses: String(args.elideListResponses ?? true),
  };
  if (args.prefix !== undefined) options.prefix = args.prefix;
  if (args.type === "file") {
    options.file_path = args.filePath!;
    options.mode = args.mode ?? "0600";
  } else if (args.type === "socket") {
    options.address = args.address!;
    options.socket_type = args.socketType ?? "tcp";
  } else {
    options.facility = args.facility ?? "AUTH";
    options.tag = args.tag ?? "vault";
  }
  return options;
}

/**
 * A Vault audit device: every request and response (Airflow's reads, CI's writes, credential
 * issuance) logged with secret values HMAC'd. Audit devices are cluster-wide, and once one is
 * enabled Vault refuses requests it cannot log anywhere: give the log a reliable destination.
 */
export class VaultAuditDevice extends pulumi.ComponentResource {
  readonly audit: vault.Audit;
  readonly path: pulumi.Output<string>;

  constructor(name: string, args: VaultAuditDeviceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:vault:VaultAuditDevice", name, {}, opts);
    this.audit = new vault.Audit(
      `${name}-device`,
      {
        type: args.type,
        path: args.path ?? `airflow-${args.type}`,
        description: args.description ?? "Audit log for Airflow secrets access (airflow-secrets)",
        local: args.local,
        options: auditOptions(args),
        namespace: args.namespace,
      },
      { parent: this, protect: args.protect, retainOnDelete: args.protect },
    );
    this.path = this.audit.path;
    this.registerOutputs({ path: this.path });
  }
}
