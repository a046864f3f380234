"""`couplet serve engine` as a real server process on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_engine_answers_health_jobs_and_pages(tmp_path: Path) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "couplet.cli.main", "serve", "engine", "--port", str(port)]
    command += ["--database-url", f"sqlite:///{tmp_path}/engine.db"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                if httpx.get(f"{base}/health", timeout=1).json() == {"status": "ok"}:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the engine did not start"
            time.sleep(0.2)
        assert httpx.get(f"{base}/api/v1/jobs").json() == []
        assert httpx.get(f"{base}/api/v1/connection").status_code == 404
        page = httpx.get(f"{base}/")
        assert page.status_code == 200 and "not set up" in page.text
        assert (tmp_path / "engine.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout:
            server.stdout.close()
