"""A local tf.distribute cluster for tests and benchmarks: worker processes on loopback ports, always reaped.

`run_job("gan", root, "multi_worker", workers=2)` starts 2 processes of tests/scale/jobs.py, each in
its own folder root/worker<i> (its own checkout, as on separate machines) with TF_CONFIG naming
127.0.0.1:<free port> for every worker, waits for all of them (at most `timeout` seconds) and kills
every process group still alive when it returns or fails.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
JOBS = Path(__file__).with_name("jobs.py")


def free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (held open together while picked)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def worker_env(tf_config_text: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update(PYTHONPATH=str(REPO), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2", OMP_NUM_THREADS="1",
               TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1",
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "grpc_proxy"):
        env.pop(proxy, None)  # gRPC between the workers must stay on loopback
    if tf_config_text:
        env["TF_CONFIG"] = tf_config_text
    return env


class JobFailed(AssertionError):
    pass


def run_job(job: str, root: Path, strategy: str, workers: int = 1, timeout: float = 120.0) -> list[dict]:
    """Run `job` on `workers` processes (multi_worker) or one (none / mirrored); job.json of each worker.

    Raises JobFailed (with the tail of each worker's log) when one fails or the time runs out."""
    return run_jobs(job, {strategy: (strategy, Path(root), workers, {})}, timeout)[strategy]


def run_jobs(job: str, runs: dict, timeout: float = 120.0) -> dict:
    """Several runs of `job` at once: {label: (strategy, root, workers, extra env)} -> {label: [job.json of
    each worker]}. Every process runs in its own session; all are killed when this returns or raises."""
    procs = []  # (proc, work folder, log file)
    t0 = time.time()
    try:
        for strategy, root, workers, env in runs.values():
            ports = free_ports(workers) if strategy == "multi_worker" else []
            for i in range(workers):
                work = Path(root) / f"worker{i}"
                work.mkdir(parents=True, exist_ok=True)
                log = open(work / "log.txt", "w")
                procs.append((subprocess.Popen(
                    [sys.executable, str(JOBS), job, strategy, str(work)], cwd=work,
                    env={**worker_env(tf_config(ports, i) if ports else None), **env},
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True), work, log))
        for proc, work, _ in procs:
            try:
                proc.wait(timeout=max(timeout - (time.time() - t0), 0.1))
            except subprocess.TimeoutExpired:
                raise JobFailed(f"{job}: still running after {timeout:.0f} s\n" + _logs(procs)) from None
            if proc.returncode:
                raise JobFailed(f"{job}: {work} exited {proc.returncode}\n" + _logs(procs))
    finally:
        for proc, _, log in procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
            log.close()
    out = {}
    for label, (_, root, workers, _) in runs.items():
        out[label] = [json.loads((Path(root) / f"worker{i}" / "job.json").read_text())
                         | {"dir": str(Path(root) / f"worker{i}")} for i in range(workers)]
    return out


def _logs(procs) -> str:
    out = []
    for _, work, log in procs:
        log.flush()
        text = (work / "log.txt").read_text(errors="replace").strip().splitlines()
        out.append(f"--- {work.name} ---\n" + "\n".join(text[-25:]))
    return "\n".join(out)
