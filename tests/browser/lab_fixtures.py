"""Fixture notebooks for the browser harness, made with nbformat.

`good` must pass; every other one must make the harness report a problem (the suite can fail).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ARTIFACTS = REPO / "test-artifacts"  # git-ignored
SCREENSHOTS = ARTIFACTS / "screenshots"
PLOTS = ARTIFACTS / "widget-plots"  # every widget plot the harness decoded, before/after a move


def student_notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("."))


KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

GOOD_CELLS = [
    "import matplotlib.pyplot as plt\nimport numpy as np\nimport ipywidgets as widgets",
    # interact: a printed value and a plot, both driven by the slider
    "def show(scale=1.0):\n"
    "    print(f'scale = {scale:.2f}')\n"
    "    x = np.linspace(0, 2 * np.pi, 200)\n"
    "    fig, ax = plt.subplots(figsize=(4, 2.5))\n"
    "    ax.plot(x, np.sin(scale * x))\n"
    "    ax.set_ylim(-1.1, 1.1)\n"
    "    plt.show()\n"
    "\n"
    "widgets.interact(show, scale=widgets.FloatSlider(value=1.0, min=0.5, max=4.0, step=0.1));",
    # observe: an IntSlider driving a Label
    "n = widgets.IntSlider(value=3, min=0, max=10, description='n')\n"
    "square = widgets.Label(value='n squared = 9')\n"
    "n.observe(lambda change: setattr(square, 'value', f\"n squared = {change['new'] ** 2}\"),"
    " names='value')\n"
    "widgets.VBox([n, square])",
]

BAD_CALLBACK_CELLS = [
    "import ipywidgets as widgets",
    "def show(k=1):\n"
    "    if k != 1:\n"
    "        raise ValueError(f'k = {k} is not allowed')\n"
    "    print('k is one')\n"
    "\n"
    "widgets.interact(show, k=widgets.IntSlider(value=1, min=0, max=10));",
]

# An .observe callback that raises outside any Output widget: nothing shows in the notebook; the
# traceback only reaches the kernel's log (and nothing displayed changes).
BAD_OBSERVE_CELLS = [
    "import ipywidgets as widgets",
    "s = widgets.IntSlider(value=2, min=0, max=10)\n"
    "out = widgets.Label(value='value 2')\n"
    "def on_change(change):\n"
    "    raise RuntimeError('callback exploded')\n"
    "s.observe(on_change, names='value')\n"
    "widgets.VBox([s, out])",
]

# A widget view whose model does not exist: the front end waits for it forever
# ("Loading widget..."), as when the kernel's ipywidgets and the lab extension disagree.
MISSING_MODEL_CELLS = [
    "import ipywidgets as widgets\nfrom IPython.display import display",
    "display({'application/vnd.jupyter.widget-view+json':"
    " {'version_major': 2, 'version_minor': 0, 'model_id': '0123456789abcdef0123456789abcdef'},"
    " 'text/plain': 'IntSlider(value=1)'}, raw=True)",
    "widgets.IntSlider(value=1)",
]

# A slider that changes nothing displayed.
INERT_SLIDER_CELLS = [
    "import ipywidgets as widgets",
    "widgets.IntSlider(value=1, min=0, max=10, description='inert')",
]

# A cell that raises while running top to bottom.
CELL_ERROR_CELLS = [
    "import ipywidgets as widgets",
    "1 / 0",
    "widgets.IntSlider()",
]

# A page error in the browser: JavaScript that throws.
JS_ERROR_CELLS = [
    "import ipywidgets as widgets\nfrom IPython.display import Javascript, display",
    "display(Javascript('setTimeout(() => { throw new Error(\"course js broke\"); }, 0);'))",
    "w = widgets.IntSlider(value=1)\nlab = widgets.Label('1')\n"
    "w.observe(lambda c: setattr(lab, 'value', str(c['new'])), names='value')\n"
    "widgets.VBox([w, lab])",
]

# Plots that a slider move replaces with something that is not a drawn plot. Each widget draws a
# good plot first (while its cell runs), so only a check of the image after the move sees it.
_PLOT_SETUP = (
    "import io\n"
    "import matplotlib.pyplot as plt\n"
    "import numpy as np\n"
    "import ipywidgets as widgets\n"
    "from IPython.display import Image, display\n"
    "x = np.linspace(0, 2 * np.pi, 200)"
)

# A blank figure: what the course's carousel widget showed after the first slider move.
BLANK_PLOT_CELLS = [
    _PLOT_SETUP,
    "def show(k=1):\n"
    "    print(f'k = {k}')\n"
    "    fig, ax = plt.subplots(figsize=(4, 2.5))\n"
    "    if k == 1:\n"
    "        ax.plot(x, np.sin(x))\n"
    "    else:\n"
    "        ax.set_axis_off()  # nothing drawn: a white image of the figure's size\n"
    "    plt.show()\n"
    "\n"
    "widgets.interact(show, k=widgets.IntSlider(value=1, min=0, max=10));",
]

# Axes, ticks and labels, but the data (the line) is missing.
AXES_ONLY_PLOT_CELLS = [
    _PLOT_SETUP,
    "def show(k=1):\n"
    "    print(f'k = {k}')\n"
    "    fig, ax = plt.subplots(figsize=(4, 2.5))\n"
    "    if k == 1:\n"
    "        ax.plot(x, np.sin(k * x))\n"
    "    ax.set_xlim(0, 2 * np.pi)\n"
    "    ax.set_ylim(-1.1, 1.1)\n"
    "    ax.set_title(f'sin({k} x)')\n"
    "    plt.show()\n"
    "\n"
    "widgets.interact(show, k=widgets.IntSlider(value=1, min=0, max=10));",
]

# A partly rendered canvas: the lower half of the image never got drawn.
HALF_DRAWN_PLOT_CELLS = [
    _PLOT_SETUP,
    "def show(k=1):\n"
    "    print(f'k = {k}')\n"
    "    fig, ax = plt.subplots(figsize=(4, 2.5))\n"
    "    ax.plot(x, np.sin(k * x))\n"
    "    if k == 1:\n"
    "        plt.show()\n"
    "        return\n"
    "    fig.canvas.draw()\n"
    "    rgba = np.asarray(fig.canvas.buffer_rgba()).copy()\n"
    "    plt.close(fig)\n"
    "    rgba[rgba.shape[0] // 2 :] = 255\n"
    "    buf = io.BytesIO()\n"
    "    plt.imsave(buf, rgba, format='png')\n"
    "    display(Image(data=buf.getvalue(), format='png'))\n"
    "\n"
    "widgets.interact(show, k=widgets.IntSlider(value=1, min=0, max=10));",
]

FIXTURES: dict[str, list[str]] = {
    "good": GOOD_CELLS,
    "bad_callback": BAD_CALLBACK_CELLS,
    "bad_observe": BAD_OBSERVE_CELLS,
    "missing_model": MISSING_MODEL_CELLS,
    "inert_slider": INERT_SLIDER_CELLS,
    "cell_error": CELL_ERROR_CELLS,
    "js_error": JS_ERROR_CELLS,
    "blank_plot": BLANK_PLOT_CELLS,
    "axes_only_plot": AXES_ONLY_PLOT_CELLS,
    "half_drawn_plot": HALF_DRAWN_PLOT_CELLS,
}

# What each bad fixture must make the harness say (a regex on the joined problems).
EXPECTED_PROBLEM = {
    "bad_callback": r"ValueError: k = \d+ is not allowed",
    "bad_observe": r"RuntimeError: callback exploded",
    "missing_model": r"did not render: 'Loading widget\.\.\.'|did not render",
    "inert_slider": r"moving a slider changed no output",
    "cell_error": r"ZeroDivisionError",
    "js_error": r"course js broke",
    "blank_plot": r"widget in cell \d+ shows a blank plot .* after cell \d+ slider 0",
    "axes_only_plot": r"widget in cell \d+ shows a plot without its data",
    "half_drawn_plot": r"widget in cell \d+ shows a half-drawn plot",
}

# How long the harness waits on each broken fixture: where the failure IS the wait running out
# (nothing changes, nothing renders) a short wait keeps the suite lean; elsewhere the wait ends
# as soon as the error shows, so a long limit costs nothing.
FIXTURE_TIMEOUTS = {
    "bad_observe": {"widget_timeout": 20, "change_timeout": 4},
    "inert_slider": {"widget_timeout": 20, "change_timeout": 4},
    "missing_model": {"widget_timeout": 4, "change_timeout": 4},
}
DEFAULT_FIXTURE_TIMEOUTS = {"widget_timeout": 20, "change_timeout": 30}


def make_notebook(cells: list[str], title: str) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [new_markdown_cell(f"# {title}")] + [new_code_cell(src) for src in cells]
    return nb


def write_fixtures(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, cells in FIXTURES.items():
        path = directory / f"{name}.ipynb"
        nbformat.write(make_notebook(cells, name), path)
        paths[name] = path
    return paths
