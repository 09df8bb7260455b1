"""`schedule serve`: run the workbench on uvicorn, on the loopback address unless told otherwise
(and then only with an access token)."""
from __future__ import annotations

import ipaddress
import logging
import threading
import webbrowser
from pathlib import Path
from urllib.parse import quote

from models import ScheduleError
from workbench.app import LOOPBACK_NAMES, create_app


class ServeError(ScheduleError):
    exit_code = 2


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def address(host: str, port: int, token: str | None) -> str:
    """The address to open: with the token once, after which the browser holds it in a cookie."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/" + (f"?token={quote(token)}" if token else "")


def serve(workspace: Path, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
          open_browser: bool = True, announce=print) -> None:
    """Serve WORKSPACE until Ctrl-C. Any host but loopback needs `token` (refused otherwise)."""
    import uvicorn

    if not is_loopback(host) and not token:
        raise ServeError(f"--host {host} would let other machines reach the workbench: give an access "
                         "token with --token or SCHEDULE_TOKEN (or keep the default 127.0.0.1)")
    if token is not None and len(token) < 16:
        raise ServeError("the access token is too short: use at least 16 characters")
    hosts = tuple(dict.fromkeys(LOOPBACK_NAMES + (host.lower(),)))  # and the address it printed
    if host in ("0.0.0.0", "::"):  # every interface: the machine's names are not known here
        hosts = ("*",)
    app = create_app(workspace, token=token, hosts=hosts)
    url = address("127.0.0.1" if host in ("0.0.0.0", "::") else host, port, token)
    announce(f"The workbench for {Path(workspace).resolve()} is at {url}  (Ctrl-C to stop)")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # uvicorn's access log prints query strings; the app logs method, path and status itself.
    uvicorn.run(app, host=host.strip("[]"), port=port, access_log=False, log_level="info")
