"""The production deployment (docker-compose.yml, Dockerfile, .env.example, deploy/), checked
without a Docker engine:

* the compose files validate against the Compose Specification's JSON schema
  (deploy/compose-spec.schema.json, vendored from the check-jsonschema package, Apache-2.0), as
  written and after interpolation with .env.example;
* everything they name exists: every ${VARIABLE} is in .env.example (and every one there is used),
  every environment variable is read by the project's code or documented, every Airflow setting
  is a real Airflow option, every image is built here or pinned, every bind-mounted file and
  script is in the repository, every published port is the one its service listens on;
* the pieces run: the Dockerfile's manifest step (a real ``dbt parse``), the entry point's
  password file, the Metabase provisioning against a stub of Metabase's API.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import re
import shlex
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
OVERRIDE = ROOT / "deploy" / "docker-compose.host-folders.yml"
SCHEMA = ROOT / "deploy" / "compose-spec.schema.json"
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"  # check-jsonschema 0.39.0
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"
# Variables Compose itself reads from .env (not interpolated in the file).
COMPOSE_OWN = {"COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME", "COMPOSE_FILE"}
DEFAULT_SERVICES = {
    "warehouse",
    "airflow-db",
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "metabase-db",
    "portal",
    "metabase",
    "metabase-init",
}
ONE_SHOT = {"airflow-init", "metabase-init"}
AIRFLOW_COMMANDS = {
    "airflow-apiserver": ["api-server"],
    "airflow-scheduler": ["scheduler"],
    "airflow-dag-processor": ["dag-processor"],
    "airflow-triggerer": ["triggerer"],
    "airflow-worker": ["celery", "worker"],
    "flower": ["celery", "flower"],
}

_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


# --------------------------------------------------------------------------- helpers


def load_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # merge keys (<<) resolved


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f".env.example: not KEY=value: {line!r}"
            values[key.strip()] = value.strip()
    return values


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def variables(text: str) -> list[tuple[str, str]]:
    """(name, operator) of every interpolation in ``text`` ($$ is an escaped $)."""
    text = text.replace("$$", "")
    return [(m["braced"] or m["bare"], m["op"] or "") for m in _VAR.finditer(text)]


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: ${V}, ${V:-d}, ${V-d}, ${V:?e}, ${V?e}, ${V:+a}, $V, $$."""

    def one(text: str) -> str:
        def repl(m: re.Match[str]) -> str:
            name, op, arg = m["braced"] or m["bare"], m["op"] or "", m["arg"] or ""
            value, is_set = env.get(name, ""), name in env
            if op == ":-":
                return value if value else arg
            if op == "-":
                return value if is_set else arg
            if op == ":?":
                if not value:
                    raise ValueError(f"required variable {name} is missing: {arg}")
                return value
            if op == "?":
                if not is_set:
                    raise ValueError(f"required variable {name} is missing: {arg}")
                return value
            if op == ":+":
                return arg if value else ""
            return value

        parts = text.split("$$")
        return "$".join(_VAR.sub(repl, p) for p in parts)

    if isinstance(node, str):
        return one(node)
    if isinstance(node, dict):
        return {one(k) if isinstance(k, str) else k: interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(i, env) for i in node]
    return node


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(document)]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


@pytest.fixture(scope="module")
def resolved(compose: dict[str, Any]) -> dict[str, Any]:
    return interpolate(compose, env_example())


def service_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def container_path(host_path: str) -> Path:
    """/opt/gnbv/<x> in the image is <x> in the repository (Dockerfile: WORKDIR /opt/gnbv, COPY . .)."""
    assert host_path.startswith("/opt/gnbv/"), host_path
    return ROOT / host_path.removeprefix("/opt/gnbv/")


# --------------------------------------------------------------------------- the schema


