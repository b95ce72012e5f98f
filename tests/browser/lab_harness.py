"""A small harness that drives JupyterLab in headless Chromium (Playwright, sync API).

`LabServer` starts JupyterLab on a free loopback port with throw-away config, data, runtime,
settings and workspace directories and a random token, serving a temporary copy of the
notebooks (so running them never writes outputs into the repository). `check_notebook` opens one
notebook in its own page, runs all cells, and collects every problem a learner would see:

- an error output (a traceback in a cell, or inside an Output widget),
- a widget that does not render ("Loading widget...", "Error displaying widget", invisible),
- a widget whose slider (one per widget is moved) does not change what it displays,
- a widget plot that is not drawn, after the run or after the slider move: the PNG in the
  widget's <img> is decoded and must show ink, coloured data and several colours across the
  image, and not much less than before the move (`plot_problem`; a blank image, axes without
  their data, a half-rendered canvas fail),
- a traceback in the kernel's log (an ``.observe`` callback that raises outside an Output
  widget only shows up there),
- an error in the browser console or an uncaught page error (minus `CONSOLE_ALLOW`).

It returns a `NotebookReport`; the tests assert on ``report.problems``. Nothing here imports
Playwright at module import time, so collecting the tests works without it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-sync",
    "--mute-audio",
]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# ipywidgets 8 horizontal sliders (IntSlider, FloatSlider, ...; noUiSlider inside), enabled ones.
SLIDERS = ".widget-slider.widget-hslider:not(.mod-disabled)"

# Console errors that are not the course's fault: (regex on "message (url)", why it is harmless).
# Everything else logged at level "error", and every uncaught page error, fails the notebook.
# Kept short on purpose: a full run of the suite here logs no console error at all, so these
# are only guards against noise that depends on the machine, never a way to hide a failure.
CONSOLE_ALLOW: list[tuple[str, str]] = [
    (
        r"/favicon\.ico\b",
        "a browser may ask the server for /favicon.ico; a missing icon changes nothing on the page",
    ),
    (
        r"net::ERR_(INTERNET_DISCONNECTED|NAME_NOT_RESOLVED)",
        "no network on the test machines: a request to an outside host fails this way (never one "
        "to the JupyterLab server on 127.0.0.1, which would be ERR_CONNECTION_REFUSED); the "
        "course needs no network",
    ),
]

# What a widget view shows while it waits for (or failed to find) its model.
WIDGET_BAD_TEXT = re.compile(r"Loading widget\.\.\.|Error displaying widget|Error rendering")
TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|^\s*\w*(Error|Exception)\b[^\n]*:", re.MULTILINE
)
KERNEL_LOG_TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|Exception in comm|KernelRestarter: restarting kernel"
    r"|Kernel died|kernel \S+ restarted"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable: $LSTM_COURSE_CHROMIUM, then /usr/bin, then PATH."""
    env = os.environ.get("LSTM_COURSE_CHROMIUM")
    if env:  # an explicit choice: no fallback
        return env if os.access(env, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def browser_unavailable_reason() -> str | None:
    """None when the browser tests can run here, else why not (for skip/fail messages)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[browser]')"
    env = os.environ.get("LSTM_COURSE_CHROMIUM")
    if env and find_chromium() is None:
        return f"$LSTM_COURSE_CHROMIUM={env} is not an executable file"
    if find_chromium() is None:
        return (
            "no Chromium found (looked for $LSTM_COURSE_CHROMIUM, /usr/bin/chromium, "
            + ", ".join(CHROMIUM_CANDIDATES)
            + " on PATH); install it with: sudo apt-get install chromium"
        )
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (Linux /proc; empty elsewhere)."""
    try:
        import psutil

        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except Exception:
        return []


# User settings for the throw-away JupyterLab: no autosave (we run a copy anyway), every cell in
# the DOM (windowing off, so off-screen outputs and widgets exist), the notebook's kernel starts
# without a dialog, no news / update checks (no network here).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
        "scrollPastEnd": False,
    },
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


