import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { Problems } from "../airflow";
import {
  EnvironmentPoliciesInput,
  EnvironmentPolicyDocuments,
  validateEnvironmentPolicies,
} from "./airflowPolicies";
import { VaultPolicyDocument, renderPolicyHcl } from "./policyDocument";

export interface VaultEnvironmentPoliciesArgs extends EnvironmentPoliciesInput {
  /** Vault Enterprise namespace for the policies. */
  namespace?: string;
  provider?: pulumi.ProviderResource;
}

/**
 * The environment's reader policy (Airflow: `read` on its own connection, variable and config paths
 * and on the database credentials it may generate; no list, no metadata, no other environment) and
 * writer policy (CI: create, update, delete and metadata; never secret data), rendered from typed
 * documents and validated against the environment's scope before anything is registered.
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
    const problems = new Problems();
    const documents = validateEnvironmentPolicies(args, problems, "policies");
    problems.throwIfAny("VaultEnvironmentPolicies");
    super("airflow-secrets:vault:VaultEnvironmentPolicies", name, {}, opts);
    const { reader, writer } = documents as EnvironmentPolicyDocuments;
    this.readerDocument = reader;
    this.writerDocument = writer;
    this.readerHcl = renderPolicyHcl(reader);
    this.writerHcl = renderPolicyHcl(writer);
    const resourceOpts = { parent: this, provider: args.provider };
    this.reader = new vault.Policy(
      `${name}-reader`,
      { name: reader.name, policy: this.readerHcl, namespace: args.namespace },
      resourceOpts,
    );
    this.writer = new vault.Policy(
      `${name}-writer`,
      { name: writer.name, policy: this.writerHcl, namespace: args.namespace },
      resourceOpts,
    );
    this.readerPolicyName = this.reader.name;
    this.writerPolicyName = this.writer.name;
    this.registerOutputs({
      readerPolicyName: this.readerPolicyName,
      writerPolicyName: this.writerPolicyName,
    });
  }
}
