"""A fast NumPy LSTM: the same maths as lstm_forward / lstm_backward, arranged for speed.

The teaching path (gates.py, cell.py, sequence.py) computes one gate at a time. Here:

1. One matrix for everything a step multiplies: the four gates that read [stm, event] share
   W = [W_n | W_i | W_f | W_v] with the biases as one more row, (H+D+1, 4H), and the step's
   input is z_t = [stm_{t-1}, event_t, 1]. A forward step is ONE product z_t @ W (bias included);
   a backward step is ONE product dA_t @ W^T, giving dSTM_{t-1} and dEvent_t together; the
   weight gradient is dW = Z^T @ dA (a few large products, see 4).
2. Every buffer is allocated once, time-major (T, B, ...), so a step's slice is contiguous;
   z_t for all steps lives in one array Z, and each step writes its new STM straight into
   z_{t+1}. The loops only use in-place ufuncs (``out=``): no temporary arrays per step.
3. sigmoid and tanh both come from one exp: sigmoid(a) = 1 / (1 + exp(-a)) and
   tanh(a) = 2 sigmoid(2a) - 1. The factors -1 / -2 are folded into a scaled copy of W, so a
   step does exp, +1, 1/x once on the whole (B, 4H) block. (np.exp is several times faster
   than np.tanh; an exp that overflows to inf gives exactly sigmoid = 0, so it is stable.)
4. The backward pass runs through the steps in chunks of CHUNK steps, sized so that a chunk's
   arrays stay in the CPU cache: per chunk it computes the local derivatives i (1 - N^2),
   N i (1 - i), ... of all its steps at once, runs the steps (which only multiply them by what
   flows back), then adds the chunk's share of dW = Z^T @ dA while dA is still in the cache.

fused_forward / fused_backward take and return exactly what lstm_forward / lstm_backward do.
Measured against torch.nn.LSTM in benchmarks/bench_lstm.py.
"""

from __future__ import annotations

import numpy as np

from .params import LSTMParams, check_variant
from .sequence import check_events, initial_state

__all__ = ["fused_forward", "fused_backward"]

ORDER = ("n", "i", "f", "v")  # column blocks of the fused weight: tanh block first, then sigmoids
CHUNK = 4  # backward steps per chunk (4 x 64 x 512 floats ~ 0.5 MB)


def fused_forward(
    events,
    params: LSTMParams,
    stm0=None,
    ltm0=None,
    variant: str = "lesson",
    return_cache: bool = False,
):
    """Same contract as lstm_forward: -> (stms (B, T, H), (stm_T, ltm_T)) [, cache]."""
    check_variant(variant)
    events, (B, T, D) = check_events(events, params)
    H = params.hidden_size
    lesson = variant == "lesson"
    if lesson and (params.W_u is None or params.b_u is None):
        raise ValueError(
            "variant='lesson' needs W_u and b_u (the Use gate's own weights); "
            "these parameters are for variant='standard'"
        )
    dtype = np.result_type(events.dtype, params.dtype)
    HD = H + D

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
    Z = np.empty((T + 1, B, HD + 1), dtype)  # Z[t] = z_t = [stm_{t-1}, event_t, 1]
    Z[:T, :, H:HD] = events.transpose(1, 0, 2)
    Z[T, :, H:HD] = 0.0  # Z[T] only holds the last STM
    Z[:, :, HD] = 1.0
    Z[0, :, :H] = initial_state("stm0", stm0, B, H, dtype)
    C = np.empty((T + 1, B, H), dtype)  # C[t] = LTM_{t-1}
    C[0] = initial_state("ltm0", ltm0, B, H, dtype)
    G = np.empty((T, B, 4 * H), dtype)  # gate values N, i, f, V of every step
    U = np.empty((T, B, H), dtype)  # lesson: tanh(kept W_u + b_u); standard: tanh(LTM_t)
    K = np.empty((T, B, H), dtype) if lesson else None  # kept = LTM_{t-1} * f (lesson only)
    kept = np.empty((B, H), dtype)
    if lesson:
        Wz_u = np.asarray(params.W_u, dtype) * -2.0
        bz_u = np.asarray(params.b_u, dtype) * -2.0

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

    stms = np.ascontiguousarray(Z[1:, :, :H].transpose(1, 0, 2))
    out = stms, (Z[T, :, :H].copy(), C[T].copy())
    if not return_cache:
        return out
    cache = dict(
        variant=variant,
        W=W,
        W_u=np.asarray(params.W_u, dtype) if lesson else None,
        Z=Z,
        G=G,
        C=C,
        U=U,
        K=K,
        D=D,
        names=params.names(),
    )
    return (*out, cache)


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
    (every parameter, 'events' (B, T, D), 'stm0' and 'ltm0' (B, H))."""
    W, Z, G, C, U, K = (cache[k] for k in ("W", "Z", "G", "C", "U", "K"))
    lesson = cache["variant"] == "lesson"
    T, B, H4 = G.shape
    H, D, dtype = H4 // 4, cache["D"], G.dtype
    HD = H + D
    dstms = np.asarray(dstms)
    if dstms.shape != (B, T, H):
        raise ValueError(f"dstms must be (B, T, H) = {(B, T, H)}, got {dstms.shape}")
    dS = np.ascontiguousarray(dstms.transpose(1, 0, 2), dtype=dtype)  # (T, B, H)
    f = G[..., 2 * H : 3 * H]

    WT = np.ascontiguousarray(W[:HD].T)  # (4H, H+D): dA_t @ WT = [dSTM_{t-1}, dEvent_t]
    WuT = np.ascontiguousarray(cache["W_u"].T) if lesson else None
    n = max(1, min(CHUNK, T))
    P, dA = np.empty((n, B, H4), dtype), np.empty((n, B, H4), dtype)  # one chunk of steps
    Q, dU = np.empty((n, B, H), dtype), np.empty((n, B, H), dtype)
    dW = np.zeros_like(W)  # (H+D+1, 4H); the last row is the bias
    dW_part = np.empty_like(W)
    if lesson:
        dWu, dWu_part, dbu = np.zeros((H, H), dtype), np.empty((H, H), dtype), np.zeros(H, dtype)
    dZ = np.empty((T, B, HD), dtype)  # [dSTM_{t-1}, dEvent_t]
    dh_next = np.zeros((B, H), dtype) if dstm_T is None else np.array(dstm_T, dtype)
    dc = np.zeros((B, H), dtype) if dltm_T is None else np.array(dltm_T, dtype)
    dh, tmp, dkept = (np.empty((B, H), dtype) for _ in range(3))
    for hi in range(T, 0, -n):  # chunks of steps [lo, hi), last chunk first
        lo = max(0, hi - n)
        m = hi - lo
        _local_derivatives(P[:m], Q[:m], G[lo:hi], C[lo:hi], U[lo:hi], H)
        for t in reversed(range(lo, hi)):
            j = t - lo
            p, da = P[j], dA[j]
            np.add(dh_next, dS[t], out=dh)  # dL/dSTM_t
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

    grads = {}
    for k, name in enumerate(ORDER):
        grads["W_" + name] = dW[:-1, k * H : (k + 1) * H].copy()
        grads["b_" + name] = dW[-1, k * H : (k + 1) * H].copy()
    if lesson:
        grads["W_u"], grads["b_u"] = dWu, dbu
    grads = {name: grads[name] for name in cache["names"] if name in grads}  # the params' order
    grads.update(
        events=np.ascontiguousarray(dZ[:, :, H:].transpose(1, 0, 2)), stm0=dh_next.copy(), ltm0=dc
    )
    return grads
