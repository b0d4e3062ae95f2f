/**
 * The Key Vault reads `verify` makes with its own REST client (`keyVaultRestReadClient`), against a
 * loopback server answering as Key Vault's data plane (API 7.4): the latest version, the version list
 * in pages (`nextLink`, followed only into the same vault, so the token never leaves it), one version,
 * 404 for a missing secret and 403 for a reader without rights.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { keyVaultRestReadClient, keyVaultStoreReader, ReadDenied } from "../../cli/verify/stores";

interface Version {
  id: string;
  value: string;
  created: number;
}

let server: http.Server;
let base: string;
const versions = new Map<string, Version[]>();
const seen: Array<{ path: string; authorization?: string; apiVersion: string | null }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", base);
    seen.push({
      path: url.pathname,
      authorization: req.headers.authorization,
      apiVersion: url.searchParams.get("api-version"),
    });
    const reply = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== "Bearer reader-token")
      return reply(403, { error: { code: "Forbidden" } });
    const [, , name, rest] = url.pathname.split("/");
    const list = versions.get(name);
    if (!list) return reply(404, { error: { code: "SecretNotFound" } });
    const bundle = (v: Version) => ({
      value: v.value,
      id: `${base}/secrets/${name}/${v.id}`,
      attributes: { created: v.created },
    });
    if (rest === undefined) return reply(200, bundle(list.at(-1)!));
    if (rest === "versions") {
      // One version per page, newest last, as the service pages them in no promised order.
      const page = Number(url.searchParams.get("$skiptoken") ?? "0");
      const item = list[page];
      return reply(200, {
        value: item
          ? [
              {
                id: `${base}/secrets/${name}/${item.id}`,
                attributes: { created: item.created, enabled: true },
              },
            ]
          : [],
        nextLink:
          page + 1 < list.length
            ? `${base}/secrets/${name}/versions?api-version=7.4&$skiptoken=${page + 1}`
            : name === "leaky"
              ? `http://elsewhere.example/secrets/${name}/versions?$skiptoken=9`
              : null,
      });
    }
    const version = list.find((v) => v.id === rest);
    return version ? reply(200, bundle(version)) : reply(404, { error: { code: "SecretNotFound" } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it("reads the latest value with its creation time and the earlier versions, newest first", async () => {
  versions.set("airflow-prod-connections-warehouse", [
    { id: "v1", value: "first", created: 1_700_000_000 },
    { id: "v2", value: "second", created: 1_700_000_100 },
    { id: "v3", value: "third", created: 1_700_000_200 },
  ]);
  const reader = keyVaultStoreReader(keyVaultRestReadClient(`${base}/`, async () => "reader-token"));
  expect(await reader.current("airflow-prod-connections-warehouse")).toEqual({
    value: "third",
    changedAt: new Date(1_700_000_200_000),
  });
  expect(await reader.earlier("airflow-prod-connections-warehouse")).toEqual([
    { value: "second", changedAt: new Date(1_700_000_100_000) },
    { value: "first", changedAt: new Date(1_700_000_000_000) },
  ]);
  expect(seen.length).toBeGreaterThan(0);
  for (const request of seen) {
    expect(request.authorization).toBe("Bearer reader-token");
    expect(request.apiVersion).toBe("7.4");
  }
  // The list is read once (three pages), not once for the time and again for the earlier versions.
  expect(seen.filter((r) => r.path.endsWith("/versions"))).toHaveLength(3);
});

it("answers undefined for a missing secret, ReadDenied without rights, and never follows a link out of the vault", async () => {
  const reader = keyVaultStoreReader(keyVaultRestReadClient(base, async () => "reader-token"));
  expect(await reader.current("absent")).toBeUndefined();
  const denied = keyVaultStoreReader(keyVaultRestReadClient(base, async () => "someone-else"));
  await expect(denied.current("absent")).rejects.toBeInstanceOf(ReadDenied);

  versions.set("leaky", [{ id: "only", value: "v", created: 1_700_000_000 }]);
  seen.length = 0;
  expect(await reader.current("leaky")).toEqual({ value: "v", changedAt: new Date(1_700_000_000_000) });
  expect(seen.map((r) => r.path)).toEqual(["/secrets/leaky", "/secrets/leaky/versions"]);
});
