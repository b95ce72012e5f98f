"""A fast NumPy LSTM: the same maths as lstm_forward / lstm_backward, arranged for speed.

The teaching path (gates.py, cell.py, sequence.py) computes one gate at a time. Here:

1. One matrix for everything a step multiplies: the four gates that read [stm, event] share
   W = [W_n | W_i | W_f | W_v] with the biases as one more row, (H+D+1, 4H), and the step's
   input is z_t = [stm_{t-1}, event_t, 1]. A forward step is ONE matmul call z_t @ W (bias
   included); a backward step is ONE matmul call dA_t @ W^T (then a sum over the four gates,
   see 2), giving dSTM_{t-1} and dEvent_t together; the weight gradient is dW = Z^T @ dA
   (a few large products, see 4).
2. Gate-major gate values. W is kept as a stack of four (H+D+1, H) matrices, one per gate, so
   z_t @ W writes the gates as four separate (B, H) blocks, G[t] of shape (4, B, H), instead
   of one (B, 4H) row block whose gate columns are strided. Every elementwise operation on a
   gate then runs over contiguous memory: in NumPy 2.4 a ufunc on a strided (64, 128) column
   block costs 3-4x the same ufunc on a contiguous block (it copies through a buffer), and
   the stacked matmul is no slower than one (B, 4H) product. The backward step multiplies
   each gate's block by its share of W^T and sums the four (B, H+D) results.
3. Every buffer is allocated once per call (or reused, see 5), time-major (T, ...), so a
   step's slice is contiguous; z_t for all steps lives in one array Z, and each step writes its
   new STM straight into z_{t+1}. The loops only use in-place ufuncs (``out=``): no temporary
   arrays per step. The four gates' sigmoids and tanh come from one exp: sigmoid(a) =
   1 / (1 + exp(-a)) and tanh(a) = 2 sigmoid(2a) - 1. The factors -1 / -2 are folded into a
   scaled copy of W, so a step does exp, +1, then [2, 1, 1, 1] / x once on all four gates, and
   -1 on the first. (np.exp is about twice as fast as np.tanh per entry; an exp that overflows
   to inf gives exactly sigmoid = 0, so it is stable.) U's tanh is np.tanh, one call: the exp
   form would be four calls more on one block, and with threads > 1 (6) every cheap call
   costs a hand-over of the GIL between the threads (measured: an entrywise (32, 128)
   product took 1.7 us alone and about 6 us with two threads calling).
4. The backward pass runs through the steps in chunks of CHUNK_ROWS // B steps (4 at B=64,
   8 for a part of 32 rows), sized so that a chunk's arrays stay in the CPU cache: per chunk
   it computes the local derivatives i (1 - N^2), N i (1 - i), ... of all its steps at once,
   runs the steps (which only multiply them by what flows back), then adds the chunk's share
   of dW = Z^T @ dA while dA is still in the cache.
5. Buffers are reused from one call to the next. A forward pass at B=64, T=100, H=128 needs
   about 25 MB of buffers; fresh memory from the operating system costs a page fault per 4 kB
   page (measured: ~5000 faults and up to a quarter of the time of a forward+backward here).
   ``_empty`` keeps the large buffers it hands out and hands one out again once nothing else
   references it (its reference count is back to the pool's own), so a training loop or a
   benchmark works in warm memory. Arrays returned to the caller are always fresh.
6. ``threads=n`` splits the batch into n parts that run at the same time, each on its own
   rows with its own buffers, from start to end: the rows of a batch never interact until
   dW, which is the sum of the parts' dW. NumPy releases the GIL inside ufuncs and matrix
   products, so n Python threads (a small persistent pool) use n cores for ALL the work, the
   elementwise work included. A multithreaded BLAS would only spread the matrix products,
   and poorly at this size, so during the call the BLAS is held at one thread per part
   (with threadpoolctl, when it is installed; without it, set OPENBLAS_NUM_THREADS=1 or the
   like). The split changes no formula: results equal those of one thread up to float
   rounding. Calls with threads > 1 should not overlap (the BLAS limit is process-wide).

fused_forward / fused_backward take and return exactly what lstm_forward / lstm_backward do
(plus the ``threads`` option). Measured against torch.nn.LSTM in benchmarks/bench_lstm.py.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .params import LSTMParams, check_variant
from .sequence import check_events, initial_state

__all__ = ["fused_forward", "fused_backward"]

ORDER = ("n", "i", "f", "v")  # column blocks of the fused weight: tanh block first, then sigmoids
CHUNK_ROWS = 256  # backward rows (steps x batch rows) per chunk: 4 x 256 x 128 floats ~ 0.5 MB


# --- 5. buffers reused between calls ----------------------------------------------------------

POOL_MAX_BYTES = 256 << 20  # never keep more than this (oldest shapes are dropped first)
POOL_PER_SHAPE = 8  # buffers kept per shape (threads x 2 calls in flight)
POOL_MIN_BYTES = 64 << 10  # small arrays come from malloc's own free lists anyway
_pool: dict[tuple, list[np.ndarray]] = {}  # (shape, dtype) -> buffers; least recently used first
_pool_lock = threading.Lock()


def _refs_when_free():
    """sys.getrefcount of a buffer that only the pool holds, seen exactly as _empty sees it."""
    kept = [np.empty(0)]
    for a in kept:
        return sys.getrefcount(a)


_FREE = _refs_when_free()


def _empty(shape, dtype):
    """np.empty(shape, dtype), but reusing a pooled buffer that no one else references."""
    key = (tuple(shape), np.dtype(dtype))
    with _pool_lock:
        kept = _pool.pop(key, [])
        _pool[key] = kept  # now the most recently used shape
        for a in kept:
            if sys.getrefcount(a) <= _FREE:  # no cache, view or caller holds it any more
                return a
        a = np.empty(shape, dtype)
        if a.nbytes >= POOL_MIN_BYTES and len(kept) < POOL_PER_SHAPE:
            kept.append(a)
            while sum(b.nbytes for v in _pool.values() for b in v) > POOL_MAX_BYTES:
                del _pool[next(iter(_pool))]  # forget the oldest shape (its arrays stay valid)
        return a


def clear_buffers():
    """Forget the reused buffers (arrays still in use stay valid)."""
    with _pool_lock:
        _pool.clear()


# --- 6. the batch split over threads ----------------------------------------------------------

_executor: ThreadPoolExecutor | None = None
_executor_size = 0
_blas = None  # threadpoolctl's controller, or False when threadpoolctl is not installed


def _row_parts(B, threads):
    """Up to `threads` slices of the batch rows, as equal as possible (sizes differ by <= 1)."""
    n = max(1, min(int(threads), B))
    edges = [B * k // n for k in range(n + 1)]
    return [slice(edges[k], edges[k + 1]) for k in range(n)]


def _one_blas_thread():
    """Hold the BLAS at one thread while the parts run (each part is one thread already)."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # then set OPENBLAS_NUM_THREADS=1 (or the like) yourself
            _blas = False
        else:
            _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas") if _blas else contextlib.nullcontext()


