"""Airflow's reading side, re-stated with Python's own stdlib (the urllib, json, re, os.path that Airflow
itself calls), so tests check what the library writes against how Airflow reads it rather than against our
own TypeScript. Every function cites the Airflow (or provider) file and function it mirrors; each was run
side by side with that function on the same inputs while developing (Airflow's code is not vendored here).

Reads one JSON request per line on stdin and writes one JSON answer per line:
  {"op": "uri", "value": "..."}                -> connection fields as Connection._parse_from_uri sets them
  {"op": "json", "value": "..."}               -> fields as Connection.from_json sets them
  {"op": "match", "pattern": "...", "ids": []} -> [bool] re.match(pattern, id, re.IGNORECASE) per id
  {"op": "lookup", ...}                        -> what one Airflow process reads back (see `lookup`)
  {"op": "sensitive", "dir": "...", "line": "3.1"} -> sorted "section.option" Airflow treats as sensitive
"""
import functools
import json
import os
import posixpath
import re
import sys
from urllib.parse import parse_qsl, unquote, urlsplit

CONNECTION_FIELDS = ("conn_type", "description", "host", "login", "password", "schema", "port", "extra")


class ReadError(Exception):
    pass


# airflow/models/connection.py, Connection._normalize_conn_type (2.10 and airflow-core 3.x alike).
def normalize_conn_type(conn_type):
    if conn_type == "postgresql":
        return "postgres"
    return conn_type.replace("-", "_")


# airflow/models/connection.py, RE_SANITIZE_CONN_ID / sanitize_conn_id. 2.10 compiles it with re2, whose
# \w is ASCII-only (re.ASCII here); 3.x uses Python's re (Unicode \w). Python's $ also matches before a
# trailing newline, which is why 3.x returns match.group(0), not the input.
RE_SANITIZE_CONN_ID_2 = re.compile(r"^[\w\#\!\(\)\-\.\:\/\\]{1,}$", re.ASCII)
RE_SANITIZE_CONN_ID_3 = re.compile(r"^[\w#!()\-.:/\\]{1,}$")
CONN_ID_MAX_LEN = 250


def sanitize_conn_id(conn_id, line):
    if not isinstance(conn_id, str) or len(conn_id) > CONN_ID_MAX_LEN:
        return None
    pattern = RE_SANITIZE_CONN_ID_2 if line.startswith("2.") else RE_SANITIZE_CONN_ID_3
    match = pattern.match(conn_id)
    return match.group(0) if match else None


# airflow/models/connection.py, _parse_netloc_to_hostname.
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


