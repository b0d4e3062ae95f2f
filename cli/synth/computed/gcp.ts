import { ProviderMock, configValue } from "./types";

/** The project number every offline GCP project has (also returned by `organizations.getProject`). */
export const MOCK_PROJECT_NUMBER = "123456789";

/** `secretmanager.googleapis.com` → the agent domain `gcp-sa-secretmanager`. */
function serviceAgentEmail(service: string): string {
  return `service-${MOCK_PROJECT_NUMBER}@gcp-sa-${service.split(".")[0]}.iam.gserviceaccount.com`;
}

export const gcpMock: ProviderMock = {
  pkg: "gcp",
  state(type, name, inputs, options) {
    const project =
      (inputs.project as string | undefined) ?? configValue(options, "gcp:project") ?? "synth-project";
    const physical = (inputs.secretId as string | undefined) ?? (inputs.name as string | undefined) ?? name;
    switch (type) {
      case "gcp:serviceaccount/account:Account": {
        const email = `${inputs.accountId}@${project}.iam.gserviceaccount.com`;
        return {
          email,
          name: `projects/${project}/serviceAccounts/${email}`,
          member: `serviceAccount:${email}`,
          uniqueId: "100000000000000000000",
        };
      }
      case "gcp:secretmanager/secret:Secret":
        return { name: `projects/${MOCK_PROJECT_NUMBER}/secrets/${physical}`, project };
      case "gcp:secretmanager/secretVersion:SecretVersion":
        return { name: `${inputs.secret}/versions/1`, version: "1", createTime: "2026-01-01T00:00:00Z" };
      case "gcp:projects/serviceIdentity:ServiceIdentity": {
        const email = serviceAgentEmail(String(inputs.service));
        return { email, member: `serviceAccount:${email}`, project };
      }
      case "gcp:logging/projectSink:ProjectSink":
        return {
          name: physical,
          project,
          writerIdentity: `serviceAccount:service-${MOCK_PROJECT_NUMBER}@gcp-sa-logging.iam.gserviceaccount.com`,
        };
      case "gcp:cloudfunctionsv2/function:Function": {
        const location = String(inputs.location);
        const serviceConfig = (inputs.serviceConfig as Record<string, unknown> | undefined) ?? {};
        return {
          name: physical,
          project,
          url: `https://${location}-${project}.cloudfunctions.net/${physical}`,
          serviceConfig: {
            ...serviceConfig,
            service: `projects/${project}/locations/${location}/services/${physical}`,
          },
        };
      }
      case "gcp:storage/bucket:Bucket":
        return { name: physical, project, url: `gs://${physical}` };
      case "gcp:storage/bucketObject:BucketObject":
        return {
          name: physical,
          generation: 1,
          mediaLink: `https://storage.googleapis.com/${inputs.bucket}/${physical}`,
        };
      case "gcp:bigquery/dataset:Dataset":
        return { datasetId: inputs.datasetId, project };
      case "gcp:monitoring/alertPolicy:AlertPolicy":
        return { name: `projects/${project}/alertPolicies/${name}`, project };
      default:
        return { name: inputs.name ?? name, project };
    }
  },
  invokes: {
    "gcp:organizations/getProject:getProject": (inputs, options) => {
      const project =
        (inputs.projectId as string | undefined) ?? configValue(options, "gcp:project") ?? "synth-project";
      return { projectId: project, number: MOCK_PROJECT_NUMBER, name: project };
    },
  },
};
