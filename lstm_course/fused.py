"""A fast NumPy LSTM: the same maths as lstm_forward / lstm_backward, arranged for speed.

The teaching path (gates.py, cell.py, sequence.py) computes one gate at a time. Here:

1. The four gates that read [stm, event] share one weight matrix W = [W_n | W_i | W_f | W_v]
   (H+D, 4H), so a step is ONE matrix product, and the Event's share of it,
   events @ W[H:] + b, is computed for all T steps at once, before the loop.
2. Every buffer is allocated once, time-major (T, B, ...), and the loop writes into it with
   in-place ufuncs (``out=``); no temporary arrays per step.
3. sigmoid and tanh both come from one exp: sigmoid(a) = 1 / (1 + exp(-a)) and
   tanh(a) = 2 sigmoid(2a) - 1. The factors -1 / -2 are folded into a scaled copy of W, so the
   loop does exp, +1, 1/x on the (B, 4H) block (np.exp is much faster than np.tanh, and an
   exp that overflows to inf gives exactly sigmoid = 0, so it is stable).
4. The backward pass precomputes every local derivative (i * (1 - N^2), f * (1 - f), ...) for all
   steps at once; the loop only multiplies by what flows back. The weight gradients are then
   three big products, dW = [stm_{t-1}, event_t]^T @ dA over all (t, b) at once.

fused_forward / fused_backward take and return exactly what lstm_forward / lstm_backward do.
"""

from __future__ import annotations

import numpy as np

from .params import LSTMParams, check_variant

__all__ = ["fused_forward", "fused_backward"]

ORDER = ("n", "i", "f", "v")  # column blocks of the fused weight: tanh block first, then sigmoids


def fused_forward(events, params: LSTMParams, stm0=None, ltm0=None, variant: str = "lesson",
                  return_cache: bool = False):
    """Same contract as lstm_forward: -> (stms (B, T, H), (stm_T, ltm_T)) [, cache]."""
    check_variant(variant)
    events = np.asarray(events)
    if events.ndim != 3:
        raise ValueError(f"events must be (B, T, D), got shape {events.shape}")
    B, T, D = events.shape
    H = params.hidden_size
    if D != params.input_size:
        raise ValueError(f"events have D={D} features but the parameters expect "
                         f"{params.input_size}")
    lesson = variant == "lesson"
    if lesson and (params.W_u is None or params.b_u is None):
        raise ValueError("variant='lesson' needs W_u and b_u (the Use gate's own weights); "
                         "these parameters are for variant='standard'")
    dtype = np.result_type(events.dtype, params.dtype)

    W = np.concatenate([getattr(params, "W_" + k) for k in ORDER], axis=1).astype(dtype)  # (H+D,4H)
    b = np.concatenate([getattr(params, "b_" + k) for k in ORDER]).astype(dtype)          # (4H,)
    scale = np.full(4 * H, -1.0, dtype)
    scale[:H] = -2.0                       # exp(-2a) for the tanh block, exp(-a) for the sigmoids
    Wz_h = np.ascontiguousarray(W[:H] * scale)                                             # (H, 4H)

    X = np.ascontiguousarray(events.transpose(1, 0, 2), dtype=dtype)  # (T, B, D) time-major
    G = (X.reshape(T * B, D) @ (W[H:] * scale)).reshape(T, B, 4 * H)  # Event's share, all steps
    G += b * scale
    Hs = np.empty((T + 1, B, H), dtype)    # STM: Hs[0] = stm0, Hs[t+1] = STM after step t
    C = np.empty((T + 1, B, H), dtype)     # LTM, likewise
    U = np.empty((T, B, H), dtype)         # lesson: tanh(kept W_u + b_u); standard: tanh(LTM_t)
    K = np.empty((T, B, H), dtype) if lesson else None   # kept = LTM_{t-1} * f (lesson only)
    Hs[0] = 0 if stm0 is None else stm0
    C[0] = 0 if ltm0 is None else ltm0
    if lesson:
        Wz_u = np.asarray(params.W_u, dtype) * -2.0
        bz_u = np.asarray(params.b_u, dtype) * -2.0
    hW = np.empty((B, 4 * H), dtype)
    kept = np.empty((B, H), dtype)

    with np.errstate(over="ignore"):       # exp(+large) = inf is fine: 1 / (1 + inf) = 0
        for t in range(T):
            a, u, c = G[t], U[t], C[t + 1]
            np.matmul(Hs[t], Wz_h, out=hW)
            a += hW                        # a = -scale * ([stm, event] W + b)
            np.exp(a, out=a)
            a += 1.0
            np.divide(1.0, a, out=a)       # sigmoid of every block (of 2a for the first)
            N, i, f, V = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            N *= 2.0
            N -= 1.0                       # N = tanh(a_n) = 2 sigmoid(2 a_n) - 1
            if lesson:
                kept = K[t]
            np.multiply(C[t], f, out=kept)             # Forget:   LTM_{t-1} * f
            np.multiply(N, i, out=c)                   # Learn:    N * i
            c += kept                                  # Remember: LTM_t
            if lesson:
                np.matmul(kept, Wz_u, out=u)
                u += bz_u                              # -2 (kept W_u + b_u)
            else:
                np.multiply(c, -2.0, out=u)            # -2 LTM_t
            np.exp(u, out=u)
            u += 1.0
            np.divide(2.0, u, out=u)
            u -= 1.0                                   # U = tanh(...)
            np.multiply(V, u, out=Hs[t + 1])           # Use: STM_t = U * V

    stms = np.ascontiguousarray(Hs[1:].transpose(1, 0, 2))
    out = stms, (Hs[T].copy(), C[T].copy())
    if not return_cache:
        return out
    cache = dict(variant=variant, W=W, W_u=None if not lesson else np.asarray(params.W_u, dtype),
                 X=X, G=G, Hs=Hs, C=C, U=U, K=K, D=D, names=params.names())
    return (*out, cache)