# airflow/models/connection.py, Connection._parse_from_uri (2.10; airflow-core 3.0/3.1 identical).
def parse_uri(uri):
    scheme_count = uri.count("://")
    if scheme_count > 2:
        raise ReadError("Invalid connection string")
    with_protocol = scheme_count == 2
    parts = urlsplit(uri)
    conn_type = parts.scheme
    rest = uri.replace(f"{conn_type}://", "" if with_protocol else "//")
    if with_protocol:
        first = rest.split("://", 1)[0]
        if "@" in first or ":" in first:
            raise ReadError("Invalid connection string")
    parts = urlsplit(rest)
    protocol = parts.scheme if with_protocol else None
    host = hostname_from(parts)
    fields = {
        "conn_type": normalize_conn_type(conn_type),
        "host": (f"{protocol}://{host}" if protocol else host) if host else host,
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


# airflow/models/connection.py, Connection.from_json (2.10 and 3.x): kwargs go to Connection(**kwargs),
# so an unknown key is a TypeError.
def parse_json(value):
    kwargs = json.loads(value)
    unknown = set(kwargs) - set(CONNECTION_FIELDS)
    if unknown:
        raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")
    extra = kwargs.pop("extra", None)
    if extra:
        kwargs["extra"] = extra if isinstance(extra, str) else json.dumps(extra)
    conn_type = kwargs.pop("conn_type", None)
    if conn_type:
        kwargs["conn_type"] = normalize_conn_type(conn_type)
    port = kwargs.pop("port", None)
    if port:
        kwargs["port"] = int(port)
    return kwargs


# Connection.__init__ (2.10 / 3.x): conn_id sanitised, extra validated as a JSON dict (_validate_extra).
def connection(conn_id, line, fields):
    unknown = set(fields) - set(CONNECTION_FIELDS)
    if unknown:
        raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")
    out = {key: fields.get(key) for key in CONNECTION_FIELDS}
    extra = out["extra"]
    if extra and not isinstance(extra, str):
        out["extra"] = extra = json.dumps(extra)
    if extra:
        parsed = json.loads(extra)
        if not isinstance(parsed, dict):
            raise ValueError("extra is not a JSON dict")
    out["conn_id"] = sanitize_conn_id(conn_id, line)
    return out


# airflow/secrets/base_secrets.py, BaseSecretsBackend.deserialize_connection.
def deserialize_connection(conn_id, line, value):
    value = value.strip()
    if value[0] == "{":
        return connection(conn_id, line, parse_json(value))
    return connection(conn_id, line, parse_uri(value))


# amazon provider, SecretsManagerBackend._standardize_secret_keys (no extra_conn_words configured).
def standardize_secret_keys(secret):
    words = {
        "login": ["login", "user", "username", "user_name"],
        "password": ["password", "pass", "key"],
        "host": ["host", "remote_host", "server"],
        "port": ["port"],
        "schema": ["database", "schema"],
        "conn_type": ["conn_type", "conn_id", "connection_type", "engine"],
        "extra": ["extra"],
    }
    out = {}
    for field, possible in words.items():
        found = [v for k, v in secret.items() if k in possible]
        out[field] = found[0] if found else None
    return out


# airflow/configuration.py, expand_env_var, run with an environment in which every name is set and HOME
# is known: a value it changes is a value some pod would read changed.
class _EveryNameSet(dict):
    def __contains__(self, key):
        return True

    def __getitem__(self, key):
        return "/home/airflow" if key == "HOME" else f"<{key}>"


def expand_env_var(value):
    if not value:
        return value
    saved = os.environ
    os.environ = _EveryNameSet()  # posixpath.expandvars/expanduser read os.environ at call time
    try:
        while True:
            interpolated = posixpath.expanduser(posixpath.expandvars(str(value)))
            if interpolated == value:
                return interpolated
            value = interpolated
    finally:
        os.environ = saved


def _version_tuple(text):
    return tuple(int(p) for p in str(text).split(".")[:2])


@functools.lru_cache(maxsize=None)
def _load_yaml(path):
    import yaml

    return yaml.safe_load(open(path))


# airflow/configuration.py, AirflowConfigParser.sensitive_config_values: options marked sensitive in core
# config.yml plus installed providers' provider.yaml; here restricted to options whose version_added is
# not later than the line. Read from Airflow's own files (../shared/airflow-config/).
@functools.lru_cache(maxsize=None)
def sensitive_options(directory, line):
    core = "config-2.10.yml" if line.startswith("2.") else "config-3.x-main.yml"
    providers = ["provider-celery-3.x-main.yaml"] + ([] if line.startswith("2.") else ["provider-smtp-3.x-main.yaml"])
    found = set()
    sources = [_load_yaml(os.path.join(directory, core))]
    sources += [_load_yaml(os.path.join(directory, p)).get("config") or {} for p in providers]
    for sections in sources:
        for section, body in sections.items():
            for option, spec in ((body or {}).get("options") or {}).items():
                if not isinstance(spec, dict) or spec.get("sensitive") is not True:
                    continue
                added = spec.get("version_added")
                if added is None or _version_tuple(added) <= _version_tuple(line):
                    found.add(f"{section}.{option}")
    return frozenset(found)


BACKEND_CLASSES = {
    "vault": "airflow.providers.hashicorp.secrets.vault.VaultBackend",
    "aws-secrets-manager": "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
    "aws-ssm": "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
    "gcp-secret-manager": "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend",
    "azure-key-vault": "airflow.providers.microsoft.azure.secrets.key_vault.AzureKeyVaultBackend",
}


class Backend:
    """One provider backend class, constructed from the rendered backend_kwargs, over an in-memory store."""

    def __init__(self, kind, kwargs, store):
        self.kind = kind
        self.store = store
        self.calls = 0
        keys = ("connections_path", "variables_path", "config_path") if kind == "vault" else (
            "connections_prefix", "variables_prefix", "config_prefix")
        defaults = {
            "vault": ("connections", "variables", "config"),
            "aws-secrets-manager": ("airflow/connections", "airflow/variables", "airflow/config"),
            "aws-ssm": ("/airflow/connections", "/airflow/variables", "/airflow/config"),
            "gcp-secret-manager": ("airflow-connections", "airflow-variables", "airflow-config"),
            "azure-key-vault": ("airflow-connections", "airflow-variables", "airflow-config"),
        }[kind]
        self.sep = {"vault": "/", "aws-ssm": "/"}.get(kind, kwargs.get("sep", "/" if kind == "aws-secrets-manager" else "-"))
        self.prefix = {}
        for kind_name, key, default in zip(("connection", "variable", "config"), keys, defaults):
            prefix = kwargs.get(key, default)
            if prefix is not None:
                if kind == "vault":
                    prefix = prefix.rstrip("/")  # hashicorp VaultBackend.__init__
                elif kind == "aws-ssm":
                    prefix = "/" + prefix.rstrip("/").lstrip("/") if prefix else prefix  # ensure_prefix(rstrip)
                elif kind in ("aws-secrets-manager", "azure-key-vault") and prefix:
                    prefix = prefix.rstrip(self.sep)
            self.prefix[kind_name] = prefix
        self.patterns = {
            "connection": kwargs.get("connections_lookup_pattern"),
            "variable": kwargs.get("variables_lookup_pattern"),
            "config": kwargs.get("config_lookup_pattern"),
        } if kind in ("aws-secrets-manager", "aws-ssm") else {}
        self.mount_point = kwargs.get("mount_point", "secret") if kind == "vault" else None

    def name(self, kind_name, secret_id):
        prefix = self.prefix[kind_name]
        if self.kind == "azure-key-vault":
            # microsoft azure provider, AzureKeyVaultBackend.build_path
            path = secret_id if prefix == "" else f"{prefix}{self.sep}{secret_id}"
            return path.replace("_", self.sep)
        if self.kind == "aws-ssm" and not prefix:
            return "/" + secret_id.lstrip("/")
        if self.kind == "aws-secrets-manager" and not prefix:
            return secret_id
        return f"{prefix}{self.sep}{secret_id}"  # BaseSecretsBackend.build_path

    def get(self, kind_name, secret_id):
        if self.prefix[kind_name] is None:
            return None
        pattern = self.patterns.get(kind_name)
        # amazon provider, _get_secret: re.match(lookup_pattern, secret_id, re.IGNORECASE) before any call
        if pattern and not re.match(pattern, secret_id, re.IGNORECASE):
            return None
        self.calls += 1
        name = self.name(kind_name, secret_id)
        if self.kind == "azure-key-vault":  # Key Vault names are case-insensitive
            matches = [v for k, v in self.store.items() if k.lower() == name.lower()]
            return matches[0] if matches else None
        return self.store.get(name)

    # Each backend's get_connection / get_conn_value.
    def connection(self, conn_id, line):
        raw = self.get("connection", conn_id)
        if raw is None:
            return None
        if self.kind == "vault":
            data = json.loads(raw)  # the KV v2 secret's data
            if data.get("conn_uri"):
                return connection(conn_id, line, parse_uri(data["conn_uri"]))
            return connection(conn_id, line, data)
        if self.kind == "aws-secrets-manager" and raw.strip().startswith("{"):
            raw = json.dumps(standardize_secret_keys(json.loads(raw)))
        return deserialize_connection(conn_id, line, raw)

    def scalar(self, kind_name, secret_id):
        raw = self.get(kind_name, secret_id)
        if raw is None or self.kind != "vault":
            return raw
        return json.loads(raw).get("value")


def lookup(request):
    """One Airflow process (server, or a 3.x worker) reading every declared id back.

    request: backend, line, role ("server" | "worker"), env (the AIRFLOW__* variables rendered for it),
    store ({name: stored value}), connections / variables ([ids]), config ([[section, option]]), and
    sensitiveDir (Airflow's config files, for the sensitive-option rule).
    """
    line, kind, env = request["line"], request["backend"], dict(request.get("env") or {})
    store = request.get("store") or {}
    result = {"connections": {}, "variables": {}, "config": {}, "calls": 0}

    def conf_env(name):  # airflow/configuration.py: AIRFLOW__X__Y values go through expand_env_var
        value = env.get(name)
        return expand_env_var(value) if value is not None else None

    def read(fn):
        try:
            return fn()
        except Exception as error:  # what Airflow would log; the lookup fails
            return {"error": f"{type(error).__name__}: {error}"}

    if kind == "env":
        # airflow/secrets/environment_variables.py, EnvironmentVariablesBackend.
        for conn_id in request.get("connections", []):
            value = store.get("AIRFLOW_CONN_" + conn_id.upper())
            result["connections"][conn_id] = read(lambda: deserialize_connection(conn_id, line, value)) if value else None
        for key in request.get("variables", []):
            result["variables"][key] = store.get("AIRFLOW_VAR_" + key.upper())
        for section, option in request.get("config", []):
            name = f"AIRFLOW__{section.upper()}__{option.upper()}"
            value = store.get(name)
            result["config"][f"{section}.{option}"] = expand_env_var(value) if value is not None else None
        return result

    backend_var = "AIRFLOW__SECRETS__BACKEND"
    kwargs_var = "AIRFLOW__SECRETS__BACKEND_KWARGS"
    if request.get("role") == "worker" and not line.startswith("2.") and "AIRFLOW__WORKERS__SECRETS_BACKEND" in env:
        backend_var, kwargs_var = "AIRFLOW__WORKERS__SECRETS_BACKEND", "AIRFLOW__WORKERS__SECRETS_BACKEND_KWARGS"
    if conf_env(backend_var) != BACKEND_CLASSES[kind]:
        raise ReadError(f"{backend_var} is {env.get(backend_var)!r}, not {BACKEND_CLASSES[kind]}")
    backend = Backend(kind, json.loads(conf_env(kwargs_var) or "{}"), store)
    for conn_id in request.get("connections", []):
        result["connections"][conn_id] = read(lambda: backend.connection(conn_id, line))
    for key in request.get("variables", []):
        result["variables"][key] = read(lambda: backend.scalar("variable", key))
    # Airflow's own config files when they sit beside the checkout; otherwise the committed table,
    # which test/fidelity/sensitiveOptions.test.ts holds to those files wherever they are present.
    if not request.get("config"):
        sensitive = set()
    elif request.get("sensitiveDir"):
        sensitive = sensitive_options(request["sensitiveDir"], line)
    else:
        sensitive = frozenset(request["sensitiveOptions"])
    for section, option in request.get("config", []):
        # AirflowConfigParser._get_env_var_option: {OPTION}_SECRET only for sensitive options, read by
        # get_config; _get_option_from_secrets ignores an empty answer.
        secret_key = env.get(f"AIRFLOW__{section.upper()}__{option.upper()}_SECRET")
        value = None
        if secret_key is not None and f"{section}.{option}" in sensitive:
            value = read(lambda: backend.scalar("config", secret_key)) or None
        result["config"][f"{section}.{option}"] = value
    result["calls"] = backend.calls
    return result


# `airflow connections import FILE` of a JSON file: airflow/secrets/local_filesystem.py
# (load_connections_dict -> _create_connection: a string value is a URI, a dict is Connection(**value),
# `extra` as given when a string, json.dumps'd when a dict) and the importer's id check
# (2.x connection_command._import_helper: helpers.validate_key(conn_id, max_length=200), ^[\w.-]+$;
# 3.x ConnectionBody.connection_id: same pattern, at most 200). A skipped id answers an error.
def import_file(line, text):
    document = json.loads(text)
    if not isinstance(document, dict):
        raise ValueError("the file must hold a JSON object")
    result = {}
    for conn_id, value in document.items():
        if len(conn_id) > 200 or not re.match(r"^[\w.-]+$", conn_id):
            result[conn_id] = {"error": f"Could not import connection {conn_id!r}: invalid key"}
            continue
        try:
            if isinstance(value, str):
                result[conn_id] = connection(conn_id, line, parse_uri(value))
            elif isinstance(value, dict):
                fields = dict(value)
                if "conn_id" in fields and fields.pop("conn_id") != conn_id:
                    raise ValueError("conn_id differs from the key")
                result[conn_id] = connection(conn_id, line, fields)
            else:
                raise ValueError("a connection must be a URI string or a map")
        except Exception as error:
            result[conn_id] = {"error": f"{type(error).__name__}: {error}"}
    return result


def main():
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["op"] == "uri":
                answer = {"ok": parse_uri(request["value"])}
            elif request["op"] == "json":
                answer = {"ok": parse_json(request["value"])}
            elif request["op"] == "match":
                answer = {"ok": [bool(re.match(request["pattern"], i, re.IGNORECASE)) for i in request["ids"]]}
            elif request["op"] == "lookup":
                answer = {"ok": lookup(request)}
            elif request["op"] == "import":
                answer = {"ok": import_file(request["line"], request["value"])}
            elif request["op"] == "sensitive":
                answer = {"ok": sorted(sensitive_options(request["dir"], request["line"]))}
            else:
                answer = {"error": "unknown op"}
        except Exception as error:  # the test asserts on the message
            answer = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
