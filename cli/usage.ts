/**
 * Every command's usage text, in a module that imports nothing: `--help` must answer without
 * loading Pulumi, the policy pack or the DAG parser.
 */

export const MAIN_USAGE = `usage: airflow-secrets <command> [options]

commands:
  init [--backend env|vault|aws|gcp|azure] [--dir DIR]        scaffold a repository of stack files
  synth --stack NAME [--config-file FILE] [--json] [--check]   offline synth of a stack (mock runtime)
  check --stack NAME [--config-file FILE] [--policy-config FILE] [--json]
                                                               the policy pack's verdict on a stack, offline
  lint-dags [--format text|json] PATH...                      secret lookups that run at DAG parse time
  import --stack NAME [--dry-run] [--dags PATH] EXPORT_FILE... connections/variables exported from Airflow into the stack
  inventory --stack NAME [--format md|json] [--dags PATH]      what lives where, rotation, readers, lookup cost
  rotate-now --stack NAME (--conn ID | --all-rotated)          rotate now through the backend's rotation, prove the login
  revoke --stack NAME [--undo]                                 end the reader identity's live sessions (AWS, Vault)
  verify --stack NAME [--via mirror] [--config-json FILE|-]    DR drill: look every id up as Airflow's reader would

airflow-secrets <command> --help   a command's options
airflow-secrets --version          the installed version`;

export const SYNTH_USAGE = `usage: airflow-secrets synth --stack NAME [--config-file FILE] [--json] [--check [--policy-config FILE]]
                             [--dags PATH[,PATH] [--prices FILE] [--parse-interval SECONDS] [--dag-processors N]]

Runs the stack program offline under Pulumi's mock runtime and prints the resource tree and the
Airflow configuration (or, with --json, a byte-stable document for review diffs). secure: values
cannot be decrypted offline and are shown as "[secret]". --check then runs the policy pack over the
result, as \`airflow-secrets check\` does, and exits 1 on a mandatory violation. --dags adds the
lookup-cost estimate of the top-level secret lookups lint-dags finds there (see \`inventory --help\`).
Exit status: 0 done, 1 invalid stack or mandatory violation (--check), 2 usage error.`;

export const CHECK_USAGE = `usage: airflow-secrets check --stack NAME [--config-file FILE] [--policy-config FILE] [--json]

Synthesizes the stack offline and runs the airflow-secrets policy pack over it, exactly as
\`pulumi preview --policy-pack\` would (no Pulumi CLI, no cloud credentials). Prints the
violations grouped by policy with the resource and the fix. --policy-config takes the same JSON file
as \`pulumi preview --policy-pack-config\` (enforcement levels and policy settings).
Exit status: 0 no mandatory violation (advisory ones are printed), 1 mandatory violations or an
invalid stack, 2 usage or policy config errors.`;

export const LINT_DAGS_USAGE = `usage: airflow-secrets lint-dags [--format text|json] PATH...

Reports secret lookups that run every time Airflow parses a DAG file, in files and in directories
(searched recursively for *.py):
  AS001  Variable.get / get_variable_from_secrets / setdefault at import time
  AS002  connection lookup at import time (BaseHook.get_connection, get_hook, Connection.get...)
  AS003  hook constructed at import time
  AS004  AIRFLOW_CONN_* / AIRFLOW_VAR_* environment variable read at import time
  AS900  syntax error            AS901  file not decodable (not UTF-8, no PEP 263 cookie)
Exit status: 0 nothing found, 1 findings, 2 usage or I/O error.`;

export const INIT_USAGE = `usage: airflow-secrets init [--backend env|vault|aws|gcp|azure] [--dir DIR] [--name PROJECT] [--repository OWNER/NAME]

Scaffolds a repository that holds only stack files and runs the program shipped in this package:
Pulumi.yaml, stacks/Pulumi.dev.yaml and stacks/Pulumi.prod.yaml for the backend (default env),
.pre-commit-config.yaml, .github/workflows/{pull-request,deploy}.yml and README.md listing the
provider configuration each stack needs. DIR defaults to the current directory, PROJECT to its
folder name. Existing files are never overwritten: if any would be, nothing is written.
Exit status: 0 written, 1 a file already exists, 2 usage error.`;

export const IMPORT_USAGE = `usage: airflow-secrets import (--stack NAME | --config-file FILE) [options] EXPORT_FILE...

Adds the connections and variables of \`airflow connections export\` (json, yaml or env; URI or JSON
values; Airflow 2 or 3) and \`airflow variables export\` files to the stack file, and writes
DIR/set-secrets.sh, which sets every secret with \`pulumi config set --secret --path\` reading the
value on stdin from the export file. Passwords, secret-looking extras and marked variables become
secure: placeholders until the script runs.

options:
  --dry-run                   print what would be added, refused and why; write nothing
  --out DIR                   where the script goes (default airflow-secrets-import-NAME)
  --dags PATH[,PATH]          DAG files or folders searched for the ids that are refused or renamed
  --secret-variables K[,K]    variable keys whose values are secrets (secret-looking keys always are)
  --all-variables-secret      every variable value is a secret
  --secret-extras NAME[,NAME] extra names that hold secrets besides the secret-looking ones
  --accept-renames            import refused ids under their suggested renames
  --json                      the result as JSON`;

