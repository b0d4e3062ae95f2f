/** What counts as an import-time secret lookup, on small sources written for each case. */
import { lintDagSource } from "../../cli/lintDags";

/** `RULE line:column` for each finding, in order. */
async function findings(source: string): Promise<string[]> {
  return (await lintDagSource(source, "dag.py")).map((f) => `${f.rule} ${f.line}:${f.column}`);
}

async function messages(source: string): Promise<string[]> {
  return (await lintDagSource(source, "dag.py")).map((f) => f.message);
}

const VARIABLE = "from airflow.models import Variable\n";

describe("import-time scopes", () => {
  it("flags lookups in module code but not in function, lambda or method bodies", async () => {
    const source = `${VARIABLE}
A = Variable.get("a")
def f():
    return Variable.get("b")
g = lambda: Variable.get("c")
class C:
    d = Variable.get("d")
    def m(self):
        return Variable.get("e")
`;
    expect(await findings(source)).toEqual(["AS001 3:5", "AS001 8:9"]);
  });

  it("flags default values of module-level defs, lambdas and methods, but not of defs nested in functions", async () => {
    const source = `${VARIABLE}
def f(a=Variable.get("a"), *, b: str = Variable.get("b")):
    def inner(c=Variable.get("c")):
        pass
h = lambda d=Variable.get("d"): d
class C:
    def m(self, e=Variable.get("e")):
        pass
`;
    expect(await findings(source)).toEqual(["AS001 3:9", "AS001 3:40", "AS001 6:14", "AS001 8:19"]);
  });

  it("flags decorator arguments, including @task's", async () => {
    const source = `${VARIABLE}from airflow.decorators import task
@task(retries=Variable.get("retries"))
def t():
    return Variable.get("inside")
`;
    expect(await findings(source)).toEqual(["AS001 3:15"]);
  });

  it("runs the bodies of @dag and @task_group functions, imported from airflow.decorators or airflow.sdk", async () => {
    const source = `from airflow.sdk import Variable, dag, task, task_group
import airflow.decorators as decorators
@dag
def d1():
    Variable.get("a")
    @task_group()
    def group():
        Variable.get("b")
        @task
        def t():
            Variable.get("c")
@decorators.dag(schedule=None)
def d2(conn_id="x"):
    Variable.get("d")
def task_group_helper():
    Variable.get("e")
`;
    expect(await findings(source)).toEqual(["AS001 5:5", "AS001 8:9", "AS001 14:5"]);
  });

  it('ignores the body of `if __name__ == "__main__":` but not its else branch', async () => {
    const source = `${VARIABLE}
if "__main__" == __name__:
    Variable.get("a")
else:
    Variable.get("b")
if __name__ != "__main__":
    Variable.get("c")
`;
    expect(await findings(source)).toEqual(["AS001 6:5", "AS001 8:5"]);
  });

  it("flags lookups in f-strings, which are evaluated at once, but not in Jinja template strings", async () => {
    const source = `${VARIABLE}
cmd = f"run --token {Variable.get('token')}"
tpl = "run --token {{ var.value.token }} {{ conn.db.password }}"
`;
    expect(await findings(source)).toEqual(["AS001 3:22"]);
  });

  it("flags match guards and case bodies, and skips lookups inside unparsable code", async () => {
    const source = `${VARIABLE}
match ENV:
    case "prod" if Variable.get("a"):
        Variable.get("b")
`;
    expect(await findings(source)).toEqual(["AS001 4:20", "AS001 5:9"]);
  });
});

describe("name resolution", () => {
  it("does not flag Variable or Connection unless they are bound to an Airflow import", async () => {
    const source = `from mylib import Variable
from . import Connection
from airflow.models import Variable as AirflowVariable
Variable.get("a")
Connection.get("b")
Unimported.get_connection("c")
AirflowVariable = Variable
AirflowVariable.get("d")
`;
    expect(await findings(source)).toEqual([]);
  });

  it("treats any imported *Hook name, absolute or relative, as a hook class", async () => {
    const source = `from company.hooks import WarehouseHook
from .hooks import PartnerHook
WarehouseHook.get_connection("a")
PartnerHook()
`;
    expect(await findings(source)).toEqual(["AS002 3:1", "AS003 4:1"]);
  });

  it("stops flagging after an unconditional rebinding, and keeps flagging after one that may not happen", async () => {
    const source = `${VARIABLE}
V = Variable
Variable = object()
Variable.get("a")
V.get("b")
if FLAG:
    V = None
V.get("c")
del V
V.get("d")
`;
    expect(await findings(source)).toEqual(["AS001 6:1", "AS001 9:1"]);
  });

  it("tracks rebinding by loops, with-as, except-as, walrus and tuple assignment", async () => {
    const source = `from airflow.models import Variable as A, Variable as B, Variable as C, Variable as D, Variable as E
for A in range(1):
    pass
with open("f") as B:
    pass
try:
    pass
except Exception as C:
    pass
D, other = 1, 2
(E := 1)
A.get("a"); B.get("b"); C.get("c"); D.get("d"); E.get("e")
`;
    // A may be unchanged (zero iterations) and C (no exception); B, D and E are always rebound.
    expect(await findings(source)).toEqual(["AS001 12:1", "AS001 12:25"]);
  });

  it("gives a class body its own names, which neither nested scopes nor the module see", async () => {
    const source = `${VARIABLE}
class C:
    Variable = dict
    a = Variable.get("a")
    b = [Variable.get(k) for k in "xy"]
    class Inner:
        c = Variable.get("c")
Variable.get("d")
`;
    expect(await findings(source)).toEqual(["AS001 6:10", "AS001 8:13", "AS001 9:1"]);
  });

  it("gives comprehensions their own loop variables", async () => {
    const source = `${VARIABLE}
xs = [Variable for Variable in range(3)]
ys = [Variable.get(k) for k in "ab"]
Variable.get("after")
`;
    expect(await findings(source)).toEqual(["AS001 4:7", "AS001 5:1"]);
  });

  it("resolves module aliases, attribute chains and aliases of the lookup methods themselves", async () => {
    const source = `import airflow.models.variable as variable_module
import airflow.sdk
from airflow.hooks import base
get = variable_module.Variable.get
get("a")
airflow.sdk.Connection.get("b")
base.BaseHook.get_hook("c")
(airflow.sdk.Variable).get("d")
`;
    expect(await findings(source)).toEqual(["AS001 5:1", "AS002 6:1", "AS002 7:1", "AS001 8:1"]);
  });
});

