"""`couplet serve engine` as a real server process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from couplet.cli.main import app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_engine_answers_health_jobs_and_pages(tmp_path: Path) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "couplet.cli.main", "serve", "engine", "--port", str(port)]
    url = f"sqlite:///{tmp_path}/engine.db"
    command += ["--database-url", url]
    made = CliRunner().invoke(app, ["tokens", "create", "--json", "--database-url", url])
    token = json.loads(made.stdout)["token"]
    env = {**os.environ, "COUPLET_ENGINE_ADMIN_PASSWORD": "pw-from-env"}
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # generous: a loaded machine starts slowly
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                if httpx.get(f"{base}/health", timeout=1).json() == {"status": "ok"}:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the engine did not start"
            time.sleep(0.2)
        assert httpx.get(f"{base}/api/v1/jobs").status_code == 401
        bearer = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/api/v1/jobs", headers=bearer).json() == []
        assert httpx.get(f"{base}/api/v1/connection", headers=bearer).status_code == 404
        with httpx.Client(base_url=base) as browser:
            assert browser.get("/").headers["location"] == "/login?next=/"
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text)
            assert csrf is not None
            form = {"username": "admin", "password": "pw-from-env", "csrf_token": csrf[1]}
            assert browser.post("/login", data=form).status_code == 303
            page = browser.get("/")
            assert page.status_code == 200 and "not set up" in page.text
        assert (tmp_path / "engine.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout:
            server.stdout.close()