def _after_fork_in_child():
    """A forked child has only the forking thread: start a fresh pool (and lock) on demand."""
    global _executor, _executor_size, _pool_lock
    _executor, _executor_size, _pool_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _run_parts(fn, parts):
    """[fn(part) for part in parts], the parts at the same time: the first on this thread."""
    global _executor, _executor_size
    if len(parts) == 1:
        return [fn(parts[0])]
    if _executor_size < len(parts) - 1:  # started once, kept for the next calls
        _executor_size = len(parts) - 1
        _executor = ThreadPoolExecutor(_executor_size, thread_name_prefix="fused-lstm")
    with _one_blas_thread():
        futures = [_executor.submit(fn, part) for part in parts[1:]]
        first = fn(parts[0])
        return [first] + [f.result() for f in futures]


# --- forward ----------------------------------------------------------------------------------


# ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
def fused_forward(
    events,
    params: LSTMParams,
    stm0=None,
    ltm0=None,
    variant: str = "lesson",
    return_cache: bool = False,
    threads: int = 1,
):
    """Same contract as lstm_forward: -> (stms (B, T, H), (stm_T, ltm_T)) [, cache].

    threads: split the batch over this many threads (see 6 in the module docstring)."""
    check_variant(variant)
    if int(threads) < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    events, (B, T, D) = check_events(events, params)
    H = params.hidden_size
    lesson = variant == "lesson"
    if lesson and (params.W_u is None or params.b_u is None):
        raise ValueError(
            "variant='lesson' needs W_u and b_u (the Use gate's own weights); "
            "these parameters are for variant='standard'"
        )
    dtype = np.result_type(events.dtype, params.dtype)

    W = np.concatenate(
        [
            np.concatenate([getattr(params, "W_" + k), getattr(params, "b_" + k)[None]])
            for k in ORDER
        ],
        axis=1,
    ).astype(dtype)  # (H+D+1, 4H)
    scale = np.full(4 * H, -1.0, dtype)
    scale[:H] = -2.0  # exp(-2a) for the tanh block, exp(-a) for the sigmoids
    Wz = np.ascontiguousarray((W * scale).reshape(-1, 4, H).transpose(1, 0, 2))  # (4, H+D+1, H)
    W_u = b_u = None
    if lesson:
        W_u, b_u = np.asarray(params.W_u, dtype), np.asarray(params.b_u, dtype)
    stm0 = initial_state("stm0", stm0, B, H, dtype)
    ltm0 = initial_state("ltm0", ltm0, B, H, dtype)
    stms = np.empty((B, T, H), dtype)
    stm_T, ltm_T = np.empty((B, H), dtype), np.empty((B, H), dtype)

    def part(rows):
        return _forward_rows(
            events[rows],
            stm0[rows],
            ltm0[rows],
            Wz,
            W_u,
            b_u,
            stms[rows],
            stm_T[rows],
            ltm_T[rows],
        )

    parts = _row_parts(B, threads)
    caches = _run_parts(part, parts)
    out = stms, (stm_T, ltm_T)
    if not return_cache:
        return out
    cache = dict(
        variant=variant,
        W=W,
        W_u=np.asarray(params.W_u, dtype) if lesson else None,
        parts=list(zip(parts, caches, strict=True)),
        shape=(B, T, D, H),
        names=params.names(),
    )
    return (*out, cache)