class LabServer:
    """JupyterLab on 127.0.0.1:<free port> serving `root` (a directory this object owns)."""

    def __init__(self, root: Path, startup_timeout: float = 90.0):
        self.root = Path(root)
        self.token = secrets.token_hex(24)
        self.startup_timeout = startup_timeout
        self.tmp = Path(tempfile.mkdtemp(prefix="lstm-course-lab-"))
        self.log_path = self.tmp / "server.log"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self._log = None
        self._shutdowns: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self, start: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def _env(self) -> dict:
        env = dict(os.environ)
        for name in ("config", "data", "runtime", "ipython", "settings", "workspaces"):
            (self.tmp / name).mkdir(exist_ok=True)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
            JUPYTER_DATA_DIR=str(self.tmp / "data"),
            JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
            IPYTHONDIR=str(self.tmp / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
        )
        # test.sh exports MPLBACKEND=Agg; inherited by the kernel it would hide every inline plot.
        env.pop("MPLBACKEND", None)
        # PyTorch's OpenMP threads spin while they wait: with 2 threads on a 2-core machine that
        # is also running Chromium and the server, training slowed down 10-40x here (the
        # adding problem's RNN: 1 step/s instead of 40). One thread per kernel avoids that.
        env.setdefault("OMP_NUM_THREADS", "1")
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTERLAB_SETTINGS_DIR", None)
        env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
        return env

    def start(self) -> LabServer:
        for rel, content in LAB_SETTINGS.items():
            p = self.tmp / "settings" / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(content))
        last_error = ""
        for _attempt in range(3):  # a port taken between free_port() and bind: try another
            self.port = free_port()
            cmd = [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                "--ServerApp.open_browser=False",
                "--ServerApp.disable_check_xsrf=False",
                "--LabApp.expose_app_in_browser=True",
                f"--LabApp.user_settings_dir={self.tmp / 'settings'}",
                f"--LabApp.workspaces_dir={self.tmp / 'workspaces'}",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--MappingKernelManager.cull_idle_timeout=0",
            ]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                cmd.append("--allow-root")  # containers and CI often run as root
            self._log = open(self.log_path, "wb")
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.root,
                env=self._env(),
                stdout=self._log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() kills the whole group
            )
            deadline = time.monotonic() + self.startup_timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(
                        f"{self.url}/api/status?token={self.token}", timeout=2
                    ) as r:
                        if r.status == 200:
                            return self
                except OSError:
                    pass
                time.sleep(0.25)
            last_error = self.log_text()[-3000:]
            self.stop()
            if not re.search(r"already in use|Address in use|port", last_error, re.I):
                break
        raise RuntimeError(f"JupyterLab did not start; its log ends with:\n{last_error}")

    def api(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return json.loads(raw) if raw else None

    def shutdown_kernels(self, wait: bool = True) -> None:
        """Stop every running kernel (one notebook's kernel must not slow down the next).

        With wait=False the sessions are listed now and deleted in a background thread (a
        graceful kernel shutdown takes a second or two; the next notebook need not wait).
        """
        try:
            ids = [s["id"] for s in self.api("GET", "/api/sessions") or []]
        except OSError:
            return

        def delete():
            for sid in ids:
                try:
                    self.api("DELETE", f"/api/sessions/{sid}")
                except OSError:
                    pass

        if wait:
            delete()
        else:
            t = threading.Thread(target=delete, name="lab-kernel-shutdown", daemon=True)
            t.start()
            self._shutdowns.append(t)

    def stop(self) -> None:
        for t in self._shutdowns:
            t.join(timeout=30)
        self._shutdowns.clear()
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            kids = _descendants(proc.pid)  # kernels run in their own sessions: kill them too
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the server shuts its kernels down
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
            for pid in kids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()


def launch_browser(playwright):
    """Headless Chromium from the system (no Playwright browser download).

    Playwright gives every launch a fresh temporary profile (the --user-data-dir FIELD-NOTES asks
    for) and removes it on close.
    """
    path = find_chromium()
    if path is None:
        raise RuntimeError(browser_unavailable_reason())
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)


