"""Plotting helpers shared by every notebook: one colour per gate, the same in every figure."""

from __future__ import annotations

# One colour per gate / memory, used by every plot and diagram in the course.
GATE_COLOURS = {
    "learn": "#2ca02c",     # green: N_t, i_t, N_t * i_t
    "forget": "#d62728",    # red: f_t, LTM_{t-1} * f_t
    "remember": "#1f77b4",  # blue: LTM_t
    "use": "#9467bd",       # purple: U_t, V_t, STM_t
    "stm": "#ff7f0e",       # orange: short-term memory (h)
    "ltm": "#1f77b4",       # blue: long-term memory (c)
    "event": "#7f7f7f",     # grey: the Event (x)
    "rnn": "#8c564b",       # brown: a plain RNN, for comparison
    "lstm": "#1f77b4",      # the LSTM, for comparison
}
