"""A fast NumPy LSTM: the same maths as lstm_forward / lstm_backward, arranged for speed.

The teaching path (gates.py, cell.py, sequence.py) computes one gate at a time. Here:

1. One matrix for everything a step multiplies: the four gates that read [stm, event] share
   W = [W_n | W_i | W_f | W_v] with the biases as one more row, (H+D+1, 4H), and the step's
   input is z_t = [stm_{t-1}, event_t, 1]. A forward step is ONE product z_t @ W (bias included);
   a backward step is ONE product dA_t @ W^T, giving dSTM_{t-1} and dEvent_t together; the
   weight gradient is dW = Z^T @ dA (a few large products, see 4).
2. Every buffer is allocated once per call, time-major (T, B, ...), so a step's slice is
   contiguous; z_t for all steps lives in one array Z, and each step writes its new STM straight
   into z_{t+1}. The loops only use in-place ufuncs (``out=``): no temporary arrays per step.
3. sigmoid and tanh both come from one exp: sigmoid(a) = 1 / (1 + exp(-a)) and
   tanh(a) = 2 sigmoid(2a) - 1. The factors -1 / -2 are folded into a scaled copy of W, so a
   step does exp, +1, 1/x once on the whole (B, 4H) block. (np.exp is several times faster
   than np.tanh; an exp that overflows to inf gives exactly sigmoid = 0, so it is stable.)
4. The backward pass runs through the steps in chunks of CHUNK steps, sized so that a chunk's
   arrays stay in the CPU cache: per chunk it computes the local derivatives i (1 - N^2),
   N i (1 - i), ... of all its steps at once, runs the steps (which only multiply them by what
   flows back), then adds the chunk's share of dW = Z^T @ dA while dA is still in the cache.
5. Buffers are reused from one call to the next. A forward pass at B=64, T=100, H=128 needs
   about 25 MB of buffers; fresh memory from the operating system costs a page fault per 4 kB
   page, which measured about a third of the forward time. ``_empty`` keeps the large buffers
   it hands out and hands one out again once nothing else references it (its reference count
   is back to the pool's own), so a training loop or a benchmark touches warm memory.
6. ``threads=n`` splits the batch into n parts that run at the same time, each on its own
   rows with its own buffers, from start to end: the rows of a batch never interact until
   dW, which is the sum of the parts' dW. NumPy releases the GIL inside ufuncs and matrix
   products, so n Python threads (a small persistent pool) use n cores for ALL the work, the
   elementwise work included. A multithreaded BLAS would only spread the matrix products,
   and poorly at this size, so during the call the BLAS is held at one thread per part
   (with threadpoolctl, when it is installed). The split changes no formula: results equal
   those of one thread up to float rounding in the sum of the parts' dW.

fused_forward / fused_backward take and return exactly what lstm_forward / lstm_backward do
(plus the ``threads`` option). Measured against torch.nn.LSTM in benchmarks/bench_lstm.py.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .params import LSTMParams, check_variant
from .sequence import check_events, initial_state

__all__ = ["fused_forward", "fused_backward"]

ORDER = ("n", "i", "f", "v")  # column blocks of the fused weight: tanh block first, then sigmoids
CHUNK = 4  # backward steps per chunk (4 x 64 x 512 floats ~ 0.5 MB)


# --- 5. buffers reused between calls ----------------------------------------------------------

POOL_MAX_BYTES = 512 << 20  # never keep more than this (oldest shapes are dropped first)
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
        if a.nbytes >= POOL_MIN_BYTES:
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
    Wz = W * scale
    Wz_u = bz_u = None
    if lesson:
        Wz_u = np.asarray(params.W_u, dtype) * -2.0
        bz_u = np.asarray(params.b_u, dtype) * -2.0
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
            Wz_u,
            bz_u,
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


def _forward_rows(events, stm0, ltm0, Wz, Wz_u, bz_u, stms, stm_T, ltm_T):
    """The forward loop for some rows of the batch; writes stms, stm_T, ltm_T, returns the cache."""
    B, T, D = events.shape
    H = stm0.shape[1]
    HD, dtype, lesson = H + D, Wz.dtype, Wz_u is not None
    Z = _empty((T + 1, B, HD + 1), dtype)  # Z[t] = z_t = [stm_{t-1}, event_t, 1]
    Z[:T, :, H:HD] = events.transpose(1, 0, 2)
    Z[T, :, H:HD] = 0.0  # Z[T] only holds the last STM
    Z[:, :, HD] = 1.0
    Z[0, :, :H] = stm0
    C = _empty((T + 1, B, H), dtype)  # C[t] = LTM_{t-1}
    C[0] = ltm0
    G = _empty((T, B, 4 * H), dtype)  # gate values N, i, f, V of every step
    U = _empty((T, B, H), dtype)  # lesson: tanh(kept W_u + b_u); standard: tanh(LTM_t)
    K = _empty((T, B, H), dtype) if lesson else None  # kept = LTM_{t-1} * f (lesson only)
    kept = np.empty((B, H), dtype)

    with np.errstate(over="ignore"):  # exp(+large) = inf is fine: 1 / (1 + inf) = 0
        for t in range(T):
            a, u, c = G[t], U[t], C[t + 1]
            np.matmul(Z[t], Wz, out=a)  # -scale * ([stm, event] W + b), all four gates
            np.exp(a, out=a)
            a += 1.0
            np.divide(1.0, a, out=a)  # sigmoid of every block (of 2a for the first)
            N, i, f, V = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            N *= 2.0
            N -= 1.0  # N = tanh(a_n) = 2 sigmoid(2 a_n) - 1
            if lesson:
                kept = K[t]
            np.multiply(C[t], f, out=kept)  # Forget:   LTM_{t-1} * f
            np.multiply(N, i, out=c)  # Learn:    N * i
            c += kept  # Remember: LTM_t
            if lesson:
                np.matmul(kept, Wz_u, out=u)
                u += bz_u  # -2 (kept W_u + b_u)
            else:
                np.multiply(c, -2.0, out=u)  # -2 LTM_t
            np.exp(u, out=u)
            u += 1.0
            np.divide(2.0, u, out=u)
            u -= 1.0  # U = tanh(...)
            np.multiply(V, u, out=Z[t + 1, :, :H])  # Use: STM_t = U * V, into z_{t+1}

    stms[...] = Z[1:, :, :H].transpose(1, 0, 2)
    stm_T[...] = Z[T, :, :H]
    ltm_T[...] = C[T]
    return dict(Z=Z, G=G, C=C, U=U, K=K)


# --- backward ---------------------------------------------------------------------------------


def _local_derivatives(P, Q, G, C_prev, U, H):
    """For a run of steps: P = d(LTM_t or STM_t)/d(pre-activation) of each gate, Q = V (1 - U^2)."""
    N, i, V = G[..., :H], G[..., H : 2 * H], G[..., 3 * H :]
    np.subtract(1.0, G[..., H:], out=P[..., H:])
    P[..., H:] *= G[..., H:]  # s (1 - s) for i, f, V
    P[..., H : 2 * H] *= N  # dLTM_t / da_i = N i (1 - i)
    P[..., 2 * H : 3 * H] *= C_prev  # dLTM_t / da_f = LTM_{t-1} f (1 - f)   (through kept)
    P[..., 3 * H :] *= U  # dSTM_t / da_v = U V (1 - V)
    P_n = P[..., :H]
    np.multiply(N, N, out=P_n)
    np.subtract(1.0, P_n, out=P_n)
    P_n *= i  # dLTM_t / da_n = i (1 - N^2)
    np.multiply(U, U, out=Q)
    np.subtract(1.0, Q, out=Q)
    Q *= V  # dSTM_t / d(inside U's tanh) = V (1 - U^2)


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
    WT = np.ascontiguousarray(W[: H + D].T)  # (4H, H+D): dA_t @ WT = [dSTM_{t-1}, dEvent_t]
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
    for k, name in enumerate(ORDER):
        grads["W_" + name] = dW[:-1, k * H : (k + 1) * H].copy()
        grads["b_" + name] = dW[-1, k * H : (k + 1) * H].copy()
    if WuT is not None:
        grads["W_u"] = sums[0][1] if len(sums) == 1 else np.sum([s[1] for s in sums], axis=0)
        grads["b_u"] = sums[0][2] if len(sums) == 1 else np.sum([s[2] for s in sums], axis=0)
    grads = {name: grads[name] for name in cache["names"] if name in grads}  # the params' order
    grads.update(events=devents, stm0=dstm0, ltm0=dltm0)
    return grads


def _backward_rows(dstms, cache, dh_T, dc_T, WT, WuT, devents, dstm0, dltm0):
    """The backward loop for some rows of the batch: writes devents, dstm0, dltm0 and
    returns (dW, dW_u, db_u) of these rows."""
    Z, G, C, U, K = (cache[k] for k in ("Z", "G", "C", "U", "K"))
    lesson = K is not None
    T, B, H4 = G.shape
    H, dtype = H4 // 4, G.dtype
    HD = WT.shape[1]
    f = G[..., 2 * H : 3 * H]

    n = max(1, min(CHUNK, T))
    P, dA = _empty((n, B, H4), dtype), _empty((n, B, H4), dtype)  # one chunk of steps
    Q, dU = _empty((n, B, H), dtype), _empty((n, B, H), dtype)
    dW = np.zeros((HD + 1, H4), dtype)  # (H+D+1, 4H); the last row is the bias
    dW_part = np.empty_like(dW)
    dWu = dbu = None
    if lesson:
        dWu, dWu_part, dbu = np.zeros((H, H), dtype), np.empty((H, H), dtype), np.zeros(H, dtype)
    dZ = _empty((T, B, HD), dtype)  # [dSTM_{t-1}, dEvent_t]
    dh_next = dh_T
    dc = np.array(dc_T, dtype)  # a copy: updated in place
    dh, tmp, dkept = (np.empty((B, H), dtype) for _ in range(3))
    for hi in range(T, 0, -n):  # chunks of steps [lo, hi), last chunk first
        lo = max(0, hi - n)
        m = hi - lo
        _local_derivatives(P[:m], Q[:m], G[lo:hi], C[lo:hi], U[lo:hi], H)
        for t in reversed(range(lo, hi)):
            j = t - lo
            p, da = P[j], dA[j]
            np.add(dh_next, dstms[:, t], out=dh)  # dL/dSTM_t
            if lesson:
                du = dU[j]
                np.multiply(Q[j], dh, out=du)  # through STM_t = U V into U's tanh
                np.matmul(du, WuT, out=dkept)
                dkept += dc  # kept feeds LTM_t and U
                np.multiply(
                    p[:, : 2 * H].reshape(B, 2, H),
                    dc[:, None, :],
                    out=da[:, : 2 * H].reshape(B, 2, H),
                )  # n, i: times dLTM_t
                np.multiply(p[:, 2 * H : 3 * H], dkept, out=da[:, 2 * H : 3 * H])  # f: times dkept
                np.multiply(dkept, f[t], out=dc)  # dL/dLTM_{t-1}
            else:
                np.multiply(dh, Q[j], out=tmp)
                dc += tmp  # dLTM_t also through STM_t
                np.multiply(
                    p[:, : 3 * H].reshape(B, 3, H),
                    dc[:, None, :],
                    out=da[:, : 3 * H].reshape(B, 3, H),
                )  # n, i, f: times dLTM_t
                dc *= f[t]  # dL/dLTM_{t-1}
            np.multiply(p[:, 3 * H :], dh, out=da[:, 3 * H :])  # V: times dSTM_t
            np.matmul(da, WT, out=dZ[t])
            dh_next = dZ[t, :, :H]
        # this chunk's share of dW = Z^T dA, while dA is still in the cache
        np.matmul(Z[lo:hi].reshape(m * B, HD + 1).T, dA[:m].reshape(m * B, H4), out=dW_part)
        dW += dW_part
        if lesson:
            np.matmul(K[lo:hi].reshape(m * B, H).T, dU[:m].reshape(m * B, H), out=dWu_part)
            dWu += dWu_part
            dbu += dU[:m].sum(axis=(0, 1))

    devents[...] = dZ[:, :, H:].transpose(1, 0, 2)
    dstm0[...] = dh_next
    dltm0[...] = dc
    return dW, dWu, dbu