def _forward_rows(events, stm0, ltm0, Wz, W_u, b_u, stms, stm_T, ltm_T):
    """The forward loop for some rows of the batch; writes stms, stm_T, ltm_T, returns the cache."""
    B, T, D = events.shape
    H = stm0.shape[1]
    HD, dtype, lesson = H + D, Wz.dtype, W_u is not None
    Z = _empty((T + 1, B, HD + 1), dtype)  # Z[t] = z_t = [stm_{t-1}, event_t, 1]
    Z[:T, :, H:HD] = events.transpose(1, 0, 2)
    Z[T, :, H:HD] = 0.0  # Z[T] only holds the last STM
    Z[:, :, HD] = 1.0
    Z[0, :, :H] = stm0
    C = _empty((T + 1, B, H), dtype)  # C[t] = LTM_{t-1}
    C[0] = ltm0
    G = _empty((T, 4, B, H), dtype)  # gate values N, i, f, V of every step, one block each
    U = _empty((T, B, H), dtype)  # lesson: tanh(kept W_u + b_u); standard: tanh(LTM_t)
    K = _empty((T, B, H), dtype) if lesson else None  # kept = LTM_{t-1} * f (lesson only)
    kept = np.empty((B, H), dtype)
    numerator = np.array([2.0, 1.0, 1.0, 1.0], dtype).reshape(4, 1, 1)  # tanh block: 2 sigmoid(2a)

    with np.errstate(over="ignore"):  # exp(+large) = inf is fine: 1 / (1 + inf) = 0
        for t in range(T):
            a, u, c = G[t], U[t], C[t + 1]
            np.matmul(Z[t], Wz, out=a)  # -scale * ([stm, event] W + b), all four gates
            np.exp(a, out=a)
            a += 1.0
            np.divide(numerator, a, out=a)  # sigmoid of the blocks i, f, V; 2 sigmoid(2 a_n)
            N, i, f, V = a
            N -= 1.0  # N = tanh(a_n) = 2 sigmoid(2 a_n) - 1
            if lesson:
                kept = K[t]
            np.multiply(C[t], f, out=kept)  # Forget:   LTM_{t-1} * f
            np.multiply(N, i, out=c)  # Learn:    N * i
            c += kept  # Remember: LTM_t
            if lesson:
                np.matmul(kept, W_u, out=u)
                u += b_u
                np.tanh(u, out=u)  # U = tanh(kept W_u + b_u)
            else:
                np.tanh(c, out=u)  # U = tanh(LTM_t)
            np.multiply(V, u, out=Z[t + 1, :, :H])  # Use: STM_t = U * V, into z_{t+1}

    stms[...] = Z[1:, :, :H].transpose(1, 0, 2)
    stm_T[...] = Z[T, :, :H]
    ltm_T[...] = C[T]
    return dict(Z=Z, G=G, C=C, U=U, K=K)


