"""Fixtures shared by the test files."""

import pytest


@pytest.fixture
def one_torch_thread():
    """Tiny recurrent nets: one thread is as fast, and far faster when the CPU is busy
    (two OpenMP threads per process on a loaded 2-core machine were measured 15x slower)."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
