import type { MockOptions } from "../mockRuntime";

/** What a provider's resources compute (ids, ARNs, names) when synthesised offline. */
export interface ProviderMock {
  /** Type-token package, e.g. `aws` for `aws:s3/bucket:Bucket`. */
  readonly pkg: string;
  /**
   * Output properties to add to a resource's inputs (also called for the package's explicit
   * providers, `pulumi:providers:<pkg>`). `provider` is the explicit provider's reference
   * (`urn::id`), when the resource has one.
   */
  state?(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    options: MockOptions,
    provider?: string,
  ): Record<string, unknown>;
  /** Results of invokes (data sources) by token. */
  readonly invokes?: Record<
    string,
    (inputs: Record<string, unknown>, options: MockOptions, provider?: string) => Record<string, unknown>
  >;
}

export const MOCK_ACCOUNT_ID = "123456789012";

/** Reads a flat config value (`aws:region`) from the mock options. */
export function configValue(options: MockOptions, key: string): string | undefined {
  return options.config?.[key];
}