# --- backward ---------------------------------------------------------------------------------


# ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
def _local_derivatives(P, Q, G, C_prev, U):
    """For a run of steps: P = d(LTM_t or STM_t)/d(pre-activation) of each gate (gate first:
    P[k, step]), Q = V (1 - U^2)."""
    N, i, V = G[:, 0], G[:, 1], G[:, 3]
    Pg = P.transpose(1, 0, 2, 3)  # (steps, 4, B, H) view, like G
    np.subtract(1.0, G[:, 1:], out=Pg[:, 1:])
    Pg[:, 1:] *= G[:, 1:]  # s (1 - s) for i, f, V
    P[1] *= N  # dLTM_t / da_i = N i (1 - i)
    P[2] *= C_prev  # dLTM_t / da_f = LTM_{t-1} f (1 - f)   (through kept)
    P[3] *= U  # dSTM_t / da_v = U V (1 - V)
    np.multiply(N, N, out=P[0])
    np.subtract(1.0, P[0], out=P[0])
    P[0] *= i  # dLTM_t / da_n = i (1 - N^2)
    np.multiply(U, U, out=Q)
    np.subtract(1.0, Q, out=Q)
    Q *= V  # dSTM_t / d(inside U's tanh) = V (1 - U^2)


# ANSWER-FREE STUB: it computes a graded answer; the answer-free build stubs its body
def fused_backward(dstms, cache, dstm_T=None, dltm_T=None):
    """Same contract as lstm_backward: dL/dstms (B, T, H) -> dict of gradients
    (every parameter, 'events' (B, T, D), 'stm0' and 'ltm0' (B, H)).

    Runs on as many threads as the forward pass that made the cache."""
    W, (B, T, D, H) = cache["W"], cache["shape"]
    dtype = W.dtype
    dstms = np.asarray(dstms, dtype)
    if dstms.shape != (B, T, H):
        raise ValueError(f"dstms must be (B, T, H) = {(B, T, H)}, got {dstms.shape}")
    dh_T = np.zeros((B, H), dtype) if dstm_T is None else np.asarray(dstm_T, dtype)
    dc_T = np.zeros((B, H), dtype) if dltm_T is None else np.asarray(dltm_T, dtype)
    WT = np.ascontiguousarray(W[: H + D].T).reshape(4, H, H + D)  # sum_k dA_tk @ WT[k]
    WuT = None if cache["W_u"] is None else np.ascontiguousarray(cache["W_u"].T)
    devents = np.empty((B, T, D), dtype)
    dstm0, dltm0 = np.empty((B, H), dtype), np.empty((B, H), dtype)

    def part(rows_and_cache):
        rows, part_cache = rows_and_cache
        return _backward_rows(
            dstms[rows],
            part_cache,
            dh_T[rows],
            dc_T[rows],
            WT,
            WuT,
            devents[rows],
            dstm0[rows],
            dltm0[rows],
        )

    sums = _run_parts(part, cache["parts"])
    dW = sums[0][0] if len(sums) == 1 else np.sum([s[0] for s in sums], axis=0)

    grads = {}
    for k, name in enumerate(ORDER):  # dW: (4, H+D+1, H), one block per gate
        grads["W_" + name] = dW[k, :-1].copy()
        grads["b_" + name] = dW[k, -1].copy()
    if WuT is not None:
        grads["W_u"] = sums[0][1] if len(sums) == 1 else np.sum([s[1] for s in sums], axis=0)
        grads["b_u"] = sums[0][2] if len(sums) == 1 else np.sum([s[2] for s in sums], axis=0)
    grads = {name: grads[name] for name in cache["names"] if name in grads}  # the params' order
    grads.update(events=devents, stm0=dstm0, ltm0=dltm0)
    return grads


