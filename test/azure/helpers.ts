/**
 * Shared pieces of the Azure backend tests: a valid production settings object, recorded-resource
 * lookups and secret unwrapping. Each test file installs its own mocks before requiring components.
 */
import type { RecordedResource } from "../../cli/synth/mockRuntime";
import { SECRET_SIG, SECRET_SIG_KEY } from "../../cli/synth/mockRuntime";

export { ofType, one } from "../support/resources";

export const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
export const SUBNET = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-airflow/subnets/snet-rotator`;
export const ACTION_GROUP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-ops/providers/microsoft.insights/actionGroups/ag-data-oncall`;
export const CI_PRINCIPAL = "22222222-2222-4222-8222-222222222222";
export const ISSUER =
  "https://westeurope.oic.prod-aks.azure.com/11111111-1111-1111-1111-111111111111/33333333-3333-3333-3333-333333333333/";

/** The least a development stack's settings need: no firewall, alerting or CI writer. */
export function devSettings(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    location: "westeurope",
    resourceGroupName: "rg-airflow-dev",
    aksOidcIssuerUrl: ISSUER,
    ...overrides,
  };
}

/** Production settings that pass validation: firewall with the rotator's subnet, alerting, CI writer. */
export function prodSettings(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    location: "westeurope",
    resourceGroupName: "rg-airflow-prod",
    aksOidcIssuerUrl: ISSUER,
    vault: { allowedIpRanges: ["203.0.113.0/24"], subnetIds: [SUBNET] },
    rotation: { subnetId: SUBNET },
    diagnostics: { actionGroupId: ACTION_GROUP },
    ciWriterPrincipalId: CI_PRINCIPAL,
    ...overrides,
  };
}

/** The value with every secret wrapper removed, at any depth. */
export function unwrap(value: unknown): unknown {
  if (
    value !== null &&
    typeof value === "object" &&
    (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  ) {
    return unwrap((value as { value: unknown }).value);
  }
  if (Array.isArray(value)) return value.map(unwrap);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

export const prop = (r: RecordedResource, key: string): unknown => unwrap(r.inputs[key]);