def fused_backward(dstms, cache, dstm_T=None, dltm_T=None):
    """Same contract as lstm_backward: dL/dstms (B, T, H) -> dict of gradients
    (every parameter, 'events' (B, T, D), 'stm0' and 'ltm0' (B, H))."""
    W, X, G, Hs, C, U, K = (cache[k] for k in ("W", "X", "G", "Hs", "C", "U", "K"))
    lesson = cache["variant"] == "lesson"
    T, B, H4 = G.shape
    H, D, dtype = H4 // 4, cache["D"], G.dtype
    if dstms.shape != (B, T, H):
        raise ValueError(f"dstms must be (B, T, H) = {(B, T, H)}, got {dstms.shape}")
    dS = np.ascontiguousarray(np.asarray(dstms).transpose(1, 0, 2), dtype=dtype)   # (T, B, H)
    N, i, f, V = G[..., :H], G[..., H:2 * H], G[..., 2 * H:3 * H], G[..., 3 * H:]

    # Local derivatives of all steps at once, in the buffer that then becomes dA = dL/d(pre-act).
    P = np.empty_like(G)
    P_n, P_i, P_f, P_v = P[..., :H], P[..., H:2 * H], P[..., 2 * H:3 * H], P[..., 3 * H:]
    np.subtract(1.0, G[..., H:], out=P[..., H:])
    P[..., H:] *= G[..., H:]          # s (1 - s) for i, f, V
    P_i *= N                          # dL/da_i = dLTM_t * N * i (1 - i)
    P_f *= C[:-1]                     # dL/da_f = dkept * LTM_{t-1} * f (1 - f)
    P_v *= U                          # dL/da_v = dSTM_t * U * V (1 - V)
    np.multiply(N, N, out=P_n)
    np.subtract(1.0, P_n, out=P_n)
    P_n *= i                          # dL/da_n = dLTM_t * i (1 - N^2)
    Q = U * U
    np.subtract(1.0, Q, out=Q)
    Q *= V                            # dSTM_t -> d(inside U's tanh): V (1 - U^2)

    WhT = np.ascontiguousarray(W[:H].T)               # (4H, H)
    WuT = np.ascontiguousarray(cache["W_u"].T) if lesson else None
    dh_next = np.zeros((B, H), dtype) if dstm_T is None else np.array(dstm_T, dtype)
    dc = np.zeros((B, H), dtype) if dltm_T is None else np.array(dltm_T, dtype)
    dh, tmp, dkept = (np.empty((B, H), dtype) for _ in range(3))
    for t in reversed(range(T)):
        da = P[t]                                     # becomes dA[t]
        np.add(dh_next, dS[t], out=dh)                # dL/dSTM_t
        if lesson:
            du = Q[t]
            du *= dh                                  # dL/d(kept W_u + b_u), kept for dW_u
            np.matmul(du, WuT, out=dkept)
            dkept += dc                               # kept feeds LTM_t and U
            ni = da[:, :2 * H].reshape(B, 2, H)
            ni *= dc[:, None, :]                      # n, i blocks: times dLTM_t
            da[:, 2 * H:3 * H] *= dkept               # f block: times dkept
            np.multiply(dkept, f[t], out=dc)          # dL/dLTM_{t-1}
        else:
            np.multiply(dh, Q[t], out=tmp)
            dc += tmp                                 # dLTM_t (= dkept) also through STM_t
            nif = da[:, :3 * H].reshape(B, 3, H)
            nif *= dc[:, None, :]                     # n, i, f blocks: times dLTM_t
            dc *= f[t]                                # dL/dLTM_{t-1}
        da[:, 3 * H:] *= dh                           # V block: times dSTM_t
        np.matmul(da, WhT, out=dh_next)               # dL/dSTM_{t-1}

    dA = P.reshape(T * B, H4)
    dW = np.empty_like(W)
    np.matmul(Hs[:-1].reshape(T * B, H).T, dA, out=dW[:H])
    np.matmul(X.reshape(T * B, D).T, dA, out=dW[H:])
    db = dA.sum(axis=0)
    grads = {}
    for k, name in enumerate(ORDER):
        grads["W_" + name] = dW[:, k * H:(k + 1) * H].copy()
        grads["b_" + name] = db[k * H:(k + 1) * H].copy()
    if lesson:
        dU = Q.reshape(T * B, H)
        grads["W_u"] = K.reshape(T * B, H).T @ dU
        grads["b_u"] = dU.sum(axis=0)
    grads = {name: grads[name] for name in cache["names"] if name in grads}  # the params' order
    dX = (dA @ W[H:].T).reshape(T, B, D)
    grads.update(events=np.ascontiguousarray(dX.transpose(1, 0, 2)), stm0=dh_next, ltm0=dc)
    return grads
