"""lstm_course: the LSTM told through its four gates (Learn, Forget, Remember, Use).

NumPy reference implementations (importable without PyTorch); `lstm_course.torch` holds the
PyTorch side and `lstm_course.checks` the autograder that the notebooks call.
Names follow the lesson: stm (= h, hidden state), ltm (= c, cell state), event (= x, input).
"""

from .activations import sigmoid, tanh
from .cell import (
    lstm_cell,
    lstm_cell_backward,
    lstm_cell_forward,
    ltm_path_backward,
    use_gate_backward,
)
from .gates import concat, forget_gate, learn_gate, remember_gate, standard_use_gate, use_gate
from .gradcheck import gradient_check, numerical_gradient, rel_error
from .params import VARIANTS, LSTMParams, init_params
from .sequence import lstm_backward, lstm_forward

__version__ = "0.1.0"

__all__ = [
    "sigmoid",
    "tanh",
    "concat",
    "learn_gate",
    "forget_gate",
    "remember_gate",
    "use_gate",
    "standard_use_gate",
    "LSTMParams",
    "init_params",
    "VARIANTS",
    "lstm_cell",
    "lstm_cell_forward",
    "ltm_path_backward",
    "use_gate_backward",
    "lstm_cell_backward",
    "lstm_forward",
    "lstm_backward",
    "gradient_check",
    "numerical_gradient",
    "rel_error",
]
