import { createHash } from "crypto";
import { ProviderMock } from "./types";

/** Deterministic stand-in bytes: synth output must not change between runs (values are secret anyway). */
function bytesFor(name: string, length: number): Buffer {
  const chunks: Buffer[] = [];
  for (let i = 0; Buffer.concat(chunks).length < length; i++) {
    chunks.push(createHash("sha256").update(`${name}#${i}`).digest());
  }
  return Buffer.concat(chunks).subarray(0, length);
}

const PASSWORD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export const randomMock: ProviderMock = {
  pkg: "random",
  state(type, name, inputs) {
    const length = Number(inputs.length ?? 32);
    const bytes = bytesFor(name, length);
    if (type === "random:index/randomBytes:RandomBytes") {
      return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    }
    if (
      type === "random:index/randomPassword:RandomPassword" ||
      type === "random:index/randomString:RandomString"
    ) {
      const result = [...bytes].map((b) => PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length]).join("");
      return { result, bcryptHash: `$2a$10$${result}` };
    }
    if (type === "random:index/randomId:RandomId") {
      return {
        hex: bytes.toString("hex"),
        b64Url: bytes.toString("base64url"),
        dec: BigInt(`0x${bytes.toString("hex")}`).toString(),
      };
    }
    return {};
  },
};
