"""Headless Chromium for checking and photographing a local HTML file: the one place that drives a browser.

``sourcetag view --screenshot`` and the test suite both go through :class:`Browser`. It speaks the DevTools
protocol over ``--remote-debugging-pipe`` (JSON messages separated by NUL bytes on file descriptors 3 and 4),
so it needs no websocket library, no Playwright and no downloaded browser: only Debian's ``chromium``
(``scripts/setup.sh`` installs it). Every page records what a reader's console would show as an error
(``console.error``, uncaught exceptions, failed loads, ``alert()`` dialogs) and every network request other
than the file itself.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
    "--no-default-browser-check", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
)
"""Flags for a quiet, offline headless run (without the background-networking ones, connections are refused)."""

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class BrowserError(RuntimeError):
    """No browser, or the browser failed or timed out."""


def find_chromium() -> str:
    """The browser to run: ``$SOURCETAG_CHROMIUM``, else the first of :data:`CANDIDATES` on ``PATH``."""
    env = os.environ.get("SOURCETAG_CHROMIUM")
    if env:
        if shutil.which(env):
            return shutil.which(env)  # type: ignore[return-value]
        raise BrowserError(f"SOURCETAG_CHROMIUM={env} is not an executable")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError("no Chromium found (looked for " + ", ".join(CANDIDATES) + "); "
                       "scripts/setup.sh installs Debian's chromium, or set SOURCETAG_CHROMIUM")


@dataclass
class Page:
    """One opened file: its console errors and network requests so far, and calls into its session."""

    browser: Browser
    session: str
    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises awaited); a thrown exception raises BrowserError."""
        res = self.browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                     "awaitPromise": True}, self.session)
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            raise BrowserError(f"JavaScript error: {d.get('exception', {}).get('description') or d.get('text')}")
        return res["result"].get("value")

    def press(self, key: str, key_code: int, code: str | None = None) -> None:
        """A real key press (down and up) as a keyboard user makes it, e.g. ``press("Tab", 9)``."""
        for kind in ("rawKeyDown", "keyUp"):
            self.browser.call("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": code or key,
                                                         "windowsVirtualKeyCode": key_code}, self.session)

    def screenshot(self, path: str | Path, full_page: bool = True, max_height: int = 16000) -> Path:
        """Write a PNG of the page (the whole page up to ``max_height`` CSS pixels, or the viewport)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.browser.call("Page.getLayoutMetrics", {}, self.session)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            width, height = int(size["width"]), min(int(size["height"]), max_height)
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": width, "height": height,
                                                            "scale": 1})
        data = self.browser.call("Page.captureScreenshot", params, self.session)["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(base64.b64decode(data))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def close(self) -> None:
        self.browser.call("Target.closeTarget", {"targetId": self.browser.targets.pop(self.session)})


class Browser:
    """A headless Chromium process for the duration of a ``with`` block."""

    def __init__(self, executable: str | None = None, timeout: float = 30.0):
        self.executable = executable or find_chromium()
        self.timeout = timeout
        self.targets: dict[str, str] = {}
        self._pages: dict[str, Page] = {}
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self._inbox: queue.Queue = queue.Queue()
        self._proc: subprocess.Popen | None = None

    # -- process ---------------------------------------------------------------------------------------------
    def __enter__(self) -> Browser:
        self._profile = tempfile.mkdtemp(prefix="sourcetag-chromium-")
        self._log = open(Path(self._profile) / "stderr.log", "w+b")  # noqa: SIM115 (closed in __exit__)
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # The protocol pipe must be fds 3 (commands in) and 4 (replies out) in the browser: bash puts them there
        # (dash cannot name fds above 9). Moved above 9 first, so that neither end is already 3 or 4.
        to_child_r, from_child_w = (self._above_nine(fd) for fd in (to_child_r, from_child_w))
        cmd = ["bash", "-c", f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w}', self.executable, *FLAGS,
               f"--user-data-dir={self._profile}", "about:blank"]
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                          pass_fds=(to_child_r, from_child_w), start_new_session=True)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self.call("Target.setDiscoverTargets", {"discover": False})
        except BrowserError:
            self.__exit__(None, None, None)
            raise
        return self

    @staticmethod
    def _above_nine(fd: int) -> int:
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return high

    def __exit__(self, *exc) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                self._send("Browser.close", {})
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                try:  # the browser and the helper processes it started: its own process group (new session)
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    proc.kill()
                proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def _stderr_tail(self) -> str:
        self._log.flush()
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return ("; chromium said: " + " | ".join(lines[-5:])) if lines else ""

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._inbox.put(None)
                return
            buf += chunk
            *messages, buf = buf.split(b"\0")
            for m in messages:
                self._inbox.put(json.loads(m))

    # -- protocol --------------------------------------------------------------------------------------------
    def _send(self, method: str, params: dict, session: str | None = None) -> int:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self._to_child, data):]
        return self._next_id

    def _pump(self, deadline: float) -> bool:
        """Handle one message; False when the deadline passed."""
        try:
            msg = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return False
        if msg is None:
            raise BrowserError(f"{self.executable} exited (code {self._proc and self._proc.poll()})"
                               + self._stderr_tail())
        if "id" in msg:
            self._replies[msg["id"]] = msg
        else:
            self._event(msg)
        return True

    def _event(self, msg: dict) -> None:
        page = self._pages.get(msg.get("sessionId", ""))
        if page is None:
            return
        method, p = msg["method"], msg.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            page.errors.append(f"console.{p['type']}: {args}")
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            desc = d.get("exception", {}).get("description") or d.get("text", "")
            page.errors.append(f"uncaught {desc} (line {d.get('lineNumber', 0) + 1})")
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            e = p["entry"]
            page.errors.append(f"{e.get('source', 'log')}: {e.get('text', '')} {e.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if url != page.url and not url.startswith(("data:", "about:")):
                page.requests.append(url)
        elif method == "Page.javascriptDialogOpening":
            page.dialogs.append(f"{p.get('type')}: {p.get('message')}")
            page.errors.append(f"dialog {p.get('type')}: {p.get('message')}")
            self._send("Page.handleJavaScriptDialog", {"accept": True}, msg["sessionId"])
        elif method == "Page.loadEventFired":
            page._loaded = True  # type: ignore[attr-defined]

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one DevTools command and return its result; a protocol error raises BrowserError."""
        if self._proc is None or self._proc.poll() is not None:
            raise BrowserError("the browser is not running" + (self._stderr_tail() if self._proc else ""))
        mid = self._send(method, params or {}, session)
        deadline = time.monotonic() + self.timeout
        while mid not in self._replies:
            if not self._pump(deadline):
                raise BrowserError(f"{method}: no reply from the browser within {self.timeout:.0f} s")
        reply = self._replies.pop(mid)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def open(self, path: str | Path, width: int = 1200, height: int = 900, mobile: bool = False) -> Page:
        """Load a local file in a new tab of the given viewport size; returns once its load event fired."""
        url = Path(path).resolve().as_uri()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.targets[session] = target
        page = Page(self, session, url)
        page._loaded = False  # type: ignore[attr-defined]
        self._pages[session] = page
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(f"{domain}.enable", {}, session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": mobile}, session)
        nav = self.call("Page.navigate", {"url": url}, session)
        if nav.get("errorText"):
            raise BrowserError(f"{path}: {nav['errorText']}")
        deadline = time.monotonic() + self.timeout
        while not page._loaded:  # type: ignore[attr-defined]
            if not self._pump(deadline):
                raise BrowserError(f"{path}: not loaded within {self.timeout:.0f} s")
        page.evaluate("0")  # replies come in order: every event the load raised has been handled
        return page


def check_page(path: str | Path, screenshot: str | Path | None = None, width: int = 1200,
               height: int = 900) -> list[str]:
    """Open ``path`` in headless Chromium; the console errors and network requests it raised, as lines.

    With ``screenshot``, also write a full-page PNG there. An empty list means the page loaded cleanly offline.
    """
    with Browser() as b:
        page = b.open(path, width=width, height=height)
        if screenshot is not None:
            page.screenshot(screenshot)
        return page.errors + [f"network request: {u}" for u in page.requests]
