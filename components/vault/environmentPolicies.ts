import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { VaultPolicyDocument, renderPolicyHcl } from "./policyDocument";

export interface VaultEnvironmentPoliciesArgs {
  /** Airflow's reader policy, as checked by the backend's resolve (`environmentPolicyDocuments`). */
  reader: VaultPolicyDocument;
  /** The CI writer's policy. */
  writer: VaultPolicyDocument;
  /** Vault Enterprise namespace for the policies. */
  namespace?: string;
}

/**
 * The environment's reader policy (Airflow: `read` on its own connection, variable and config paths
 * and on the database credentials it may generate; no list, no metadata, no other environment) and
 * writer policy (CI: writes secret versions, never reads them; in production it cannot touch
 * metadata or destroy history), rendered from typed documents the backend's resolve has checked.
 */
export class VaultEnvironmentPolicies extends pulumi.ComponentResource {
  readonly readerDocument: VaultPolicyDocument;
  readonly writerDocument: VaultPolicyDocument;
  /** The rendered HCL, as Vault stores it. */
  readonly readerHcl: string;
  readonly writerHcl: string;
  readonly reader: vault.Policy;
  readonly writer: vault.Policy;
  readonly readerPolicyName: pulumi.Output<string>;
  readonly writerPolicyName: pulumi.Output<string>;

  constructor(name: string, args: VaultEnvironmentPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("airflow-secrets:vault:VaultEnvironmentPolicies", name, {}, opts);
    this.readerDocument = args.reader;
    this.writerDocument = args.writer;
    this.readerHcl = renderPolicyHcl(args.reader);
    this.writerHcl = renderPolicyHcl(args.writer);
    this.reader = new vault.Policy(
      `${name}-reader`,
      { name: args.reader.name, policy: this.readerHcl, namespace: args.namespace },
      { parent: this },
    );
    this.writer = new vault.Policy(
      `${name}-writer`,
      { name: args.writer.name, policy: this.writerHcl, namespace: args.namespace },
      { parent: this },
    );
    this.readerPolicyName = this.reader.name;
    this.writerPolicyName = this.writer.name;
    this.registerOutputs({
      readerPolicyName: this.readerPolicyName,
      writerPolicyName: this.writerPolicyName,
    });
  }
}
