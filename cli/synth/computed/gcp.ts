import { ProviderMock, configValue } from "./types";

export const gcpMock: ProviderMock = {
  pkg: "gcp",
  state(type, name, inputs, options) {
    const project = (inputs.project as string | undefined) ?? configValue(options, "gcp:project") ?? "synth-project";
    const physical = (inputs.secretId as string | undefined) ?? (inputs.name as string | undefined) ?? name;
    if (type === "gcp:serviceaccount/account:Account") {
      const email = `${inputs.accountId}@${project}.iam.gserviceaccount.com`;
      return { email, name: `projects/${project}/serviceAccounts/${email}`, member: `serviceAccount:${email}` };
    }
    if (type === "gcp:secretmanager/secret:Secret") {
      return { name: `projects/${project}/secrets/${physical}`, project };
    }
    return { name: inputs.name ?? name, project };
  },
  invokes: {
    "gcp:organizations/getProject:getProject": (inputs, options) => {
      const project = (inputs.projectId as string | undefined) ?? configValue(options, "gcp:project") ?? "synth-project";
      return { projectId: project, number: "123456789", name: project };
    },
  },
};
