"""NumPy (lstm_course.fused) vs torch.nn.LSTM on the CPU: forward + backward, one process.

    python benchmarks/bench_lstm.py                 # B=64 T=100 D=32 H=128 float32, 1 thread
    python benchmarks/bench_lstm.py --threads 2     # both libraries on 2 threads

Both sides use the same number of threads: the BLAS/OpenMP variables are set before NumPy is
imported, and torch.set_num_threads gets the same number. Both compute the same things:
the outputs, then the gradients of every weight, of the input sequence (and, for NumPy, of
the initial state) for a given upstream gradient. Runs alternate in blocks (NumPy, torch,
NumPy, ...) with a pause between blocks so that neither library's idle threads spin while the
other works. Each run records wall-clock time and the process's CPU time; the minimum over
runs is the figure of merit (medians are printed too). On a shared machine the CPU time of a
single-threaded run (--threads 1) is the steadier measure: it does not count the time the
process waited for a core. Not a test: nothing here is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--B", type=int, default=64)
ap.add_argument("--T", type=int, default=100)
ap.add_argument("--D", type=int, default=32)
ap.add_argument("--H", type=int, default=128)
ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
ap.add_argument(
    "--threads",
    type=int,
    default=1,
    help="threads for both NumPy's BLAS and torch (default 1: steady on a shared "
    "machine; NumPy alone would use every core)",
)
ap.add_argument("--rounds", type=int, default=6, help="alternating blocks per library")
ap.add_argument("--runs", type=int, default=3, help="timed runs per block")
ap.add_argument(
    "--teaching",
    action="store_true",
    help="also time the per-gate teaching path and a plain fused loop",
)
args = ap.parse_args()

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lstm_course import init_params, lstm_backward, lstm_forward, sigmoid  # noqa: E402
from lstm_course.fused import fused_backward, fused_forward  # noqa: E402
from lstm_course.torch import to_torch  # noqa: E402

torch.set_num_threads(args.threads)
B, T, D, H = args.B, args.T, args.D, args.H
dtype = np.dtype(args.dtype)
rng = np.random.default_rng(0)
params = init_params(D, H, "standard", seed=rng, dtype=dtype)
events = rng.standard_normal((B, T, D)).astype(dtype)
dstms = rng.standard_normal((B, T, H)).astype(dtype)

lstm = to_torch(params)  # the same weights in an nn.LSTM
x_t = torch.from_numpy(events).requires_grad_(True)
g_t = torch.from_numpy(dstms)


def numpy_step():
    _, _, cache = fused_forward(events, params, variant="standard", return_cache=True)
    return fused_backward(dstms, cache)


def teaching_step():
    _, _, cache = lstm_forward(events, params, variant="standard", return_cache=True)
    return lstm_backward(dstms, cache)


def plain_fused_step():
    """The obvious fused loop, for comparison: one (H+D, 4H) matrix, new arrays every step."""
    p = params
    W = np.concatenate([p.W_i, p.W_f, p.W_n, p.W_v], axis=1)
    b = np.concatenate([p.b_i, p.b_f, p.b_n, p.b_v])
    h, c = np.zeros((B, H), dtype), np.zeros((B, H), dtype)
    cache = []
    for t in range(T):
        x = np.concatenate([h, events[:, t]], axis=1)
        a = x @ W + b
        i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 3 * H :])
        g = np.tanh(a[:, 2 * H : 3 * H])
        c_prev, c = c, f * c + i * g
        tc = np.tanh(c)
        h = o * tc
        cache.append((x, i, f, g, o, c_prev, tc))
    dW, db = np.zeros_like(W), np.zeros_like(b)
    dh, dc = np.zeros((B, H), dtype), np.zeros((B, H), dtype)
    dx_events = np.empty_like(events)
    for t in reversed(range(T)):
        x, i, f, g, o, c_prev, tc = cache[t]
        dh = dh + dstms[:, t]
        dc = dc + dh * o * (1 - tc * tc)
        da = np.concatenate(
            [
                dc * g * i * (1 - i),
                dc * c_prev * f * (1 - f),
                dc * i * (1 - g * g),
                dh * tc * o * (1 - o),
            ],
            axis=1,
        )
        dW += x.T @ da
        db += da.sum(axis=0)
        dx = da @ W.T
        dh, dc, dx_events[:, t] = dx[:, :H], dc * f, dx[:, H:]
    return dW, db, dx_events


def torch_step():
    lstm.zero_grad(set_to_none=True)
    x_t.grad = None
    y, _ = lstm(x_t)
    y.backward(g_t)


def check_same_gradients():
    g = numpy_step()
    torch_step()
    w_ih = lstm.weight_ih_l0.grad.numpy()
    ours = np.concatenate([g["W_i"], g["W_f"], g["W_n"], g["W_v"]], axis=1)[H:].T
    scale = np.abs(w_ih).max()
    return float(
        max(
            np.abs(ours - w_ih).max() / scale,
            np.abs(g["events"] - x_t.grad.numpy()).max() / np.abs(g["events"]).max(),
        )
    )


def timed(fn, runs):
    """[(wall seconds, CPU seconds)] for `runs` calls."""
    out = []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - w0, time.process_time() - c0))
    return out


def gemm_rate(m, k, n, seconds=0.5):
    """GFLOP/s of NumPy's matmul for (m, k) @ (k, n) in this dtype."""
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    c = np.empty((m, n), dtype)
    np.matmul(a, b, out=c)
    reps, t0 = 0, time.perf_counter()
    best = float("inf")
    while time.perf_counter() - t0 < seconds:
        t1 = time.perf_counter()
        np.matmul(a, b, out=c)
        best = min(best, time.perf_counter() - t1)
        reps += 1
    return 2.0 * m * k * n / best / 1e9


