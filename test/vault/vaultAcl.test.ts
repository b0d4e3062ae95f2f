/**
 * The ACL evaluator itself, against the matching rules Vault documents (policies concepts page,
 * "Priority matching"), so the policy table tests rest on a checked evaluator.
 */
import { VaultAcl } from "../support/vaultAcl";

const policy = (rules: Record<string, string[]>) =>
  Object.entries(rules)
    .map(
      ([path, caps]) => `path "${path}" {\n  capabilities = [${caps.map((c) => `"${c}"`).join(", ")}]\n}\n`,
    )
    .join("\n");

test("exact paths match only themselves; a trailing * is a prefix glob that also matches the bare prefix", async () => {
  const acl = await VaultAcl.fromHcl(policy({ "secret/foo": ["read"], "kv/data/app/*": ["read"] }));
  expect(acl.allows("read", "secret/foo")).toBe(true);
  expect(acl.allows("read", "secret/foo/bar")).toBe(false);
  expect(acl.allows("read", "secret/fo")).toBe(false);
  expect(acl.allows("read", "kv/data/app/x/y")).toBe(true);
  expect(acl.allows("read", "kv/data/app/")).toBe(true);
  expect(acl.allows("read", "kv/data/app")).toBe(false);
  expect(acl.allows("read", "kv/data/apple")).toBe(false);
});

test("+ matches exactly one segment", async () => {
  const acl = await VaultAcl.fromHcl(policy({ "secret/+/teamb": ["read"], "kv/+/config*": ["read"] }));
  expect(acl.allows("read", "secret/foo/teamb")).toBe(true);
  expect(acl.allows("read", "secret/foo/bar/teamb")).toBe(false);
  expect(acl.allows("read", "secret/teamb")).toBe(false);
  expect(acl.allows("read", "kv/x/config-prod/y")).toBe(true);
  expect(acl.allows("read", "kv/x/y/config")).toBe(false);
});

test("an exact rule beats any glob, even a glob that would allow more", async () => {
  const acl = await VaultAcl.fromHcl(policy({ "secret/*": ["read", "update"], "secret/admin": ["deny"] }));
  expect(acl.allows("read", "secret/admin")).toBe(false);
  expect(acl.allows("update", "secret/other")).toBe(true);
});

test("the most specific wildcard wins (Vault's documented priority order)", async () => {
  // The first wildcard or glob later in the path wins: secret/foo/+ over secret/+/bar.
  let acl = await VaultAcl.fromHcl(policy({ "secret/+/bar": ["read"], "secret/foo/+": ["update"] }));
  expect(acl.allows("update", "secret/foo/bar")).toBe(true);
  expect(acl.allows("read", "secret/foo/bar")).toBe(false);
  // At the same position, a non-prefix beats a prefix: secret/foo/+ over secret/foo/*.
  acl = await VaultAcl.fromHcl(policy({ "secret/foo/*": ["read"], "secret/foo/+": ["list"] }));
  expect(acl.allows("list", "secret/foo/bar")).toBe(true);
  expect(acl.allows("read", "secret/foo/bar")).toBe(false);
  expect(acl.allows("read", "secret/foo/bar/baz")).toBe(true);
  // Fewer + segments win: secret/+/bar/baz over secret/+/+/baz.
  acl = await VaultAcl.fromHcl(policy({ "secret/+/+/baz": ["read"], "secret/+/bar/baz": ["update"] }));
  expect(acl.allows("update", "secret/a/bar/baz")).toBe(true);
  expect(acl.allows("read", "secret/a/bar/baz")).toBe(false);
  expect(acl.allows("read", "secret/a/other/baz")).toBe(true);
  // Longer prefix wins among plain globs.
  acl = await VaultAcl.fromHcl(policy({ "secret/*": ["read"], "secret/foo/*": ["deny"] }));
  expect(acl.allows("read", "secret/foo/x")).toBe(false);
  expect(acl.allows("read", "secret/bar/x")).toBe(true);
});

test("rules on the same path from several policies merge, and deny wins over everything", async () => {
  const acl = await VaultAcl.fromHcl(
    policy({ "secret/app/*": ["read"] }),
    policy({ "secret/app/*": ["list"] }),
    policy({ "secret/app/db": ["read"] }),
    policy({ "secret/app/db": ["deny"] }),
  );
  expect(acl.allows("read", "secret/app/x")).toBe(true);
  expect(acl.allows("list", "secret/app/")).toBe(true);
  expect(acl.allows("read", "secret/app/db")).toBe(false);
});

test("nothing is allowed without a matching rule, and each capability allows only its operation", async () => {
  const acl = await VaultAcl.fromHcl(policy({ "secret/data/x": ["create"] }));
  expect(acl.allows("create", "secret/data/x")).toBe(true);
  expect(acl.allows("update", "secret/data/x")).toBe(false);
  expect(acl.allows("read", "secret/data/x")).toBe(false);
  expect(acl.allows("read", "other/path")).toBe(false);
});

test("LIST on a trailing-slash path honours a rule without the slash", async () => {
  const acl = await VaultAcl.fromHcl(policy({ "kv/metadata/app": ["list"] }));
  expect(acl.allows("list", "kv/metadata/app/")).toBe(true);
  expect(acl.allows("read", "kv/metadata/app/")).toBe(false);
});

test("unknown capabilities are refused by the evaluator, as Vault refuses the policy", async () => {
  await expect(VaultAcl.fromHcl(policy({ "secret/*": ["reed"] }))).rejects.toThrow(
    /invalid capability "reed"/,
  );
});
