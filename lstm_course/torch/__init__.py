"""The PyTorch side of the course (this subpackage, and only it, imports torch).

GateLSTM                 the lesson's gates as an nn.Module (variant "lesson" or "standard")
from_torch(nn.LSTM)      -> LSTMParams (standard variant; layer=k for a stacked nn.LSTM)
to_torch(LSTMParams)     -> nn.LSTM    (standard variant)
"""

from .convert import from_torch, to_torch, torch_names
from .gate_lstm import GateLSTM

__all__ = ["GateLSTM", "from_torch", "to_torch", "torch_names"]
