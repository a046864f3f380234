"""What the service benchmarks share: a service in its own process on a free loopback
port, a token, figures and the environment they were measured in."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from couplet.operations.integration import Integration
from couplet.settings import EngineSettings
from couplet.wiring import open_integration

CLIENT_ID, CLIENT_SECRET = "bench-admin", "bench-secret"
PROBE = "/oauth2/token"  # answers (405) as soon as a service is up
RESULTS = Path(__file__).parent / "results"


def figures(rows: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds, 1) if seconds else None,
        **extra,
    }


def report(name: str, numbers: dict[str, Any]) -> None:
    print(
        f"  {name:<28} {numbers['rows']:>8} rows {numbers['seconds']:>9.2f} s "
        f"{numbers['rows_per_second']:>10} rows/s",
        flush=True,
    )


def backend(url: str) -> str:
    """The database kind without credentials, for the results file."""
    return url.split(":", 1)[0].split("+", 1)[0]


class Server:
    """`couplet serve <service>` in its own process, so client and server do not share a
    GIL; the admin client is `CLIENT_ID`/`CLIENT_SECRET`."""

    def __init__(self, service: str, url: str, workdir: Path, probe: str) -> None:
        self.service, self.url, self.probe = service, url, probe
        self.log = workdir / f"{service}-server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        prefix = f"COUPLET_{self.service.upper()}_"
        env = {
            **os.environ,
            prefix + "ADMIN_CLIENT_ID": CLIENT_ID,
            prefix + "ADMIN_CLIENT_SECRET": CLIENT_SECRET,
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "couplet.cli.main",
                    "serve",
                    self.service,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--database-url",
                    self.url,
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"The {self.service} did not start:\n{self.log.read_text()}")
            try:
                httpx.get(base + self.probe, timeout=1)
                return base
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit(f"The {self.service} did not answer within 60 s.")

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def token(http: httpx.Client) -> str:
    r = http.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def environment(url: str) -> dict[str, Any]:
    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    def git(*command: str) -> str | None:
        try:
            return subprocess.run(
                ["git", *command],
                capture_output=True,
                text=True,
                cwd=Path(__file__).parent,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    status = git("status", "--porcelain")
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "database": backend(url),
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_uncommitted_changes": bool(status) if status is not None else None,
        "packages": {
            p: version(p)
            for p in ("couplet", "sqlalchemy", "fastapi", "uvicorn", "httpx", "psycopg")
        },
    }


@contextmanager
def databases(admin_url: str | None, work: Path, n: int) -> Iterator[list[str]]:
    """`n` empty databases: SQLite files in `work`, or throwaway PostgreSQL databases
    created through `admin_url` (a server URL allowed to create and drop databases)."""
    if admin_url is None:
        yield [f"sqlite:///{work}/db{i}.db" for i in range(n)]
        return
    admin = sa.create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    names = [f"couplet_bench_{uuid.uuid4().hex[:10]}" for _ in range(n)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield [f"{admin_url.rsplit('/', 1)[0]}/{name}" for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def couplet(*args: str) -> None:
    """Runs the `couplet` command line in its own process (as a person would)."""
    subprocess.run([sys.executable, "-m", "couplet.cli.main", *args], check=True)


def engine_for(url: str, crm: str, erp: str, *features: str) -> Integration:
    """An engine on its own database, set up (with these feature flags) and enabled
    against the two services."""
    couplet(
        "setup",
        "--crm-url",
        crm,
        "--crm-client-id",
        CLIENT_ID,
        "--crm-client-secret",
        CLIENT_SECRET,
        "--erp-url",
        erp,
        "--erp-client-id",
        CLIENT_ID,
        "--erp-client-secret",
        CLIENT_SECRET,
        *features,
        "--enable",
        "--database-url",
        url,
    )
    return open_integration(EngineSettings(database_url=url))


def save_results(
    benchmark: str,
    parameters: dict[str, Any],
    figures: dict[str, Any],
    started: float,
    postgres_url: str | None,
) -> Path:
    """Writes `bench/results/<benchmark>-<date>[-postgresql].json` with the figures, the
    parameters and the environment they were measured in."""
    result = {
        "benchmark": benchmark,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "parameters": parameters,
        "figures": figures,
        "total_seconds": round(time.perf_counter() - started, 1),
        "environment": environment(postgres_url or "sqlite://"),
    }
    RESULTS.mkdir(exist_ok=True)
    suffix = "-postgresql" if postgres_url else ""
    out = RESULTS / f"{benchmark}-{dt.date.today().isoformat()}{suffix}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    print(f"saved {out}")
    return out
