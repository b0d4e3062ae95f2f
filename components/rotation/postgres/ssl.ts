import type { ConnectionOptions } from "tls";
import type { SslMode } from "../connection";

/**
 * An ordered list of `pg` `ssl` settings to try for a libpq sslmode: the next one is tried only when
 * the server refuses TLS. CA trust comes from the runtime's store (on Lambda set
 * NODE_EXTRA_CA_CERTS for the RDS CA), not from `sslrootcert`, which is a path on Airflow workers.
 */
export function pgSslAttempts(mode: SslMode): Array<false | ConnectionOptions> {
  switch (mode) {
    case "disable":
      return [false];
    // node-postgres cannot renegotiate: "allow" (plain first) and "prefer" (TLS first) both accept
    // either; trying TLS first is the safer order for both.
    case "allow":
    case "prefer":
      return [{ rejectUnauthorized: false }, false];
    case "require":
      return [{ rejectUnauthorized: false }];
    case "verify-ca":
      // Chain verified, host name not.
      return [{ rejectUnauthorized: true, checkServerIdentity: () => undefined }];
    case "verify-full":
      return [{ rejectUnauthorized: true }];
  }
}