fns = {"numpy (fused)": numpy_step, "torch nn.LSTM": torch_step}
if args.teaching:
    fns["numpy (teaching path)"] = teaching_step
    fns["numpy (plain fused loop)"] = plain_fused_step
times = {name: [] for name in fns}
for fn in fns.values():  # warm up
    fn()
    fn()
for _ in range(args.rounds):
    for name, fn in fns.items():
        time.sleep(0.2)  # let the other library's worker threads go idle
        times[name] += timed(fn, args.runs if name in ("numpy (fused)", "torch nn.LSTM") else 1)

flops = 24.0 * T * B * H * (H + D)  # GEMM flops: forward 8TBH(H+D), backward 8TBH(2H+2D)
step_rate = gemm_rate(B, H, 4 * H)  # the recurrent product of one step
big_rate = gemm_rate(T * B // 4, H + D, 4 * H)

print(f"LSTM forward+backward, B={B} T={T} D={D} H={H} {dtype}, standard variant")
print(
    f"threads: {args.threads} for NumPy's BLAS (OPENBLAS/OMP/MKL_NUM_THREADS) and "
    f"torch.set_num_threads; numpy {np.__version__}, torch {torch.__version__}; "
    f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
)
print(f"gradient agreement numpy vs torch (max rel. diff): {check_same_gradients():.1e}")
stats = {}
print(f"{'':26s}{'wall min':>10s}{'median':>10s}{'CPU min':>10s}{'median':>10s}   runs")
for name, ts in times.items():
    ms = 1e3 * np.array(ts)  # (runs, 2): wall, CPU
    stats[name] = (ms.min(axis=0), np.median(ms, axis=0))
    print(
        f"  {name:24s}{ms[:, 0].min():10.2f}{np.median(ms[:, 0]):10.2f}"
        f"{ms[:, 1].min():10.2f}{np.median(ms[:, 1]):10.2f}   {len(ts)}   (ms)"
    )
(n_min, n_med), (t_min, t_med) = stats["numpy (fused)"], stats["torch nn.LSTM"]
print(
    f"ratio numpy / torch, wall: {n_min[0] / t_min[0]:.2f} (min) {n_med[0] / t_med[0]:.2f} "
    f"(median);  CPU: {n_min[1] / t_min[1]:.2f} (min) {n_med[1] / t_med[1]:.2f} (median)"
)
print(f"matrix-product work: {flops / 1e9:.2f} GFLOP per forward+backward")
print(
    f"NumPy GEMM rate: {step_rate:.1f} GFLOP/s for one step's ({B},{H})@({H},{4 * H}), "
    f"{big_rate:.1f} GFLOP/s for a ({T * B // 4},{H + D})@({H + D},{4 * H})"
)
for label, ms in (("wall", n_min[0]), ("CPU", n_min[1])):
    achieved = flops / (ms / 1e3) / 1e9
    print(
        f"NumPy path achieves {achieved:.1f} GFLOP/s by {label} min = "
        f"{100 * achieved / step_rate:.0f}% of the per-step GEMM rate"
    )
print("(the rest of the time goes to elementwise work: exp, products, sums, and Python overhead)")
