import { noLongLivedCloudCredentials as policy } from "../../policies/policies";
import { resource, violations } from "./harness";

describe("no-long-lived-cloud-credentials", () => {
  it("reports IAM users, access keys, service account keys and client secrets in any stack", async () => {
    const resources = [
      resource("dev", "aws:iam/user:User", "airflow-user", { name: "airflow" }),
      resource("dev", "aws:iam/accessKey:AccessKey", "airflow-key", { user: "airflow" }),
      resource("staging", "gcp:serviceaccount/key:Key", "airflow-sa-key", { serviceAccountId: "airflow" }),
      resource("prod", "azuread:index/applicationPassword:ApplicationPassword", "airflow-secret", {
        applicationId: "x",
      }),
      resource("dev", "aws:iam/serviceSpecificCredential:ServiceSpecificCredential", "codecommit-pw", {
        serviceName: "codecommit.amazonaws.com",
        userName: "airflow",
      }),
      resource("prod", "vault:index/token:Token", "airflow-token", { policies: ["airflow-prod-reader"] }),
    ];
    expect(await violations(policy, resources)).toEqual([
      '"airflow-user" creates an IAM user, a long-lived credential.',
      '"airflow-key" creates an IAM access key, a long-lived credential.',
      '"airflow-sa-key" creates a service account key, a long-lived credential.',
      '"airflow-secret" creates an Entra ID application client secret, a long-lived credential.',
      '"codecommit-pw" creates an IAM service-specific password, a long-lived credential.',
      '"airflow-token" creates a Vault token kept in Pulumi state, a long-lived credential.',
    ]);
  });

  it("passes workload identities and honours reviewed exemptions", async () => {
    const role = resource("prod", "aws:iam/role:Role", "airflow-reader", { assumeRolePolicy: "{}" });
    const breakGlass = resource("prod", "aws:iam/user:User", "break-glass", { name: "break-glass" });
    expect(await violations(policy, [role])).toEqual([]);
    expect(
      await violations(policy, [breakGlass], {
        "no-long-lived-cloud-credentials": { allowedResourceNames: ["break-glass"] },
      }),
    ).toEqual([]);
  });
});
