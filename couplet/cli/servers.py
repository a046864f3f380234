"""Running several ASGI apps in one process (the demo and `couplet serve all`)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from .tls import Tls, cert_file, key_file


@dataclass
class Running:
    name: str
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As uvicorn does: a port whose last connections linger in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def start(
    name: str,
    app: FastAPI,
    host: str,
    port: int,
    timeout: float = 20.0,
    tls: Tls | None = None,
) -> Running:
    """Serves `app` from a background thread (HTTPS with `tls`); returns once it accepts
    connections."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        ssl_certfile=cert_file(tls),
        ssl_keyfile=key_file(tls),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"serve-{name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"The {name} did not start on {host}:{port}.")
        time.sleep(0.05)
    return Running(name, f"{'https' if tls else 'http'}://{host}:{port}", server, thread)
