"""What the numbers depend on: thread count, library versions, BLAS kernel, environment."""

from __future__ import annotations

import os
import platform

import numpy as np

# Variables that change BLAS or OpenMP behaviour; any that are set go in the header.
_ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "GOTO", "BLIS_", "KMP_", "GOMP_", "NVPL_",
                 "VECLIB_", "TORCH_")


def torch_or_none():
    """The torch module, or None if `import torch` fails."""
    try:
        import torch
    except Exception:  # noqa: BLE001 - any failure means "not installed" for the benchmark
        return None
    return torch


def _threadpool_info() -> list[dict] | None:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return threadpool_info()


def numpy_blas() -> dict | None:
    """threadpoolctl's entry for NumPy's own BLAS (None without threadpoolctl)."""
    info = _threadpool_info()
    if info is None:
        return None
    blas = [d for d in info if d.get("user_api") == "blas"]
    for d in blas:
        if "numpy" in d.get("filepath", ""):
            return d
    return blas[0] if blas else None


def numpy_threads() -> tuple[int, str]:
    """NumPy's BLAS thread count and where it came from."""
    blas = numpy_blas()
    if blas is not None:
        return int(blas["num_threads"]), "NumPy's BLAS, per threadpoolctl"
    return os.cpu_count() or 1, "os.cpu_count(); threadpoolctl not installed"


def limit_blas_threads(n: int) -> None:
    """Set NumPy's BLAS to n threads (needs threadpoolctl) for the rest of the process."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise SystemExit("--threads needs threadpoolctl (pip install threadpoolctl)") from None
    global _limits
    _limits = threadpool_limits(n, user_api="blas")


_limits = None


def env_vars() -> dict[str, str]:
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(_ENV_PREFIXES)}


def header_lines(threads: int, threads_source: str, torch) -> list[str]:
    """Markdown bullet lines describing the machine and libraries."""
    lines = [
        f"- machine: {platform.system()} {platform.machine()}, {os.cpu_count()} logical CPUs; "
        f"Python {platform.python_version()}",
        f"- NumPy {np.__version__}; PyTorch "
        + (f"{torch.__version__}" if torch is not None else "not installed"),
        f"- threads: {threads} for every contender ({threads_source}"
        + ("; `torch.set_num_threads` set to match)" if torch is not None else ")"),
    ]
    blas = numpy_blas()
    if blas is None:
        lines.append("- NumPy BLAS: unknown (threadpoolctl not installed)")
    else:
        library = os.path.basename(blas["filepath"])
        lines.append(f"- NumPy BLAS: {blas.get('internal_api')} {blas.get('version')}, kernel "
                     f"{blas.get('architecture')}, {blas.get('threading_layer')} threading, "
                     f"{_plural(blas.get('num_threads'), 'thread')} (`{library}`)")
    if torch is not None:
        config = torch.__config__.show()
        blas_info = next((part.split("=", 1)[1] for part in config.replace(",", "\n").split()
                          if part.startswith("BLAS_INFO=")), "unknown")
        capability = next((line.split(":", 1)[1].strip() for line in config.splitlines()
                           if "CPU capability usage" in line), "unknown")
        lines.append(f"- PyTorch BLAS: {blas_info}, CPU capability {capability}, "
                     f"{_plural(torch.get_num_threads(), 'intra-op thread')}")
    found = env_vars()
    if found:
        lines.append("- environment: " + ", ".join(f"`{k}={v}`" for k, v in found.items()))
    else:
        lines.append("- environment: no OPENBLAS_/OMP_/MKL_ variables set")
    return lines


def gemm_gflops(threads: int | None = None, n: int = 512, repeats: int = 15) -> float:
    """float32 n×n×n matrix-product speed in GFLOP/s (median), with NumPy's BLAS limited to
    `threads` if given: a machine-state probe, printed beside the results."""
    import time
    from contextlib import nullcontext

    limit = nullcontext()
    if threads is not None:
        try:
            from threadpoolctl import threadpool_limits
            limit = threadpool_limits(threads, user_api="blas")
        except ImportError:
            pass
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    times = []
    with limit:
        a @ a
        for _ in range(repeats):
            t0 = time.perf_counter()
            a @ a
            times.append(time.perf_counter() - t0)
    return 2 * n ** 3 / float(np.median(times)) / 1e9


def looks_busy(threads: int) -> bool | None:
    """A quick probe (tens of ms when idle): are `threads` BLAS threads barely faster than one?
    None with one thread, where the probe cannot tell."""
    if threads == 1:
        return None
    return gemm_gflops(n=384, repeats=7) < 1.3 * gemm_gflops(1, n=384, repeats=7)


def busy_check(threads: int) -> tuple[str, bool]:
    """A header line with the GEMM probe, and whether the machine looks busy: `threads`
    threads barely faster than one means other programs hold the cores."""
    one = gemm_gflops(1)
    if threads == 1:
        return f"- machine state: 512³ float32 GEMM at {one:.0f} GFLOP/s on 1 thread", False
    many = gemm_gflops()
    line = (f"- machine state: 512³ float32 GEMM at {many:.0f} GFLOP/s on {threads} threads, "
            f"{one:.0f} on 1")
    busy = many < 1.3 * one
    if busy:
        line += (f". **Warning: {threads} threads are barely faster than 1, so other programs "
                 f"are using the cores; multi-threaded timings are unreliable now (rerun when "
                 f"the machine is idle, or use `--cpu-time`)**")
    return line, busy


def _plural(n, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def load_average() -> str:
    """The 1-minute load average, or "unknown"; above ~1 other programs compete for the cores."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"
