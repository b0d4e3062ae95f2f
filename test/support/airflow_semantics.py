"""Airflow's reading side, re-stated with Python's own stdlib, so tests check our output against
the real urllib / json / re that Airflow uses rather than against our own TypeScript.

Reads one JSON request per line on stdin and writes one JSON answer per line:
  {"op": "uri", "value": "..."}                -> connection fields as Connection._parse_from_uri sets them
  {"op": "json", "value": "..."}               -> fields as Connection.from_json sets them
  {"op": "match", "pattern": "...", "ids": []} -> [bool] re.match(pattern, id, re.IGNORECASE) per id
"""
import json
import re
import sys
from urllib.parse import parse_qsl, unquote, urlsplit


def normalize_conn_type(conn_type):
    if conn_type == "postgresql":
        return "postgres"
    return conn_type.replace("-", "_")


def hostname_from(parts):
    hostname = unquote(parts.hostname or "")
    if "/" in hostname:
        hostname = parts.netloc
        if "@" in hostname:
            hostname = hostname.rsplit("@", 1)[1]
        if ":" in hostname:
            hostname = hostname.split(":", 1)[0]
        hostname = unquote(hostname)
    return hostname


def parse_uri(uri):
    scheme_count = uri.count("://")
    if scheme_count > 2:
        raise ValueError("too many schemes")
    with_protocol = scheme_count == 2
    parts = urlsplit(uri)
    conn_type = parts.scheme
    rest = uri.replace(f"{conn_type}://", "" if with_protocol else "//")
    parts = urlsplit(rest)
    protocol = parts.scheme if with_protocol else None
    host = hostname_from(parts)
    fields = {
        "conn_type": normalize_conn_type(conn_type),
        "host": f"{protocol}://{host}" if protocol else host,
        "schema": unquote(parts.path[1:]) if parts.path[1:] else parts.path[1:],
        "login": unquote(parts.username) if parts.username else parts.username,
        "password": unquote(parts.password) if parts.password else parts.password,
        "port": parts.port,
        "extra": None,
    }
    if parts.query:
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        fields["extra"] = query["__extra__"] if "__extra__" in query else json.dumps(query)
    return fields


def parse_json(value):
    kwargs = json.loads(value)
    allowed = {"conn_type", "description", "host", "login", "password", "schema", "port", "extra"}
    unknown = set(kwargs) - allowed
    if unknown:
        raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")
    extra = kwargs.pop("extra", None)
    if extra:
        kwargs["extra"] = extra if isinstance(extra, str) else json.dumps(extra)
    if kwargs.get("conn_type"):
        kwargs["conn_type"] = normalize_conn_type(kwargs["conn_type"])
    port = kwargs.pop("port", None)
    if port:
        kwargs["port"] = int(port)
    return kwargs


for line in sys.stdin:
    request = json.loads(line)
    try:
        if request["op"] == "uri":
            answer = {"ok": parse_uri(request["value"])}
        elif request["op"] == "json":
            answer = {"ok": parse_json(request["value"])}
        elif request["op"] == "match":
            answer = {"ok": [bool(re.match(request["pattern"], i, re.IGNORECASE)) for i in request["ids"]]}
        else:
            answer = {"error": "unknown op"}
    except Exception as error:  # the test asserts on the message
        answer = {"error": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(answer) + "\n")