def _backward_rows(dstms, cache, dh_T, dc_T, WT, WuT, devents, dstm0, dltm0):
    """The backward loop for some rows of the batch: writes devents, dstm0, dltm0 and
    returns (dW (4, H+D+1, H), dW_u, db_u) of these rows."""
    Z, G, C, U, K = (cache[k] for k in ("Z", "G", "C", "U", "K"))
    lesson = K is not None
    T, _, B, H = G.shape
    dtype = G.dtype
    HD = WT.shape[2]
    dS = _empty((T, B, H), dtype)
    dS[...] = dstms.transpose(1, 0, 2)

    n = max(1, min(CHUNK_ROWS // B, T))
    P, dA = _empty((4, n, B, H), dtype), _empty((4, n, B, H), dtype)  # one chunk of steps
    Q, dU = _empty((n, B, H), dtype), _empty((n, B, H), dtype)
    dW = np.zeros((4, HD + 1, H), dtype)  # gate by gate; the last row is the bias
    dW_part = np.empty_like(dW)
    dWu = dbu = None
    if lesson:
        dWu, dWu_part, dbu = np.zeros((H, H), dtype), np.empty((H, H), dtype), np.zeros(H, dtype)
    dZ = _empty((T, B, HD), dtype)  # [dSTM_{t-1}, dEvent_t]
    dZ4 = np.empty((4, B, HD), dtype)  # the four gates' shares of dZ[t]
    dh_next = dh_T
    dc = np.array(dc_T, dtype)  # a copy: updated in place
    dh, tmp, dkept = (np.empty((B, H), dtype) for _ in range(3))
    for hi in range(T, 0, -n):  # chunks of steps [lo, hi), last chunk first
        lo = max(0, hi - n)
        m = hi - lo
        _local_derivatives(P[:, :m], Q[:m], G[lo:hi], C[lo:hi], U[lo:hi])
        for t in reversed(range(lo, hi)):
            j = t - lo
            p, da = P[:, j], dA[:, j]
            np.add(dh_next, dS[t], out=dh)  # dL/dSTM_t
            if lesson:
                du = dU[j]
                np.multiply(Q[j], dh, out=du)  # through STM_t = U V into U's tanh
                np.matmul(du, WuT, out=dkept)
                dkept += dc  # kept feeds LTM_t and U
                np.multiply(p[:2], dc, out=da[:2])  # n, i: times dLTM_t
                np.multiply(p[2], dkept, out=da[2])  # f: times dkept
                np.multiply(dkept, G[t, 2], out=dc)  # dL/dLTM_{t-1}
            else:
                np.multiply(dh, Q[j], out=tmp)
                dc += tmp  # dLTM_t also through STM_t
                np.multiply(p[:3], dc, out=da[:3])  # n, i, f: times dLTM_t
                dc *= G[t, 2]  # dL/dLTM_{t-1}
            np.multiply(p[3], dh, out=da[3])  # V: times dSTM_t
            np.matmul(da, WT, out=dZ4)
            np.sum(dZ4, axis=0, out=dZ[t])
            dh_next = dZ[t, :, :H]
        # this chunk's share of dW = Z^T dA, while dA is still in the cache
        np.matmul(Z[lo:hi].reshape(m * B, HD + 1).T, dA[:, :m].reshape(4, m * B, H), out=dW_part)
        dW += dW_part
        if lesson:
            np.matmul(K[lo:hi].reshape(m * B, H).T, dU[:m].reshape(m * B, H), out=dWu_part)
            dWu += dWu_part
            dbu += dU[:m].sum(axis=(0, 1))

    devents[...] = dZ[:, :, H:].transpose(1, 0, 2)
    dstm0[...] = dh_next
    dltm0[...] = dc
    return dW, dWu, dbu
