"""NumPy (lstm_course.fused) vs torch.nn.LSTM on the CPU: forward + backward, one process.

    python benchmarks/bench_lstm.py                 # B=64 T=100 D=32 H=128 float32, 1 thread
    python benchmarks/bench_lstm.py --threads 2     # both libraries on 2 threads

Both sides use the same number of threads: the BLAS/OpenMP variables are set before NumPy is
imported, torch.set_num_threads gets the same number, and the NumPy path runs with
fused_forward(..., threads=N) (the batch split over N threads, the BLAS at one thread each;
--numpy-blas-threads keeps the NumPy path on one Python thread with an N-thread BLAS instead).
The CPU model, the BLAS in use (threadpoolctl, when installed) and the load average are
printed with the figures, so each figure says where it was measured. Both compute the same things:
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
ap.add_argument(
    "--numpy-blas-threads",
    action="store_true",
    help="NumPy path on one Python thread with an N-thread BLAS (the old way) instead of "
    "fused_forward(threads=N)",
)
ap.add_argument("--rounds", type=int, default=6, help="alternating blocks per library")
ap.add_argument("--runs", type=int, default=3, help="timed runs per block")
ap.add_argument(
    "--teaching",
    action="store_true",
    help="also time the per-gate teaching path and a plain fused loop",
)
args = ap.parse_args()

try:
    import threadpoolctl  # noqa: E402  (pure Python: it loads no BLAS by itself)
except ImportError:
    threadpoolctl = None

split = 1 if args.numpy_blas_threads else args.threads  # fused_forward(threads=split)
# fused_forward(threads=N) holds the BLAS at one thread per part through threadpoolctl; without
# it, start the BLAS at one thread (torch still gets N through torch.set_num_threads)
blas_threads = 1 if split > 1 and threadpoolctl is None else args.threads
for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(blas_threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)

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
    _, _, cache = fused_forward(
        events, params, variant="standard", return_cache=True, threads=split
    )
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


def split_gemm_rate(m, k, n, parts):
    """The ceiling of the products in fused_forward(threads=parts): `parts` cores, each
    running (m/parts, k) @ (k, n) on one BLAS thread (best single call, so robust to load)."""
    if parts == 1:
        return gemm_rate(m, k, n)
    if threadpoolctl is None:  # then the BLAS was started at one thread
        return parts * gemm_rate(-(-m // parts), k, n)
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        return parts * gemm_rate(-(-m // parts), k, n)


def cpu_model():
    """'model name (family/model/stepping, SIMD flags)' from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().split("\n\n")[0].splitlines()  # the first CPU
    except OSError:
        import platform

        return platform.processor() or "unknown CPU"
    info = dict((k.strip(), v.strip()) for k, _, v in (ln.partition(":") for ln in lines))
    simd = "+".join(f for f in ("avx512f", "avx2", "fma") if f in info.get("flags", "").split())
    return (
        f"{info.get('model name', '?')} (family {info.get('cpu family', '?')} model "
        f"{info.get('model', '?')} stepping {info.get('stepping', '?')}, {simd})"
    )


def blas_info():
    """One line per BLAS / OpenMP library loaded in this process (threadpoolctl)."""
    if threadpoolctl is None:
        return ["threadpoolctl not installed (pip install threadpoolctl): BLAS kernel unknown"]
    out = []
    for i in threadpoolctl.threadpool_info():
        kernel = i.get("architecture") or i.get("corename")
        out.append(
            f"{i.get('user_api')}: {i.get('internal_api')} {i.get('version') or ''}"
            + (f", kernel {kernel}" if kernel else "")
            + f", {i.get('num_threads')} thread(s) ({os.path.basename(i['filepath'])})"
        )
    return out


fns = {"numpy (fused)": numpy_step, "torch nn.LSTM": torch_step}
if args.teaching:
    fns["numpy (teaching path)"] = teaching_step
    fns["numpy (plain fused loop)"] = plain_fused_step
times = {name: [] for name in fns}
load_before = os.getloadavg()
for fn in fns.values():  # warm up
    fn()
    fn()