export const INVENTORY_USAGE = `usage: airflow-secrets inventory (--stack NAME | --config-file FILE) [--format md|json]
                                 [--dags PATH[,PATH]] [--prices FILE] [--parse-interval SECONDS] [--dag-processors N]

Lists every declared connection, variable and config secret of the stack: the backend, the exact
name or path Airflow looks up, the stored format, rotation (strategy, cadence) and who reads it.
Markdown (default) reads well as a pull-request comment; JSON is for tools. With --dags, adds the
lookup-cost estimate of the top-level lookups lint-dags finds there (prices per 10,000 calls from the
documented table, overridable with --prices; parse interval default 30 s; one DAG processor).
Exit status: 0 listed, 1 invalid stack, 2 usage error.`;

export const VERIFY_USAGE = `usage: airflow-secrets verify (--stack NAME | --config-file FILE) [--via primary|mirror]
                              [--config-json FILE|-] [--endpoint URL] [--jwt-file FILE] [--json]

Looks every declared connection, variable and config secret up in the backend the way Airflow's
secrets backend does (Vault KV v2 over HTTP, Secrets Manager, Secret Manager, Key Vault) with the
caller's credentials, and reports each id as ok, missing, denied (the reader may not read it),
altered (differs from the stack's plan; the differing field names are listed), stale (an earlier
version's value, or a rotated connection not changed within its rotation period) or skipped (a
rotation master, which Airflow never reads). No value is ever printed.

options:
  --via primary|mirror  the active backend (default) or the standby of \`mirror:\`
  --config-json FILE|-  \`pulumi config --show-secrets --json\` output: secret fields are compared with
                        it; without it they are only checked to be present
  --endpoint URL        the store's address when not the configured one (Key Vault URL, Vault address)
  --jwt-file FILE       Vault: the reader's service-account token for Kubernetes login (when no VAULT_TOKEN)
  --json                the report as JSON

credentials: Vault VAULT_TOKEN (a token with the reader's policy) or Kubernetes login as the reader's
role; AWS the SDK's default chain; GCP GOOGLE_OAUTH_ACCESS_TOKEN or the metadata server; Azure
AZURE_ACCESS_TOKEN or the instance metadata service.
Exit status: 0 every id ok, 1 a finding, 2 usage error, invalid stack or no access to the store.`;

export const ROTATE_NOW_USAGE = `usage: airflow-secrets rotate-now (--stack NAME | --config-file FILE) (--conn ID[,ID] | --all-rotated)
                                  [--retire-previous] [--timeout SECONDS]

Rotates now, with your credentials, through the backend's own deployed rotation: AWS RotateSecret (the
rotation Lambda), GCP a SECRET_ROTATE message on the rotation topic (the rotator function), Azure the
rotator function run with Key Vault's near-expiry event, Vault rotate-role for database static roles and
revocation of dynamic roles' leases (on Vault, --conn names a vault.database role). Waits (default 300 s),
prints each step with its time, then logs in with the credential Airflow now reads. No value is printed.
--retire-previous rotates alternating-users connections twice, so the login that held the old password
gets a new one too. Credentials: AWS the SDK's chain; GCP GOOGLE_OAUTH_ACCESS_TOKEN or gcloud; Azure
AZURE_ACCESS_TOKEN and AZURE_FUNCTIONS_MASTER_KEY or az; Vault VAULT_ADDR and VAULT_TOKEN.
Exit status: 0 rotated and the new credential logs in, 1 a step failed (see which), 2 usage error.`;

export const REVOKE_USAGE = `usage: airflow-secrets revoke (--stack NAME | --config-file FILE) [--undo]

Ends the reader identity's live sessions now. AWS: an inline policy on the reader role denying every
session issued before now (aws:TokenIssueTime); pods get new sessions through IRSA; --undo removes it.
Vault: revokes every token of Airflow's Kubernetes auth role; pods log in again (--undo: nothing to undo).
GCP, Azure and env cannot revoke issued tokens: the command says what they offer and changes nothing.
Exit status: 0 done, 1 failed or not available on the backend, 2 usage error.`;

/** Usage per command, for `airflow-secrets <command> --help`. */
export const COMMAND_USAGE: Record<string, string> = {
  init: INIT_USAGE,
  synth: SYNTH_USAGE,
  check: CHECK_USAGE,
  "lint-dags": LINT_DAGS_USAGE,
  import: IMPORT_USAGE,
  inventory: INVENTORY_USAGE,
  "rotate-now": ROTATE_NOW_USAGE,
  revoke: REVOKE_USAGE,
  verify: VERIFY_USAGE,
};

/** `--help` or `-h` anywhere before a `--` separator asks for a command's usage. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}
