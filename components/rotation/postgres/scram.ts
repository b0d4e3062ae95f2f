import { createHash, createHmac, pbkdf2Sync, randomBytes } from "crypto";
import { RotationError } from "../errors";

/** PostgreSQL's default `scram_iterations`. */
export const SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;

export interface ScramOptions {
  /** Fixed salt, for reproducing a verifier the server computed; random by default. */
  salt?: Buffer;
  iterations?: number;
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores in `pg_authid.rolpassword` (RFC 5803 / 7677):
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. `ALTER ROLE … PASSWORD '<verifier>'`
 * stores it as is, so the plaintext never reaches the server, its statement log or pg_stat_*.
 *
 * Passwords must be printable ASCII: for those SASLprep (which server and client apply) is the
 * identity, so this verifier matches what the server would compute. Generated passwords always are.
 */
export function scramSha256Verifier(password: string, options: ScramOptions = {}): string {
  if (!/^[\x20-\x7e]+$/.test(password)) {
    throw new RotationError(
      "INVALID_FIELD",
      "new password must be non-empty printable ASCII (SASLprep is then the identity)",
    );
  }
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
