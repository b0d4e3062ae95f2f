/**
 * The rotator's app setting as the component writes it and the function reads it: the journal
 * container travels with the secrets, and a broken one is refused by field without quoting values.
 */
import { journalContainerUrl, rotationConfig } from "../../components/azure/rotation";
import { parseRotationConfig } from "../../components/azure/rotator/config";
import { journalBlobName } from "../../components/azure/secretStore";

const vault = {
  id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
  name: "kv",
  url: "https://kv.vault.azure.net/",
};

test("the journal container and each secret's journal blob round-trip through the app setting", () => {
  const written = rotationConfig(
    {
      vault,
      secrets: [
        {
          name: "Airflow-Prod-Connections-Warehouse",
          strategy: "single-user",
          everyDays: 30,
          journalName: journalBlobName("Airflow-Prod-Connections-Warehouse"),
        },
      ],
    },
    { containerUrl: journalContainerUrl("stafrotprod0a1b2c") },
  );
  expect(written.journals).toEqual({
    containerUrl: "https://stafrotprod0a1b2c.blob.core.windows.net/rotation-journals",
  });
  expect(written.secrets["airflow-prod-connections-warehouse"].journalName).toBe(
    "airflow-prod-connections-warehouse.json",
  );
  expect(parseRotationConfig(JSON.stringify(written))).toEqual(written);
  const withAudience = {
    ...written,
    journals: { ...written.journals!, tokenResource: "https://storage.azure.com" },
  };
  expect(parseRotationConfig(JSON.stringify(withAudience))).toEqual(withAudience);
});

test("a missing journal container, or one that is not an https URL, is refused by field, without its value", () => {
  const base = { vaultUrl: vault.url, secrets: {} };
  const detail = (journals: unknown) => {
    try {
      parseRotationConfig(JSON.stringify({ ...base, journals }));
    } catch (error) {
      return (error as { detail?: string }).detail ?? (error as Error).message;
    }
    throw new Error("accepted");
  };
  expect(detail({ containerUrl: "http://stafrot.blob.core.windows.net/rotation-journals" })).toBe(
    "AIRFLOW_ROTATION_CONFIG is invalid: journals.containerUrl must be the journal container's https URL",
  );
  expect(detail({ containerUrl: "https://a.example/x", tokenResource: "storage.azure.com" })).toBe(
    "AIRFLOW_ROTATION_CONFIG is invalid: journals.tokenResource must be https://{storage audience}",
  );
  for (const notAnObject of [["https://a.example/x"], undefined, null])
    expect(detail(notAnObject)).toBe(
      "AIRFLOW_ROTATION_CONFIG is invalid: journals must be an object with the journal container's URL",
    );
  expect(detail({ containerUrl: "http://stafrot.blob.core.windows.net/x" })).not.toContain("stafrot");
});