describe("rules", () => {
  it("AS002 covers every connection lookup, also through a provider hook class", async () => {
    const source = `from airflow.models import Connection
from airflow.hooks.base import BaseHook
from airflow.providers.mysql.hooks.mysql import MySqlHook
Connection.get_connection_from_secrets("a")
BaseHook.get_connection("b")
BaseHook.get_connections("c")
BaseHook.get_hook("d")
MySqlHook.get_connection("e")
Connection("not_a_lookup", conn_type="http")
Connection.from_json("{}")
`;
    expect(await findings(source)).toEqual(["AS002 4:1", "AS002 5:1", "AS002 6:1", "AS002 7:1", "AS002 8:1"]);
  });

  it("AS003 flags classes from hook modules and imported *Hook names, once per construction", async () => {
    const source = `from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook, BigQueryCursor
from airflow.providers.microsoft.azure.hooks import wasb
from airflow.hooks.filesystem import FSHook
from vendor.clients import PartnerHook, PartnerClient
BigQueryHook(gcp_conn_id="g").get_client()
BigQueryCursor(None, "p")
wasb.WasbHook("w")
FSHook()
PartnerHook()
PartnerClient()
wasb.some_helper()
`;
    expect(await findings(source)).toEqual(["AS003 5:1", "AS003 6:1", "AS003 7:1", "AS003 8:1", "AS003 9:1"]);
  });

  it("AS004 flags reads of AIRFLOW_CONN_/AIRFLOW_VAR_ variables only", async () => {
    const source = `import os
from os import *
os.environ["AIRFLOW_CONN_A"]
environ.get("AIRFLOW_VAR_B")
getenv("AIRFLOW_" "VAR_C")
os.environ["AIRFLOW__CORE__FERNET_KEY"]
os.environ["airflow_conn_lower"]
os.environ["AIRFLOW_CONN_W"] = "x"
del os.environ["AIRFLOW_CONN_W"]
os.environ.setdefault("AIRFLOW_VAR_D", "1")
`;
    expect(await findings(source)).toEqual(["AS004 3:1", "AS004 4:1", "AS004 5:1"]);
  });

  it("names the conn_id and the matching Jinja template in AS002 and AS004 messages", async () => {
    const source = `import os
from airflow.hooks.base import BaseHook as BH
BH.get_connection(conn_id="warehouse")
os.getenv("AIRFLOW_CONN_PG_PROD")
BH.get_connection(f"{ENV}_db")
`;
    expect(await messages(source)).toEqual([
      'BH.get_connection(conn_id="warehouse") (BaseHook.get_connection) runs at import time, so every DAG parse ' +
        "queries the secrets backend and a failing lookup breaks the DAG; move the lookup into the task, " +
        "or use a Jinja template such as {{ conn.warehouse.host }}",
      'os.getenv("AIRFLOW_CONN_PG_PROD") reads the secret environment variable AIRFLOW_CONN_PG_PROD at import ' +
        'time, bypassing the configured secrets backend; look it up with BaseHook.get_connection("pg_prod") ' +
        "inside the task, or use a Jinja template such as {{ conn.pg_prod.host }}",
      'BH.get_connection(f"{ENV}_db") (BaseHook.get_connection) runs at import time, so every DAG parse ' +
        "queries the secrets backend and a failing lookup breaks the DAG; move the lookup into the task, " +
        "or use a Jinja template such as {{ conn.<conn_id>.host }}",
    ]);
  });

  it("names the hook class behind an alias in AS003 messages and shortens long calls", async () => {
    const source = `from airflow.providers.postgres.hooks.postgres import PostgresHook as PG
PG(
    postgres_conn_id="warehouse",
)
`;
    expect(await messages(source)).toEqual([
      "PG(...) (PostgresHook) builds a hook at import time, on every DAG parse, and hooks fetch their connection " +
        "from the secrets backend; create the hook inside the task and give operators only the conn_id",
    ]);
  });
});

describe("positions and syntax errors", () => {
  it("counts columns in characters, after non-ASCII and astral characters, with CRLF line endings", async () => {
    const source = `${VARIABLE}label = "Zürich 🚀"; X = Variable.get("x")\r\nY = Variable.get("y")\r\n`;
    expect(await findings(source)).toEqual(["AS001 2:25", "AS001 3:5"]);
  });

  it("reports AS900 for ERROR and MISSING nodes and still checks the sound parts", async () => {
    const source = `${VARIABLE}A = Variable.get("a")
def broken(:
    pass
B = Variable.get("b")
`;
    const found = await lintDagSource(source, "dag.py");
    expect(found.map((f) => `${f.rule} ${f.line}:${f.column}`)).toEqual([
      "AS001 2:5",
      "AS900 3:12",
      "AS001 5:5",
    ]);
    expect(found[1].message).toBe('syntax error: missing ")"');
  });
});
