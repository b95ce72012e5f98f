"""Thin ipywidgets shells over the package's plain functions (one module per topic).

Nothing here imports torch: `from lstm_course.widgets.gates import learn_gate_widget` works in
a NumPy-only environment. Each factory returns an `ipywidgets.interactive` whose `.result` is
what the plain function computed (so tests can drive the sliders headlessly).
"""