def test_the_vendored_schema_is_the_compose_specification() -> None:
    import hashlib

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Compose Specification"
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert "Apache License" in (ROOT / "deploy" / "compose-spec.LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [COMPOSE, OVERRIDE], ids=lambda p: p.name)
def test_the_compose_files_follow_the_compose_specification(path: Path) -> None:
    document = load_yaml(path)
    assert schema_errors(document) == []
    assert schema_errors(interpolate(document, env_example())) == []


def test_the_schema_check_catches_a_wrong_compose_file(compose: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["warehouse"]["healthcheck"]["retries"] = "many"
    broken["services"]["airflow-scheduler"]["depends_on"]["warehouse"]["condition"] = "service_ready"
    broken["services"]["metabase"]["restartt"] = "always"
    assert len(schema_errors(broken)) >= 3


# --------------------------------------------------------------------------- variables


def test_every_variable_is_in_env_example_and_every_one_there_is_used() -> None:
    used = {name for path in (COMPOSE, OVERRIDE) for s in strings(load_yaml(path)) for name, _ in variables(s)}
    declared = set(env_example())
    assert used - declared == set(), "add them to .env.example"
    assert declared - used - COMPOSE_OWN == set(), "unused in the compose files"


def test_secrets_are_required_and_never_real_in_env_example(compose: dict[str, Any]) -> None:
    required = {name for s in strings(compose) for name, op in variables(s) if op in {":?", "?"}}
    for name, value in env_example().items():
        if re.search(r"PASSWORD|SECRET|FERNET", name):
            assert name in required, f"{name}: use ${{{name}:?...}} somewhere, so Compose refuses to start without it"
            assert value.startswith("change-me"), f"{name}: .env.example holds placeholders only"
    with pytest.raises(ValueError, match="missing"):
        interpolate(compose, {})  # no .env: Compose refuses


def test_env_is_kept_out_of_git_and_of_the_image() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0, ".env must be listed in .gitignore"
    assert ".env" in DOCKERIGNORE.read_text(encoding="utf-8").split()


def test_every_environment_variable_is_read_by_the_project_or_documented(resolved: dict[str, Any]) -> None:
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in ("gnbv", "ingest", "dags", "deploy")
        for p in (ROOT / folder).rglob("*")
        if p.suffix in {".py", ".sh"} and p.is_file()
    )
    doc = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    for name, service in resolved["services"].items():
        for key in service_env(service):
            if key.startswith("AIRFLOW__"):
                continue  # Airflow options: checked against Airflow's own configuration below
            if key.startswith("AIRFLOW_CONN_"):
                conn_id = key.removeprefix("AIRFLOW_CONN_").lower()
                assert f'"{conn_id}"' in sources, f"{name}: connection {conn_id} is used nowhere"
                continue
            assert key in sources or f"`{key}`" in doc, f"{name}: {key} is neither read by the code nor documented"


def _airflow_options() -> dict[str, set[str]]:
    import configparser

    import airflow

    templates = Path(airflow.__file__).parent / "config_templates"
    core = yaml.safe_load((templates / "config.yml").read_text(encoding="utf-8"))
    options = {section: set(body.get("options", {})) for section, body in core.items()}
    fallback = configparser.ConfigParser()
    fallback.read(templates / "provider_config_fallback_defaults.cfg")
    for section in fallback.sections():
        options.setdefault(section, set()).update(fallback.options(section))
    if importlib.util.find_spec("airflow.providers.celery") is not None:
        from airflow.providers.celery.get_provider_info import get_provider_info

        for section, body in get_provider_info().get("config", {}).items():
            options.setdefault(section, set()).update(body.get("options", {}))
    return options


def test_every_airflow_setting_is_an_airflow_option(resolved: dict[str, Any]) -> None:
    # the [celery] options come with the Celery provider, a locked dependency: checked too
    assert importlib.util.find_spec("airflow.providers.celery") is not None
    options = _airflow_options()
    seen = 0
    for service in resolved["services"].values():
        for key in service_env(service):
            if not key.startswith("AIRFLOW__"):
                continue
            section, _, option = key.removeprefix("AIRFLOW__").lower().partition("__")
            seen += 1
            assert option in options.get(section, set()), f"{key}: no option {option!r} in [{section}]"
    assert seen >= 15


def test_the_airflow_services_run_real_airflow_commands(resolved: dict[str, Any]) -> None:
    from airflow.cli import cli_parser

    parser = cli_parser.get_parser()
    services = resolved["services"]
    for name, words in AIRFLOW_COMMANDS.items():
        assert services[name]["command"] == ["airflow", *words], name
        if words[0] == "celery" and importlib.util.find_spec("airflow.providers.celery") is None:
            continue
        args = parser.parse_args(words)
        assert callable(args.func), name


# --------------------------------------------------------------------------- services


def test_the_services_of_each_profile(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    default = {n for n, s in services.items() if not s.get("profiles")}
    assert default == DEFAULT_SERVICES
    assert "celery" in services["redis"]["profiles"] and services["airflow-worker"]["profiles"] == ["celery"]
    assert services["airflow-worker"]["deploy"]["replicas"] == "2"  # GNBV_CELERY_WORKERS
    for name in default:  # a default service never waits on a service of a profile
        for dependency in services[name].get("depends_on", {}):
            assert dependency in default, f"{name} depends on {dependency}, which runs only in a profile"


def test_health_checks_and_start_order(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    for name, service in services.items():
        if name in ONE_SHOT:
            assert service["restart"] == "no" and "healthcheck" not in service, name
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        assert service.get("restart") in {"unless-stopped", "always"}, name
        for dependency, spec in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            expected = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            assert spec["condition"] == expected, f"{name} -> {dependency}"
    for name in AIRFLOW_COMMANDS:
        assert "airflow-init" in services[name]["depends_on"], name
    assert set(services["airflow-init"]["depends_on"]) == {"airflow-db", "warehouse"}


def test_every_image_is_built_here_or_pinned(resolved: dict[str, Any]) -> None:
    doc = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    built = set()
    for name, service in resolved["services"].items():
        image = service["image"]
        if "build" in service:
            assert (ROOT / service["build"]["context"] / service["build"]["dockerfile"]).is_file(), name
            built.add(image)
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", f"{name}: pin {image} to a version"
        assert f"`{image}`" in doc, f"{name}: {image} is not listed in docs/deployment.md"
    assert built == {"gnbv-warehouse/airflow:0.1.0"}


def test_every_mounted_file_and_script_is_in_the_repository(resolved: dict[str, Any]) -> None:
    declared = set(resolved["volumes"])
    used = set()
    for name, service in resolved["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).is_file(), f"{name}: {source} is not in the repository"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
        command = service.get("command") or []
        for word in command if isinstance(command, list) else shlex.split(command):
            if word.startswith("/opt/gnbv/"):
                script = container_path(word)
                assert script.is_file(), f"{name}: {script} is not in the repository"
                if script.suffix == ".sh":
                    assert script.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"
    assert used == declared


def test_the_data_volumes_are_where_the_code_looks(resolved: dict[str, Any]) -> None:
    """inbox, archive, quarantine and reports are mounted where GNBV_INBOX... point (compose and
    the image's defaults agree)."""
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    for service_name in AIRFLOW_COMMANDS:
        service = resolved["services"][service_name]
        env = service_env(service)
        mounts = dict(v.split(":")[:2] for v in service["volumes"])
        for volume, variable in (
            ("inbox", "GNBV_INBOX"),
            ("archive", "GNBV_ARCHIVE"),
            ("quarantine", "GNBV_QUARANTINE"),
            ("reports", "GNBV_REPORTS"),
        ):
            assert mounts[volume] == env[variable], (service_name, volume)
            assert re.search(rf"\b{variable}={re.escape(env[variable])}\b", dockerfile), variable


def test_published_ports_are_the_ports_the_services_listen_on(
    resolved: dict[str, Any], compose: dict[str, Any]
) -> None:
    listening = {"warehouse": 5432, "airflow-apiserver": 8080, "metabase": 3000, "flower": 5555, "portal": 8090}
    published = {}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            match = re.fullmatch(r"\$\{GNBV_BIND_ADDRESS:-127\.0\.0\.1\}:\$\{([A-Z_]+):-(\d+)\}:(\d+)", port)
            assert match, f"{name}: publish as ${{GNBV_BIND_ADDRESS:-127.0.0.1}}:${{X_PORT:-n}}:n, not {port!r}"
            published[name] = int(match[3])
    assert published == listening
    for name, port in listening.items():
        probe = " ".join(strings(resolved["services"][name]["healthcheck"]["test"]))
        assert f"localhost:{port}" in probe or f"-p {port}" in probe, f"{name}: health check does not probe {port}"
    assert "EXPOSE 8080" in DOCKERFILE.read_text(encoding="utf-8")


def test_the_warehouse_runs_with_the_repository_settings(resolved: dict[str, Any]) -> None:
    warehouse = resolved["services"]["warehouse"]
    assert warehouse["command"] == ["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"]
    conf = (ROOT / "deploy" / "postgres" / "warehouse.conf").read_text(encoding="utf-8")
    assert re.search(r"^listen_addresses = '\*'", conf, re.M)
    assert re.search(r"^timezone = 'Asia/Ho_Chi_Minh'", conf, re.M)


def test_the_bi_tool_connects_as_the_bi_log_in(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    init_env, metabase_env = service_env(services["airflow-init"]), service_env(services["metabase-init"])
    assert metabase_env["GNBV_BI_DB_USER"] == init_env["GNBV_BI_DB_USER"] == "gnbv_bi_reader"
    assert metabase_env["GNBV_BI_DB_PASSWORD"] == init_env["GNBV_BI_DB_PASSWORD"]
    airflow_url = service_env(services["airflow-scheduler"])["GNBV_DATABASE_URL"]
    assert airflow_url.startswith("postgresql://gnbv_airflow:") and "@warehouse:5432/gnbv" in airflow_url
    for name, service in services.items():  # the owner's URL reaches only the init job
        if name != "airflow-init":
            assert "GNBV_ADMIN_DATABASE_URL" not in service_env(service), name


# --------------------------------------------------------------------------- the image


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_dockerfile_copies_only_what_exists_and_dockerignore_lets_in() -> None:
    instructions = _dockerfile_instructions()
    allowed = [
        line[1:].strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    ]
    for entry in allowed:
        assert (ROOT / entry).exists(), f".dockerignore lets in {entry}, which does not exist"
    for needed in ("gnbv", "ingest", "dbt_project", "expectations", "dags", "deploy", "uv.lock", "pyproject.toml"):
        assert needed in allowed, needed
    for keyword, args in instructions:
        if keyword == "COPY":
            *sources, _dest = args.split()
            for source in sources:
                if source.startswith("--"):
                    continue
                assert source == "." or (ROOT / source).exists(), source
                assert source == "." or source in allowed, f"{source} is excluded by .dockerignore"
    entrypoint = next(args for keyword, args in instructions if keyword == "ENTRYPOINT")
    for path in json.loads(entrypoint)[1:]:
        if path.startswith("/opt/gnbv/"):
            assert container_path(path).stat().st_mode & stat.S_IXUSR, path
    assert any(k == "USER" and a == "airflow" for k, a in instructions)


def test_the_image_uses_the_projects_python_and_uv() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    uv = re.search(r"^UV_VERSION=(\S+)", bootstrap, re.M)
    assert uv and f"ARG UV_VERSION={uv[1]}" in dockerfile
    python = re.search(r"ARG PYTHON_IMAGE=python:(\d+\.\d+)-", dockerfile)
    assert python and python[1] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert "uv sync --frozen --no-dev" in dockerfile  # exactly the locked versions
    policy = (ROOT / "deploy" / "airflow" / "airflow_local_settings.py").read_text(encoding="utf-8")
    assert "from gnbv.orchestration.local_settings import dag_policy, task_policy" in policy


def test_the_manifest_step_of_the_image_builds_the_dbt_manifest(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GNBV_DATABASE_URL"}
    env.update(GNBV_HOME=str(tmp_path), GNBV_AIRFLOW_DBT_DIR=str(tmp_path / "dbt"))
    proc = subprocess.run(
        [sys.executable, "deploy/scripts/build_dbt_manifest.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = json.loads((tmp_path / "dbt" / "manifest.json").read_text(encoding="utf-8"))
    assert "model.gnbv.mart_province_consolidation" in manifest["nodes"]
    assert not (tmp_path / ".gnbv" / "warehouse").exists()  # no embedded server was started


def test_the_entry_point_writes_the_ui_password_file_for_the_container_only(tmp_path: Path) -> None:
    passwords = tmp_path / "passwords.json"
    env = {
        "PATH": os.environ["PATH"],
        "AIRFLOW_ADMIN_PASSWORD": "s3cret-from-env",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
    }
    proc = subprocess.run(
        ["bash", str(ROOT / "deploy" / "airflow" / "entrypoint.sh"), "echo", "started"],
        env={**env, "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "started"
    assert json.loads(passwords.read_text()) == {"admin": "s3cret-from-env", "viewer": "s3cret-from-env"}
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600


# --------------------------------------------------------------------------- Metabase


class _FakeMetabase(http.server.BaseHTTPRequestHandler):
    """Just enough of Metabase's API: health, session properties, setup, session, databases."""

    state: dict[str, Any]

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def _authorised(self) -> bool:
        return self.headers.get("X-Metabase-Session") == "session-1"

    def do_GET(self) -> None:
        s = self.state
        s["calls"].append(("GET", self.path))
        if self.path == "/api/health":
            s["health_calls"] += 1
            self._reply(
                200 if s["health_calls"] > 1 else 503, {"status": "ok" if s["health_calls"] > 1 else "starting"}
            )
        elif self.path == "/api/session/properties":
            self._reply(200, {"setup-token": s["token"], "has-user-setup": s["admin"] is not None})
        elif self.path == "/api/database" and self._authorised():
            self._reply(200, {"data": list(s["databases"].values()), "total": len(s["databases"])})
        else:
            self._reply(401, "Unauthenticated")

    def do_POST(self) -> None:
        s, body = self.state, self._body()
        s["calls"].append(("POST", self.path))
        if self.path == "/api/setup" and body["token"] == s["token"] and s["admin"] is None:
            s["admin"] = body["user"]
            self._reply(200, {"id": "session-1"})
        elif self.path == "/api/session" and s["admin"] and body["password"] == s["admin"]["password"]:
            self._reply(200, {"id": "session-1"})
        elif self.path == "/api/database" and self._authorised():
            database = {**body, "id": len(s["databases"]) + 2}
            s["databases"][database["id"]] = database
            self._reply(200, database)
        else:
            self._reply(400, {"message": "refused"})

    def do_PUT(self) -> None:
        s, body = self.state, self._body()
        s["calls"].append(("PUT", self.path))
        database_id = int(self.path.rsplit("/", 1)[1])
        if self._authorised() and database_id in s["databases"]:
            s["databases"][database_id].update(body)
            self._reply(200, s["databases"][database_id])
        else:
            self._reply(404, {"message": "not found"})


@pytest.fixture
def fake_metabase() -> Iterator[tuple[str, dict[str, Any]]]:
    state: dict[str, Any] = {"calls": [], "health_calls": 0, "token": "setup-token-1", "admin": None, "databases": {}}
    handler = type("Handler", (_FakeMetabase,), {"state": state})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def _provision_module() -> Any:
    path = ROOT / "deploy" / "metabase" / "provision.py"
    spec = importlib.util.spec_from_file_location("gnbv_metabase_provision", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_metabase_is_connected_to_the_marts_as_the_bi_log_in_idempotently(
    fake_metabase: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = fake_metabase
    provision = _provision_module()
    monkeypatch.setattr(provision.time, "sleep", lambda s: None)
    env = {
        "METABASE_URL": url,
        "METABASE_ADMIN_EMAIL": "admin@example.gov.vn",
        "METABASE_ADMIN_PASSWORD": "admin-pass",
        "GNBV_BI_DB_USER": "gnbv_bi_reader",
        "GNBV_BI_DB_PASSWORD": "first-pass",
    }
    first = provision.provision(provision.Settings.from_env(env), echo=lambda s: None)
    assert first == {"setup": True, "database_id": 2, "action": "created"}
    assert state["admin"]["email"] == "admin@example.gov.vn"
    database = state["databases"][2]
    assert database["engine"] == "postgres"
    details = database["details"]
    assert (details["host"], details["port"], details["dbname"], details["user"]) == (
        "warehouse",
        5432,
        "gnbv",
        "gnbv_bi_reader",
    )
    assert (details["schema-filters-type"], details["schema-filters-patterns"]) == ("inclusion", "marts")

    state["token"] = None  # Metabase forgets the setup token once set up
    second = provision.provision(
        provision.Settings.from_env({**env, "GNBV_BI_DB_PASSWORD": "rotated"}), echo=lambda s: None
    )
    assert second == {"setup": False, "database_id": 2, "action": "updated"}
    assert len(state["databases"]) == 1 and state["databases"][2]["details"]["password"] == "rotated"
    assert ("POST", "/api/session") in state["calls"]


def test_metabase_provisioning_says_what_is_missing() -> None:
    provision = _provision_module()
    with pytest.raises(provision.ProvisionError, match="GNBV_BI_DB_PASSWORD"):
        provision.Settings.from_env({"METABASE_ADMIN_EMAIL": "a@b", "METABASE_ADMIN_PASSWORD": "x"})
