/**
 * The CrossGuard entry point: `pulumi preview --policy-pack policies` runs this file, and the
 * PolicyPack constructor starts the analyzer server the CLI talks to. Nothing else may construct a
 * PolicyPack (tests and `airflow-secrets check` import `./policies` instead).
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
  description:
    "Production checklist for Airflow secrets managed with Pulumi: encryption, rotation, audit, scoping, protection.",
  displayName: "Airflow secrets production checklist",
  enforcementLevel: "mandatory",
  policies,
});
