"""Drive headless Chromium over the DevTools protocol with the standard library only.

``render(page, screenshot)`` opens a local HTML file in a fresh headless Chromium, waits for
the load event, and returns what a reviewer would check by hand: console errors and uncaught
exceptions, every URL the page asked for, the number of SVG charts, and a PNG screenshot.

The protocol runs over a WebSocket; the few lines of RFC 6455 framing it needs are here, so
the test suite needs no browser-automation package.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--disable-breakpad",
    "--disable-crash-reporter",
)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class _WebSocket:
    """A minimal client WebSocket: text frames out (masked), text frames in."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                msg = "DevTools closed the connection during the handshake"
                raise ConnectionError(msg)
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            msg = f"DevTools refused the WebSocket: {head.decode(errors='replace')}"
            raise ConnectionError(msg)

    def _exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                msg = "DevTools closed the connection"
                raise ConnectionError(msg)
            data += chunk
        return data

    def send(self, text: str) -> None:
        payload = text.encode()
        header = bytes([0x81])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def receive(self) -> str:
        message = b""
        while True:
            first, second = self._exact(2)
            opcode, n = first & 0x0F, second & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._exact(8))[0]
            payload = self._exact(n)
            if opcode == 0x8:
                msg = "DevTools closed the WebSocket"
                raise ConnectionError(msg)
            if opcode == 0x9:  # ping
                self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                continue
            message += payload
            if first & 0x80:
                return message.decode()

    def close(self) -> None:
        self.sock.close()


@dataclass
class Rendered:
    """What the browser saw."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    charts: int = 0
    scripts: int = 0
    title: str = ""
    height: int = 0


class _Session:
    def __init__(self, ws: _WebSocket, deadline: float) -> None:
        self.ws = ws
        self.deadline = deadline
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while time.monotonic() < self.deadline:
            message = json.loads(self.ws.receive())
            if message.get("id") == ident:
                if "error" in message:
                    msg = f"{method}: {message['error']}"
                    raise RuntimeError(msg)
                return dict(message.get("result", {}))
            if "method" in message:
                self.events.append(message)
        msg = f"timed out waiting for {method}"
        raise TimeoutError(msg)

    def wait_for(self, event: str) -> None:
        while not any(e["method"] == event for e in self.events):
            if time.monotonic() > self.deadline:
                msg = f"timed out waiting for {event}"
                raise TimeoutError(msg)
            self.events.append(json.loads(self.ws.receive()))


def _devtools_port(profile: Path, process: subprocess.Popen[bytes], deadline: float) -> int:
    marker = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if marker.is_file():
            lines = marker.read_text().split()
            if lines:
                return int(lines[0])
        if process.poll() is not None:
            msg = f"chromium exited with {process.returncode} before DevTools started"
            raise RuntimeError(msg)
        time.sleep(0.05)
    msg = "chromium did not start DevTools in time"
    raise TimeoutError(msg)


def _page_socket(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/json/list")
    targets = json.loads(connection.getresponse().read())
    connection.close()
    pages = [t for t in targets if t.get("type") == "page"]
    return str(pages[0]["webSocketDebuggerUrl"])


def _errors(events: list[dict[str, Any]]) -> list[str]:
    out = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            out.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            texts = [str(a.get("value", a.get("description", ""))) for a in params.get("args", [])]
            out.append(f"console.{params['type']}: {' '.join(texts)}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            out.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
    return out


def render(
    page: Path,
    screenshot: Path,
    *,
    width: int = 1280,
    height: int = 2400,
    top: int = 0,
    timeout: float = 45,
) -> Rendered:
    """Open ``page`` in headless Chromium; save a ``width`` x ``height`` screenshot of its top."""
    binary = find_chromium()
    if binary is None:
        msg = "chromium is not installed"
        raise FileNotFoundError(msg)
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="wres-chromium-", ignore_cleanup_errors=True) as tmp:
        profile = Path(tmp)
        args = [binary, *FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}"]
        # its own session, so its helper processes can be ended with it (by its group id)
        process = subprocess.Popen(
            [*args, "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            ws = _WebSocket(_page_socket(_devtools_port(profile, process, deadline)), timeout)
            try:
                return _drive(_Session(ws, deadline), page, screenshot, (top, width, height))
            finally:
                ws.close()
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the browser we started and its helpers (its process group), nothing else."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _drive(session: _Session, page: Path, screenshot: Path, box: tuple[int, int, int]) -> Rendered:
    top, width, height = box
    for domain in ("Runtime", "Log", "Page", "Network"):
        session.call(f"{domain}.enable")
    session.call(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=False,
    )
    session.call("Page.navigate", url=page.resolve().as_uri())
    session.wait_for("Page.loadEventFired")
    charts = session.call(
        "Runtime.evaluate", expression="document.querySelectorAll('svg.chart').length"
    )
    scripts = session.call(
        "Runtime.evaluate", expression="document.querySelectorAll('script').length"
    )
    title = session.call("Runtime.evaluate", expression="document.title")
    metrics = session.call("Page.getLayoutMetrics")
    full = int(metrics["cssContentSize"]["height"])
    shot = session.call(
        "Page.captureScreenshot",
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": top, "width": width, "height": min(height, full - top), "scale": 1},
    )
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    requests = [
        str(e["params"]["request"]["url"])
        for e in session.events
        if e["method"] == "Network.requestWillBeSent"
    ]
    return Rendered(
        console_errors=_errors(session.events),
        requests=requests,
        charts=int(charts["result"]["value"]),
        scripts=int(scripts["result"]["value"]),
        title=str(title["result"]["value"]),
        height=full,
    )
