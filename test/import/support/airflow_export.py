"""Writes export files the way Airflow's CLI does, from a corpus of connections and variables, so the
importer is tested against what Airflow writes rather than against our own TypeScript.

Restated from apache/airflow (read, not copied): `connection_command._format_connections` and
`_connection_to_dict` (json with indent=2, PyYAML `yaml.dump`, env lines `conn_id=<uri|json>`),
`Connection.get_uri` as of Airflow 3 (airflow-core/src/airflow/models/connection.py) and as of
Airflow 2.1 (`?` straight after the host, no host protocol), `variable_command.variables_export`
(Airflow 2: values JSON-decoded; Airflow 3: `{"value", "description"}` when there is a description).

stdin: {"out": DIR, "files": [{"name": "...", "format": "json|yaml|env-uri|env-json|variables",
         "airflow": 2|3, "connections": [...], "variables": [...]}]}
"""
import json
import os
import sys
from urllib.parse import parse_qsl, quote, urlencode

import yaml


def extra_dejson(conn):
    return json.loads(conn["extra"]) if conn.get("extra") else {}


def get_uri(conn, airflow):
    conn_type = conn["conn_type"]
    uri = f"{conn_type.lower().replace('_', '-')}://"
    host = conn.get("host")
    protocol = None
    if airflow >= 3 and host and "://" in host:
        protocol, host = host.split("://", 1)
    if protocol:
        uri += f"{protocol}://"
    authority = ""
    if conn.get("login") is not None:
        authority += quote(conn["login"], safe="")
    if conn.get("password") is not None:
        authority += ":" + quote(conn["password"], safe="")
    if authority > "":
        authority += "@"
        uri += authority
    host_block = ""
    if host:
        host_block += quote(host, safe="")
    if conn.get("port"):
        if host_block == "" and (airflow < 3 or authority == ""):
            host_block += f"@:{conn['port']}"
        else:
            host_block += f":{conn['port']}"
    if conn.get("schema"):
        host_block += f"/{quote(conn['schema'], safe='')}"
    uri += host_block
    if conn.get("extra"):
        extra = extra_dejson(conn)
        try:
            query = urlencode(extra)
        except TypeError:
            query = None
        sep = "?" if airflow < 3 or conn.get("schema") else "/?"
        if query and extra == dict(parse_qsl(query, keep_blank_values=True)):
            uri += sep + query
        else:
            uri += sep + urlencode({"__extra__": conn["extra"]})
    return uri


def to_dict(conn):
    return {
        "conn_type": conn["conn_type"],
        "description": conn.get("description"),
        "login": conn.get("login"),
        "password": conn.get("password"),
        "host": conn.get("host"),
        "port": conn.get("port"),
        "schema": conn.get("schema"),
        "extra": conn.get("extra"),
    }


def export_variables(variables, airflow):
    out = {}
    decoder = json.JSONDecoder()
    for var in variables:
        try:
            val = decoder.decode(var["value"])
        except Exception:
            val = var["value"]
        else:
            if isinstance(val, str):
                val = var["value"]
        if airflow >= 3 and (var.get("description") or (isinstance(val, dict) and "value" in val)):
            out[var["key"]] = {"value": val, "description": var.get("description")}
        else:
            out[var["key"]] = val
    return json.dumps(out, sort_keys=True, indent=4)


request = json.load(sys.stdin)
for spec in request["files"]:
    conns = spec.get("connections", [])
    fmt = spec["format"]
    if fmt == "json":
        text = json.dumps({c["conn_id"]: to_dict(c) for c in conns}, indent=2)
    elif fmt == "yaml":
        text = yaml.dump({c["conn_id"]: to_dict(c) for c in conns})
    elif fmt == "env-uri":
        text = "".join(f"{c['conn_id']}={get_uri(c, spec['airflow'])}\n" for c in conns)
    elif fmt == "env-json":
        text = "".join(f"{c['conn_id']}={json.dumps(to_dict(c))}\n" for c in conns)
    elif fmt == "variables":
        text = export_variables(spec["variables"], spec["airflow"])
    else:
        raise SystemExit(f"unknown format {fmt}")
    with open(os.path.join(request["out"], spec["name"]), "w", encoding="utf-8") as f:
        f.write(text)
print("ok")
