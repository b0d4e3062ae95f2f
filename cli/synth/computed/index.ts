/**
 * Offline stand-ins for what providers compute. One file per provider package; adding a backend adds
 * its file here.
 */
import type { MockOptions } from "../mockRuntime";
import { awsMock } from "./aws";
import { azureMock } from "./azure";
import { gcpMock } from "./gcp";
import { kubernetesMock } from "./kubernetes";
import { ProviderMock } from "./types";
import { randomMock } from "./random";
import { vaultMock } from "./vault";

const PROVIDERS: readonly ProviderMock[] = [
  awsMock,
  gcpMock,
  azureMock,
  vaultMock,
  kubernetesMock,
  randomMock,
];
const byPackage = new Map(PROVIDERS.map((p) => [p.pkg, p]));

export function computedState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  options: MockOptions,
  provider?: string,
): Record<string, unknown> {
  // An explicit provider (`pulumi:providers:aws`) goes to its package's mock too.
  const [first, second, third] = type.split(":");
  const pkg = first === "pulumi" && second === "providers" ? third : first;
  const extra = byPackage.get(pkg)?.state?.(type, name, inputs, options, provider) ?? {};
  return { ...inputs, ...extra, urn: undefined };
}

export function invokeResult(
  token: string,
  inputs: Record<string, unknown>,
  options: MockOptions,
  provider?: string,
): Record<string, unknown> {
  const handler = byPackage.get(token.split(":")[0])?.invokes?.[token];
  return handler ? handler(inputs, options, provider) : {};
}
