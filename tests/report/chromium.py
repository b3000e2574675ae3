"""A headless Debian chromium driven over the DevTools protocol, for the report's layout checks.

Only what the tests need: open a page at a width (screen or print media), evaluate a script, take a
full-page PNG, print a PDF, and record every request and console message the page makes. The
protocol is JSON over one websocket (`websockets` from PyPI); chromium is the system package, no
browser download. The page is opened with networking disabled (`--host-resolver-rules`).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-port=0",
]
# A4 portrait at CSS's 96 px per inch, less the print stylesheet's 10 mm side margins.
A4_PRINT_WIDTH = round((210 - 2 * 10) / 25.4 * 96)

# Every element whose box leaves the page's width, and every pair of chart texts whose boxes
# intersect (by more than a hair: glyph boxes of neighbours may touch), as the browser lays them out.
LAYOUT_CHECK = """
(() => {
  const width = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.getAttribute('class') ? '.' + el.getAttribute('class').split(' ')[0] : '');
  const overflow = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > width + 0.5 || r.left < -0.5) {
      overflow.push(`${name(el)} spans ${r.left.toFixed(0)}..${r.right.toFixed(0)} of ${width}`);
    }
  }
  if (document.documentElement.scrollWidth > width) {
    overflow.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  }
  const overlaps = [];
  let texts = 0;
  for (const svg of document.querySelectorAll('svg[data-chart]')) {
    const boxes = [...svg.querySelectorAll('text')]
      .filter((t) => t.textContent.trim() !== '')
      .map((t) => [t.textContent.trim(), t.getBoundingClientRect()])
      .filter(([, r]) => r.width > 0 && r.height > 0);
    texts += boxes.length;
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, ra] = boxes[i], [b, rb] = boxes[j];
        const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (w > 1 && h > 1) overlaps.push(`${svg.dataset.chart}: "${a}" overlaps "${b}"`);
      }
    }
  }
  return {width, overflow, overlaps, texts,
          charts: document.querySelectorAll('svg[data-chart]').length};
})()
"""


class Chromium:
    """One headless chromium and one page of it, closed with the context manager."""

    def __init__(self, profile: Path) -> None:
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        assert binary, "chromium is missing: `make test` installs Debian's chromium package"
        profile.mkdir(parents=True, exist_ok=True)
        # A file left by an earlier chromium of this profile would name a port nobody listens on.
        (profile / "DevToolsActivePort").unlink(missing_ok=True)
        self._process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own process group: chromium's helpers are ended with it, and only they.
            start_new_session=True,
        )
        port = self._port(profile / "DevToolsActivePort")
        with connect(f"ws://127.0.0.1:{port}{self._browser_path}", max_size=None) as browser:
            browser.send(
                json.dumps(
                    {"id": 1, "method": "Target.createTarget", "params": {"url": "about:blank"}}
                )
            )
            target = next(m for m in map(json.loads, iter(browser.recv, None)) if m.get("id") == 1)[
                "result"
            ]["targetId"]
        self._ws = connect(f"ws://127.0.0.1:{port}/devtools/page/{target}", max_size=None)
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def _port(self, active_port: Path) -> int:
        """The debugging port chromium chose, from the file it writes once it listens."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if active_port.exists():
                lines = active_port.read_text().splitlines()
                if len(lines) == 2:
                    self._browser_path = lines[1]
                    return int(lines[0])
            time.sleep(0.1)
        raise TimeoutError("chromium did not open its debugging port within 60 s")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a protocol method and return its result, keeping the events that arrive meanwhile."""
        call = next(self._ids)
        self._ws.send(json.dumps({"id": call, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=120))
            if message.get("id") == call:
                assert "error" not in message, f"{method}: {message['error']}"
                return message["result"]
            self.events.append(message)

    def open(self, url: str, width: int, media: str = "screen") -> None:
        """Load `url` in a window `width` CSS px wide with the given CSS media and wait for it."""
        self.send("Emulation.setEmulatedMedia", media=media)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=1000,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        while self.evaluate("document.readyState") != "complete":
            assert time.monotonic() < deadline, f"{url} did not finish loading"
            time.sleep(0.1)

    def evaluate(self, script: str) -> Any:
        """The value of a script evaluated in the page."""
        result = self.send("Runtime.evaluate", expression=script, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def screenshot(self, out: Path) -> None:
        """The whole page (not only the window) as a PNG."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.send(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        out.write_bytes(base64.b64decode(shot["data"]))

    def pdf(self, out: Path) -> None:
        """The page printed as the print stylesheet lays it out (A4 from its @page rule)."""
        printed = self.send("Page.printToPDF", printBackground=True, preferCSSPageSize=True)
        out.write_bytes(base64.b64decode(printed["data"]))

    def requests(self) -> list[str]:
        """Every URL the page asked for so far."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def console(self) -> list[str]:
        """Every console message and browser log entry (CSP violations among them) so far."""
        out = []
        for e in self.events:
            if e.get("method") == "Runtime.consoleAPICalled":
                out.append(" ".join(str(a.get("value")) for a in e["params"]["args"]))
            elif e.get("method") == "Log.entryAdded":
                out.append(e["params"]["entry"]["text"])
        return out

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self._ws.close()
        group = os.getpgid(self._process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self._process.wait()
