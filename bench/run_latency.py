"""A trivial script's created -> completed time through the engine, over a bare spawn.

    .venv/bin/python bench/run_latency.py [--runs 60]

Baseline: the same interpreter running the same script with subprocess.run, in the
environment the engine gives it, output to a pipe. Engine: services.execute with the
thread pool; created_at -> completed_at as the row records them. Target: at most 1.10x.
Stricter: from calling execute() (validation, audit event, insert) to seeing the finished
row, as a client that waits does. Target: at most 1.30x.
"""

import argparse
import statistics
import subprocess
import time

from common import bench_user, percentile, setup, wait_finished


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    options = parser.parse_args()
    setup(EXECUTOR_BACKEND="thread", EXECUTOR_MAX_WORKERS=1)

    from tasks import services
    from tasks.catalog import get_catalog
    from tasks.executor.backends import get_backend
    from tasks.executor.environment import child_environment

    user = bench_user()
    entry = get_catalog().get("trivial")
    env = child_environment()
    argv = entry.argv([])
    backend = get_backend()
    backend.start()
    time.sleep(0.3)

    baseline, engine, observed = [], [], []
    for _ in range(options.runs):
        # Interleaved, so that both see the same machine load.
        started = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        task = services.execute(user, "trivial")
        task = wait_finished(task.pk)
        observed.append(time.perf_counter() - started)
        assert task.status == "success", task.error
        engine.append((task.completed_at - task.created_at).total_seconds())
        time.sleep(0.01)
    backend.shutdown()

    base, eng = statistics.median(baseline), statistics.median(engine)
    print(f"runs: {options.runs}")
    for name, median, values in (("bare spawn", base, baseline), ("engine", eng, engine)):
        p95 = percentile(values, 0.95)
        print(f"{name:16s} median {median * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms")
    print(f"ratio engine/bare (median): {eng / base:.3f}x   (target <= 1.10x)")
    # Stricter: from the call (validation, audit, insert) to the finished row being seen.
    seen = statistics.median(observed)
    print(
        f"execute() call -> finished row seen: median {seen * 1000:.2f} ms, "
        f"{seen / base:.3f}x   (target <= 1.30x)"
    )
    print("baseline: subprocess.run() of the same script in the engine's environment")


if __name__ == "__main__":
    main()