for _ in range(args.rounds):
    for name, fn in fns.items():
        time.sleep(0.2)  # let the other library's worker threads go idle
        times[name] += timed(fn, args.runs if name in ("numpy (fused)", "torch nn.LSTM") else 1)

load_after = os.getloadavg()
flops = 24.0 * T * B * H * (H + D)  # GEMM flops: forward 8TBH(H+D), backward 8TBH(2H+2D)
step_rate = gemm_rate(B, H, 4 * H)  # the recurrent product of one step, BLAS on N threads
big_rate = gemm_rate(T * B // 4, H + D, 4 * H)
ref_rate = step_rate if split == 1 else split_gemm_rate(B, H, 4 * H, split)  # the ceiling

print(f"LSTM forward+backward, B={B} T={T} D={D} H={H} {dtype}, standard variant")
print(
    f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; torch CPU capability "
    f"{torch.backends.cpu.get_cpu_capability()}"
)
for line in blas_info():
    print(f"BLAS/OpenMP in this process: {line}")
numpy_how = (
    f"fused_forward(threads={split}) with the BLAS at 1 thread "
    + ("during the call" if threadpoolctl else "(OPENBLAS/MKL_NUM_THREADS=1: no threadpoolctl)")
    if split > 1
    else f"one Python thread, BLAS on {blas_threads} thread(s)"
)
print(
    f"threads: {args.threads} (OPENBLAS/OMP/MKL_NUM_THREADS, torch.set_num_threads); NumPy: "
    f"{numpy_how}; numpy {np.__version__}, torch {torch.__version__}, Python "
    f"{sys.version.split()[0]}"
)
print(
    "load average (1, 5, 15 min): before "
    + " ".join(f"{x:.2f}" for x in load_before)
    + ", after "
    + " ".join(f"{x:.2f}" for x in load_after)
    + f" on {os.cpu_count()} CPUs"
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
    f"ratio numpy / torch at {args.threads} thread(s): MEDIAN wall {n_med[0] / t_med[0]:.2f}, "
    f"min wall {n_min[0] / t_min[0]:.2f};  CPU time: median {n_med[1] / t_med[1]:.2f}, "
    f"min {n_min[1] / t_min[1]:.2f}"
)
print(f"matrix-product work: {flops / 1e9:.2f} GFLOP per forward+backward")
print(
    f"NumPy GEMM rate, BLAS on {blas_threads} thread(s): {step_rate:.1f} GFLOP/s for one "
    f"step's ({B},{H})@({H},{4 * H}), {big_rate:.1f} GFLOP/s for a "
    f"({T * B // 4},{H + D})@({H + D},{4 * H})"
)
if split > 1:
    print(
        f"NumPy GEMM rate for fused_forward(threads={split}): {split} x the 1-BLAS-thread rate "
        f"of ({-(-B // split)},{H})@({H},{4 * H}) = {ref_rate:.1f} GFLOP/s (its ceiling)"
    )
for label, ms in (("median wall", n_med[0]), ("min wall", n_min[0])):
    achieved = flops / (ms / 1e3) / 1e9
    print(
        f"NumPy path achieves {achieved:.1f} GFLOP/s by {label} time = GEMM fraction "
        f"{100 * achieved / ref_rate:.0f}% of {ref_rate:.1f} GFLOP/s"
    )
cores = max(split, blas_threads)  # the cores the NumPy path's products may use
for label, ms in (("median CPU", n_med[1]), ("min CPU", n_min[1])):
    per_core = flops / (ms / 1e3) / 1e9  # per CPU-second: what one busy core achieves
    print(
        f"NumPy path achieves {per_core:.1f} GFLOP per CPU-second by {label} time = "
        f"{100 * per_core * cores / ref_rate:.0f}% of the per-core GEMM rate "
        f"{ref_rate / cores:.1f} (steadier on a loaded machine)"
    )
print("(the rest of the time goes to elementwise work: exp, products, sums, and Python overhead)")