@dataclass
class NotebookReport:
    name: str
    problems: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    ignored_console: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)  # stderr shown without a traceback
    widgets: int = 0
    slider_moved: str | None = None  # the first slider moved
    sliders_moved: list[str] = field(default_factory=list)  # one per widget with a slider
    plots: list[tuple[str, str]] = field(default_factory=list)  # (where, PlotStats.describe())
    timings: dict[str, float] = field(default_factory=dict)
    screenshot: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        lines = [f"{self.name}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


# --- JavaScript run in the page ---------------------------------------------------------------

# Open a notebook as a document of the running JupyterLab (no page reload: JupyterLab boots
# once per session) and keep a handle on its panel in window.__nb.
JS_OPEN = """
(path) => {
  const app = window.jupyterapp;
  window.__nb = null;
  window.__open = {error: null};
  Promise.resolve(app.commands.execute('docmanager:open', {path: path, factory: 'Notebook'}))
    .then(w => { window.__nb = w; app.shell.activateById(w.id); })
    .catch(e => { window.__open.error = String(e && e.stack || e); });
  return true;
}
"""

# The notebook is open and its kernel connected and idle (or opening it failed).
JS_OPENED = """
() => {
  if (window.__open && window.__open.error) return true;
  const w = window.__nb;
  if (!w || !w.context.isReady) return false;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(k && k.connectionStatus === 'connected' && k.status === 'idle');
}
"""

# Close every document, shutting its kernel down, without saving (they are copies anyway).
JS_CLOSE_ALL = """
async () => {
  const app = window.jupyterapp;
  for (const w of Array.from(app.shell.widgets('main'))) {
    // Ask for the kernel's shutdown without waiting for it (the server finishes it).
    try { if (w.sessionContext) { w.sessionContext.shutdown().catch(() => {}); } } catch (e) {}
    w.dispose();
  }
  window.__nb = null;
  return true;
}
"""

JS_LAB_READY = """
() => !!(window.jupyterapp && window.jupyterapp.shell && window.jupyterapp.commands
         && window.jupyterapp.commands.hasCommand('docmanager:open')
         && window.jupyterapp.commands.hasCommand('notebook:run-all-cells'))
"""

# Record stderr and errors the kernel sends outside any cell's execution (a widget callback run
# from a comm message): an `.observe` callback that raises shows nothing in the notebook.
JS_HOOK_KERNEL = """
() => {
  const w = window.__nb;
  window.__orphans = [];
  const k = w.sessionContext.session.kernel;
  k.anyMessage.connect((_, a) => {
    if (a.direction !== 'recv') return;
    const m = a.msg;
    if (m.channel !== 'iopub') return;
    const t = m.header.msg_type;
    const pt = m.parent_header && m.parent_header.msg_type;
    if (pt === 'execute_request') return;
    if (t === 'error') {
      window.__orphans.push(m.content.ename + ': ' + m.content.evalue + '\\n'
                            + (m.content.traceback || []).join('\\n'));
    } else if (t === 'stream' && m.content.name === 'stderr') {
      window.__orphans.push(m.content.text);
    }
  });
  return true;
}
"""

JS_RUN_ALL = """
() => {
  const app = window.jupyterapp;
  window.__runAll = {done: false, result: null, error: null};
  app.shell.activateById(window.__nb.id);
  Promise.resolve(app.commands.execute('notebook:run-all-cells'))
    .then(r => { window.__runAll.result = r; })
    .catch(e => { window.__runAll.error = String(e && e.stack || e); })
    .finally(() => { window.__runAll.done = true; });
  return true;
}
"""

JS_RUN_STATE = """
() => {
  const w = window.__nb;
  const cells = w.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    const src = c.sharedModel.getSource();
    const outputs = [];
    for (let j = 0; j < c.outputs.length; j++) outputs.push(c.outputs.get(j).toJSON());
    out.push({index: i, empty: src.trim() === '', count: c.executionCount,
              outputs: outputs, source: src.slice(0, 200)});
  }
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return {cells: out, kernel: k ? k.status : 'none', runAll: window.__runAll || null};
}
"""

# Text of every error shown anywhere in the notebook (cell outputs and Output widgets).
JS_DOM_ERRORS = """
() => {
  const root = window.__nb.content.node;
  const sel = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
  return Array.from(root.querySelectorAll(sel)).map(e => e.innerText);
}
"""

# Every widget view output (found through the cell models: a widget view's DOM node carries no
# mime type): its text and whether it rendered a real widget. ipywidgets' renderer shows
# "Loading widget..." until the model arrives and "Error displaying widget..." when it cannot.
JS_WIDGETS = """
(mime) => {
  const nb = window.__nb.content;
  const views = [];
  nb.widgets.forEach((cell, ci) => {
    if (cell.model.type !== 'code' || !cell.outputArea) return;
    const oa = cell.outputArea;
    for (let j = 0; j < oa.model.length; j++) {
      if (!(mime in oa.model.get(j).data)) continue;
      const child = oa.widgets[j];
      const e = child ? (child.node.querySelector('.jp-OutputArea-output') || child.node) : null;
      if (!e) { views.push({cell: ci, text: '(no DOM node)', hidden: false, hasWidget: false,
                            width: 0, height: 0}); continue; }
      const r = e.getBoundingClientRect();
      views.push({cell: ci, text: (e.innerText || '').trim().slice(0, 300),
                  hidden: e.classList.contains('lm-mod-hidden'),
                  hasWidget: !!e.querySelector('.jupyter-widgets'),
                  width: r.width, height: r.height});
    }
  });
  return views;
}
"""

# A signature of everything displayed except slider controls and their readouts: of the whole
# notebook, or (given a cell index) of that cell's outputs only.
JS_OUTPUT_SIGNATURE = """
(cell) => {
  const nb = window.__nb.content;
  const root = (cell === undefined || cell === null) ? nb.node : nb.widgets[cell].node;
  const strip = el => {
    const c = el.cloneNode(true);
    c.querySelectorAll('.widget-slider, .widget-readout, .noUi-target, input, select, button')
      .forEach(x => x.remove());
    return c.innerHTML;
  };
  const parts = [];
  root.querySelectorAll('.jp-OutputArea-output').forEach(el => parts.push(strip(el)));
  root.querySelectorAll('.jupyter-widgets img').forEach(el => parts.push('img:' + el.src));
  root.querySelectorAll('.widget-html-content, .widget-htmlmath-content').forEach(
    el => parts.push('html:' + el.innerHTML));
  root.querySelectorAll('.widget-label, .widget-label-basic').forEach(el => {
    if (!el.closest('.widget-slider')) parts.push('label:' + el.textContent);
  });
  root.querySelectorAll('canvas').forEach(el => {
    try { parts.push('canvas:' + el.toDataURL()); } catch (e) {}
  });
  return parts.join('\\n\\u241E\\n');
}
"""

# Resolves after the browser has drawn two more frames (what a resize or a new output laid out),
# or after 1 s if it draws none (a page in the background gets no frames).
JS_NEXT_FRAMES = """
() => new Promise(r => {
  requestAnimationFrame(() => requestAnimationFrame(() => r(true)));
  setTimeout(() => r(false), 1000);
})
"""

# Mark every cell's node with its index (a CSS handle on one cell: [data-lstm-cell="3"]).
JS_TAG_CELLS = """
() => {
  window.__nb.content.widgets.forEach((c, i) => c.node.setAttribute('data-lstm-cell', String(i)));
  return true;
}
"""

# The images inside one cell's widget views (an interact's plot: a PNG data URL in an <img>),
# with how the browser decoded them (naturalWidth 0: it could not) and their size on the page.
JS_WIDGET_IMAGES = """
(cell) => {
  const node = window.__nb.content.widgets[cell].node;
  return Array.from(node.querySelectorAll('.jupyter-widgets img')).map(img => {
    const r = img.getBoundingClientRect();
    return {src: img.currentSrc || img.src || '', complete: img.complete,
            naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
            width: r.width, height: r.height};
  });
}
"""


# --- Is a widget's plot drawn? ----------------------------------------------------------------
#
# A slider move that REPLACES the plot with a blank image (or one with axes but no data) still
# changes the output, so "something changed" is not enough: the harness decodes every PNG shown
# in a widget view and asks for a drawn plot. Its data is what axes alone never have: coloured
# pixels, or "thick" ink (pixels whose 3x3 neighbourhood is all ink: bars, lines of 2 pt and
# more; text, spines, ticks and grid lines are thinner). Measured at the inline backend's 100 dpi:
# the course's widget plots have ink on 4-20 % of the image and 670-32000 thick pixels (00's
# plot is black only); figures with axes, ticks, labels and titles but no data had 11-82 thick
# and no coloured pixels. A blank PNG has no ink; a half-rendered canvas leaves a band without
# ink. (A plot whose data is only thin black or grey lines would be taken for empty axes.)
PLOT_MIN_INK = 0.01  # fraction of pixels off the background
PLOT_MIN_COLOURED = 150  # pixels whose channels differ by > COLOURED_SPREAD
COLOURED_SPREAD = 60
PLOT_MIN_THICK = 300  # pixels whose 3x3 neighbourhood is all ink
PLOT_MIN_COLOURS = 6  # distinct colours among the ink (quantised to 16 levels per channel)
PLOT_MIN_SPAN = 0.6  # fraction of rows (and of columns) holding ink
PLOT_MIN_SIZE_VS_BEFORE = 0.6  # width, height: at least this much of the same widget's last plot
PLOT_MIN_DATA_VS_BEFORE = 0.1  # coloured or thick pixels, of the same widget's last plot


@dataclass
class PlotStats:
    width: int
    height: int
    ink: float
    coloured: int
    thick: int
    colours: int
    row_span: float
    col_span: float

    @property
    def data(self) -> int:
        return max(self.coloured, self.thick)

    def describe(self) -> str:
        return (
            f"{self.width}x{self.height} px, ink {100 * self.ink:.1f}%, "
            f"{self.coloured} coloured px, {self.thick} thick px, {self.colours} colours, ink on "
            f"{100 * self.row_span:.0f}% of rows and {100 * self.col_span:.0f}% of columns"
        )


def decode_data_url(src: str) -> bytes | None:
    """The bytes of a base64 `data:` URL (what JupyterLab puts in an image output's <img>)."""
    import base64

    if not src.startswith("data:") or ";base64," not in src[:100]:
        return None
    return base64.b64decode(src.split(",", 1)[1])


def plot_stats(png: bytes) -> PlotStats:
    """Measure a PNG: size, ink (off-background pixels), coloured pixels, colours, ink spread."""
    import io

    import numpy as np
    from PIL import Image

    img = Image.open(io.BytesIO(png))
    img.load()
    rgba = np.asarray(img.convert("RGBA"), dtype=np.float32)
    alpha = rgba[..., 3:4] / 255.0
    rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)  # over a white page
    h, w = rgb.shape[:2]
    if h == 0 or w == 0:
        return PlotStats(w, h, 0.0, 0, 0, 0, 0.0, 0.0)
    q = (rgb // 16).astype(np.int32)
    codes = (q[..., 0] << 8) | (q[..., 1] << 4) | q[..., 2]
    values, counts = np.unique(codes, return_counts=True)
    bg = values[np.argmax(counts)]
    bg_rgb = np.array([(bg >> 8) & 15, (bg >> 4) & 15, bg & 15], dtype=np.float32) * 16 + 8
    ink = np.abs(rgb - bg_rgb).max(axis=-1) > 40
    coloured = ink & (rgb.max(axis=-1) - rgb.min(axis=-1) > COLOURED_SPREAD)
    thick = ink[1:-1, 1:-1].copy()  # erosion by a 3x3 square
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            thick &= ink[dy : dy + h - 2, dx : dx + w - 2]
    return PlotStats(
        width=w,
        height=h,
        ink=float(ink.mean()),
        coloured=int(coloured.sum()),
        thick=int(thick.sum()),
        colours=int(np.unique(codes[ink]).size),
        row_span=float(ink.any(axis=1).mean()),
        col_span=float(ink.any(axis=0).mean()),
    )


def plot_problem(stats: PlotStats, before: PlotStats | None = None) -> str | None:
    """Why `stats` is not a drawn plot (blank, axes without data, half-rendered), or None.

    `before`: the same widget's plot before the slider moved; the new one must not be much
    smaller, nor have lost its data."""
    if stats.width == 0 or stats.height == 0:
        return "an empty image (0 px)"
    if stats.ink < PLOT_MIN_INK:
        return f"a blank plot ({stats.describe()})"
    no_data = stats.coloured < PLOT_MIN_COLOURED and stats.thick < PLOT_MIN_THICK
    if no_data or stats.colours < PLOT_MIN_COLOURS:
        return f"a plot without its data, axes only? ({stats.describe()})"
    if stats.row_span < PLOT_MIN_SPAN or stats.col_span < PLOT_MIN_SPAN:
        return f"a half-drawn plot, part of the image is empty ({stats.describe()})"
    if before is not None:
        if (
            stats.width < PLOT_MIN_SIZE_VS_BEFORE * before.width
            or stats.height < PLOT_MIN_SIZE_VS_BEFORE * before.height
        ):
            return (
                f"a plot much smaller than before the move ({stats.describe()}; "
                f"before: {before.width}x{before.height} px)"
            )
        if stats.data < PLOT_MIN_DATA_VS_BEFORE * before.data:
            return (
                f"a plot that lost its data ({stats.describe()}; "
                f"before: {before.coloured} coloured, {before.thick} thick px)"
            )
    return None


def _images_loaded(page, cell: int) -> int:
    return sum(
        1 for im in page.evaluate(JS_WIDGET_IMAGES, cell) if im["complete"] and im["naturalWidth"]
    )


def _widget_plots(page, cell: int, dump: Path | None = None, tag: str = "") -> list:
    """[(PlotStats or None, problem or None)] for every image shown in cell `cell`'s widgets.

    `dump`: a folder where the decoded PNGs are written (test artifacts, for a human to look at).
    """
    out = []
    for k, im in enumerate(page.evaluate(JS_WIDGET_IMAGES, cell)):
        if not im["complete"] or not im["naturalWidth"]:
            out.append((None, "an image the browser could not show (not loaded or not decoded)"))
            continue
        png = decode_data_url(im["src"])
        if png is None:  # not a data URL: look at what the page shows instead
            page.evaluate(JS_TAG_CELLS)
            sel = f'[data-lstm-cell="{cell}"] .jupyter-widgets img'
            png = page.locator(sel).nth(k).screenshot()
        if dump is not None:
            dump.mkdir(parents=True, exist_ok=True)
            (dump / f"cell{cell}-{tag}-{k}.png").write_bytes(png)
        try:
            stats = plot_stats(png)
        except Exception as e:
            out.append((None, f"an image that cannot be decoded: {type(e).__name__}: {e}"))
            continue
        out.append((stats, None))
    return out


def _kernel_idle(page) -> bool:
    return page.evaluate(
        "() => { const w = window.__nb;"
        " const k = w.sessionContext.session && w.sessionContext.session.kernel;"
        " return !!k && k.status === 'idle'; }"
    )


def _wait(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


def _settle(page, timeout: float, quiet: float = 0.6, cell: int | None = None) -> bool:
    """Wait until the kernel is idle and the displayed outputs (of the notebook, or of cell
    `cell`) stop changing for `quiet` s."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        sig = page.evaluate(JS_OUTPUT_SIGNATURE, cell) if _kernel_idle(page) else None
        if sig is not None and sig == last:
            if time.monotonic() - since >= quiet:
                return True
        else:
            last, since = sig, time.monotonic()
        page.wait_for_timeout(200)
    return False


def _console_allowed(text: str) -> str | None:
    for pattern, why in CONSOLE_ALLOW:
        if re.search(pattern, text):
            return why
    return None


def _move_slider(page, scope: str, index: int) -> tuple[bool, str]:
    """Drag slider `index` (ipywidgets 8 noUiSlider) from where it is to the other side.

    Returns (moved, description). Falls back to the keyboard when the drag does not change the
    slider's readout.
    """
    slider = page.locator(f"{scope} {SLIDERS}").nth(index)
    slider.scroll_into_view_if_needed(timeout=10_000)
    label = (slider.locator(".widget-label").first.text_content(timeout=2_000) or "").strip()
    readout = slider.locator(".widget-readout").first
    before = readout.text_content(timeout=2_000) if readout.count() else None
    handle = slider.locator(".noUi-handle").first
    track = slider.locator(".noUi-target").first
    hb, tb = handle.bounding_box(), track.bounding_box()
    if hb and tb:
        hx, hy = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
        frac = 0.8 if hx < tb["x"] + tb["width"] / 2 else 0.2
        page.mouse.move(hx, hy)
        page.mouse.down()
        page.mouse.move(tb["x"] + frac * tb["width"], hy, steps=8)
        page.mouse.up()
    after = readout.text_content(timeout=2_000) if readout.count() else None
    if before == after:  # the drag did nothing: use the keyboard on the handle
        handle.focus()
        for _ in range(5):
            page.keyboard.press("PageUp")
        after = readout.text_content(timeout=2_000) if readout.count() else None
        if before == after:
            for _ in range(5):
                page.keyboard.press("ArrowLeft")
            after = readout.text_content(timeout=2_000) if readout.count() else None
    return before != after, f"slider {index} {label!r}: {before} -> {after}"


class LabSession:
    """One browser page holding one running JupyterLab, in which notebooks are opened one at a
    time (JupyterLab boots once: opening a notebook then costs a kernel start, not a page load).

    Console errors and page errors are collected for the whole page; each notebook's report gets
    those logged while it was open.
    """

    def __init__(self, page, server: LabServer, workspace: str = "lstm-course-tests"):
        self.page, self.server, self.workspace = page, server, workspace
        self.console: list[tuple[str, str | None]] = []  # (message, why it is allowed or None)
        page.on("console", self._on_console)
        page.on("pageerror", lambda err: self.console.append((f"pageerror: {err}", None)))

    def _on_console(self, msg) -> None:
        if msg.type != "error":
            return
        loc = msg.location or {}
        text = f"console.error: {msg.text} ({loc.get('url', '')})"
        self.console.append((text, _console_allowed(text)))

    def ensure(self, timeout: float = 120.0) -> None:
        """Load JupyterLab in the page unless it is already running there."""
        try:
            if self.page.evaluate(JS_LAB_READY):
                return
        except Exception:
            pass
        url = f"{self.server.url}/lab/workspaces/{self.workspace}?reset&token={self.server.token}"
        self.page.goto(url)
        self.page.wait_for_function(JS_LAB_READY, timeout=timeout * 1000, polling=250)
        self.page.evaluate(
            "async () => { const app = window.jupyterapp; await app.restored;"
            " app.shell.collapseLeft(); return true; }"
        )

    def close_all(self) -> None:
        try:
            self.page.evaluate(JS_CLOSE_ALL)
        except Exception:
            pass

    def check(self, path: str, **kwargs) -> NotebookReport:
        return check_notebook(self, path, **kwargs)


def check_notebook(
    lab: LabSession,
    path: str,
    *,
    run_timeout: float = 600.0,
    widget_timeout: float = 60.0,
    change_timeout: float = 60.0,
    max_sliders: int = 3,
    screenshot: Path | None = None,
    plot_dump: Path | None = None,
) -> NotebookReport:
    """Open `path` (relative to the server's root), run all cells, and report the problems.

    A step that cannot finish (a run-all past `run_timeout`, a page that stops answering) ends
    the check with that as a problem; the screenshot is still taken.
    """
    report = NotebookReport(name=path)
    t0 = time.monotonic()
    lab.ensure()
    console_start = len(lab.console)
    try:
        _check(
            lab,
            path,
            report,
            t0,
            run_timeout,
            widget_timeout,
            change_timeout,
            max_sliders,
            plot_dump,
        )
    except Exception as e:
        report.problems.append(f"the check stopped: {type(e).__name__}: {e}")

    # Browser console: what was logged while this notebook was open.
    for text, why in lab.console[console_start:]:
        (report.ignored_console if why else report.console).append(text)
    report.problems += report.console

    page = lab.page
    if screenshot is not None:
        t4 = time.monotonic()
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        try:
            # The notebook scrolls inside its panel, so full_page alone shows one screen: make
            # the viewport as tall as the notebook (capped) for a picture of every cell.
            size = page.viewport_size
            height = page.evaluate(
                "() => { const e = document.querySelector("
                "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');"
                " return e ? e.scrollHeight : 0; }"
            )
            if size and height:
                page.set_viewport_size(
                    {
                        "width": size["width"],
                        "height": int(min(max(size["height"], height + 200), 15000)),
                    }
                )
                page.evaluate(JS_NEXT_FRAMES)  # the layout follows the new size
            page.screenshot(path=str(screenshot))
            if size:
                page.set_viewport_size(size)
            report.screenshot = screenshot
        except Exception as e:  # a screenshot is a convenience, never the failure
            report.ignored_console.append(f"screenshot failed: {e}")
        report.timings["screenshot"] = time.monotonic() - t4
    report.timings["total"] = time.monotonic() - t0
    lab.close_all()
    return report


def _check(
    lab, path, report, t0, run_timeout, widget_timeout, change_timeout, max_sliders, plot_dump
):
    """The steps of check_notebook, adding to `report`."""
    page, server = lab.page, lab.server
    lab.close_all()
    log_start = server.log_size()
    page.evaluate(JS_OPEN, path)
    page.wait_for_function(JS_OPENED, timeout=120_000, polling=100)
    error = page.evaluate("() => window.__open.error")
    if error:
        raise RuntimeError(f"JupyterLab could not open {path}: {error}")
    scope = f'[id="{page.evaluate("() => window.__nb.id")}"]'
    report.timings["open"] = time.monotonic() - t0

    page.evaluate(JS_HOOK_KERNEL)

    # Run all cells and wait for the command's promise, then for the kernel to be idle.
    t1 = time.monotonic()
    page.evaluate(JS_RUN_ALL)
    page.wait_for_function(
        "() => window.__runAll && window.__runAll.done", timeout=run_timeout * 1000, polling=100
    )
    _wait(lambda: _kernel_idle(page), timeout=run_timeout)
    state = page.evaluate(JS_RUN_STATE)
    report.timings["run"] = time.monotonic() - t1
    if state["runAll"] and state["runAll"]["error"]:
        report.problems.append(f"run-all command failed: {state['runAll']['error']}")

    # 1. Error outputs (cell model) and cells that never ran.
    for c in state["cells"]:
        for o in c["outputs"]:
            if o.get("output_type") == "error":
                tb = "\n".join(o.get("traceback", []))
                tb = ANSI.sub("", tb)[-1500:]
                report.problems.append(
                    f"cell {c['index']} raised {o.get('ename')}: {o.get('evalue')}\n{tb}"
                )
        if not c["empty"] and c["count"] is None:
            report.problems.append(f"cell {c['index']} did not run: {c['source'][:80]!r}")

    # 2. Widgets render (wait for "Loading widget..." to go away).
    t2 = time.monotonic()
    n_widget_outputs = sum(
        1 for c in state["cells"] for o in c["outputs"] if WIDGET_MIME in o.get("data", {})
    )

    def widget_views():
        views_ = page.evaluate(JS_WIDGETS, WIDGET_MIME)
        pending = [w for w in views_ if not w["hidden"] and not w["hasWidget"]]
        return views_, len(views_) >= n_widget_outputs and not pending

    deadline = time.monotonic() + widget_timeout
    views, done = widget_views()
    while not done and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        views, done = widget_views()
    report.widgets = len(views)
    if len(views) < n_widget_outputs:
        report.problems.append(
            f"{n_widget_outputs} widget outputs in the notebook, only {len(views)} in the page"
        )
    for w in views:
        if w["hidden"]:  # an empty model_id: ipywidgets hides it on purpose
            continue
        if WIDGET_BAD_TEXT.search(w["text"]) or not w["hasWidget"]:
            report.problems.append(f"widget in cell {w['cell']} did not render: {w['text']!r}")
        elif w["width"] <= 0 or w["height"] <= 0:
            report.problems.append(f"widget in cell {w['cell']} is not visible (zero size)")
    report.timings["widgets"] = time.monotonic() - t2

    # 3. Errors displayed in the page (also inside Output widgets). Other stderr (a warning) is
    # not a failure, but is reported.
    for text in page.evaluate(JS_DOM_ERRORS):
        if not TRACEBACK.search(text):
            report.stderr.append(text.strip()[:500])
        elif not any(text[-200:] in p for p in report.problems):
            report.problems.append(f"error shown in the notebook:\n{text[-1500:]}")

    # 4. In every widget with a slider, move one slider: what the widget displays must change,
    # and every plot it shows (before and after the move) must be drawn: not blank, not axes
    # without data, not half-rendered (the FIRST update of a widget is where that went wrong).
    t3 = time.monotonic()
    n_sliders = page.locator(f"{scope} {SLIDERS}").count()
    if n_sliders == 0:
        report.problems.append("no slider in the notebook (every notebook needs one)")
    else:
        _settle(page, timeout=30)
        dump = plot_dump / re.sub(r"[^\w.-]+", "_", path) if plot_dump is not None else None
        cells = sorted({w["cell"] for w in views})
        page.evaluate(JS_TAG_CELLS)
        for ci in cells:
            cell_scope = f'{scope} [data-lstm-cell="{ci}"]'
            before_plots = []
            for stats, problem in _widget_plots(page, ci, dump, "before"):
                if problem is None:
                    before_plots.append(stats)
                    problem = plot_problem(stats)
                    report.plots.append((f"cell {ci} before", stats.describe()))
                if problem:
                    report.problems.append(f"widget in cell {ci} shows {problem}")
            n_cell = page.locator(f"{cell_scope} {SLIDERS}").count()
            if n_cell == 0:
                continue
            tried, moved_here = [], None
            for i in range(min(n_cell, max_sliders)):
                before = page.evaluate(JS_OUTPUT_SIGNATURE, ci)
                moved, desc = _move_slider(page, cell_scope, i)
                desc = f"cell {ci} {desc}"
                if not moved:
                    tried.append(f"{desc} (could not move it)")
                    continue
                changed = _wait(
                    lambda b=before: page.evaluate(JS_OUTPUT_SIGNATURE, ci) != b,
                    change_timeout,
                    interval=0.2,
                )
                if changed:
                    # The text of an update arrives before its plot (rendering takes a while,
                    # and the kernel may look idle meanwhile: an update can run on a subshell):
                    # wait for as many loaded images as before the move, then for quiet.
                    _wait(
                        lambda: _images_loaded(page, ci) >= len(before_plots),
                        change_timeout,
                        interval=0.2,
                    )
                    _settle(page, timeout=change_timeout, quiet=1.0, cell=ci)
                    moved_here = desc
                    break
                tried.append(f"{desc} (nothing displayed changed within {change_timeout:.0f} s)")
            if moved_here is None:
                report.problems.append("moving a slider changed no output: " + "; ".join(tried))
                continue
            report.slider_moved = moved_here if report.slider_moved is None else report.slider_moved
            report.sliders_moved.append(moved_here)
            after = _widget_plots(page, ci, dump, "after")
            if before_plots and not after:
                report.problems.append(
                    f"widget in cell {ci} showed {len(before_plots)} plot(s) before {moved_here}"
                    " and none after it"
                )
            for k, (stats, problem) in enumerate(after):
                if problem is None:
                    ref = before_plots[k] if k < len(before_plots) else None
                    problem = plot_problem(stats, ref)
                    report.plots.append((f"cell {ci} after", stats.describe()))
                if problem:
                    report.problems.append(
                        f"widget in cell {ci} shows {problem} after {moved_here}"
                    )
        for text in page.evaluate(JS_DOM_ERRORS):
            if TRACEBACK.search(text) and not any(text[-200:] in p for p in report.problems):
                report.problems.append(f"error shown after moving the slider:\n{text[-1500:]}")
    report.timings["slider"] = time.monotonic() - t3

    # 5. Errors the kernel sent outside cell execution (widget callbacks without an Output).
    for text in page.evaluate("() => window.__orphans || []"):
        text = ANSI.sub("", text)
        first = text.splitlines()[0] if text.strip() else ""
        if not TRACEBACK.search(text) or any(first and first in p for p in report.problems):
            continue
        report.problems.append(
            f"a widget callback raised (shown nowhere in the page):\n{first}\n{text[-1200:]}"
        )

    # 6. The kernel's log (callbacks that raise outside an Output widget end up there).
    log = server.log_text(log_start)
    if KERNEL_LOG_TRACEBACK.search(log):
        m = KERNEL_LOG_TRACEBACK.search(log)
        report.problems.append(
            "traceback in the kernel/server log:\n" + log[max(0, m.start() - 200) :][:2000]
        )
