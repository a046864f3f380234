"""`couplet serve all`: the CRM, the ERP, the engine's web app and the worker in one process."""

from __future__ import annotations

import threading

import typer

from ..apps.crm.app import create_app as create_crm
from ..apps.erp.app import create_app as create_erp
from ..settings import CrmSettings, EngineSettings, ErpSettings
from ..web.app import create_app as create_web
from ..wiring import open_integration
from . import servers
from .common import EXIT_CONFIG, console
from .serve import TlsCert, TlsFlag, TlsKey, announce_admin, https


def serve_all(tls: TlsFlag = False, tls_cert: TlsCert = None, tls_key: TlsKey = None) -> None:
    """Everything on this machine, each part configured by its own environment variables
    (COUPLET_CRM_*, COUPLET_ERP_*, COUPLET_ENGINE_*); Ctrl-C stops it all."""
    crm, erp, engine_settings = CrmSettings(), ErpSettings(), EngineSettings()
    secure = https(tls, tls_cert, tls_key)
    busy = [
        f"{s.host}:{s.port}"
        for s in (crm, erp, engine_settings)
        if not servers.port_free(s.host, s.port)
    ]
    if busy:
        console.print(f"[red]In use:[/red] {', '.join(busy)}")
        raise typer.Exit(EXIT_CONFIG)
    integration = open_integration(engine_settings)
    announce_admin(integration)
    running = [
        servers.start("CRM", create_crm(crm), crm.host, crm.port, tls=secure),
        servers.start("ERP", create_erp(erp), erp.host, erp.port, tls=secure),
        servers.start(
            "engine",
            create_web(integration),
            engine_settings.host,
            engine_settings.port,
            tls=secure,
        ),
    ]
    stop = threading.Event()
    worker = threading.Thread(
        target=integration.worker().run_forever,
        args=(stop, 1.0, integration.wake_changed),
        daemon=True,
    )
    worker.start()
    for server in running:
        console.print(f"{server.name:7} {server.url}")
    console.print("Ctrl-C stops everything.")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for server in reversed(running):
            server.stop()
        integration.close()
