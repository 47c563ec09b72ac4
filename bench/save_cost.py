"""Benchmark: what the spy's periodic saves cost a busy process.

Runs a CPU-bound workload in a measured process (the spy's sitecustomize, the spy lib's coverage.py) with
save_interval 0 (off), 5 (the default), 1 and 0.2 seconds, and without coverage at all, a few rounds each;
prints the median wall time and the overhead against "off".
    COVERAGE_SPY_LIB=... python3 bench/save_cost.py [rounds]
"""

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.join(HERE, "..", "coverage-spy", "site")
WORK = textwrap.dedent(
    """\
    import time

    def score(n):
        total = 0
        for i in range(n):
            if i % 3 == 0:
                total += i
            elif i % 5 == 0:
                total -= 1
            else:
                total ^= i
        return total

    started = time.perf_counter()
    for _ in range(150):
        score(100_000)
    print(time.perf_counter() - started)
    """
)


def run(tmp, interval):
    """Wall time of one workload run: measured with saves every `interval` s ("0": none), or unmeasured (None)."""
    env = dict(os.environ)
    app = os.path.join(tmp, "app")
    if interval is not None:
        rc = os.path.join(tmp, f"rc-{interval}")
        with open(rc, "w") as f:
            f.write(f"[run]\nparallel = true\nsource =\n    {app}\n[coverage_spy]\nsave_interval = {interval}\n")
        env.update(
            PYTHONPATH=os.pathsep.join([SITE, os.environ["COVERAGE_SPY_LIB"], app]),
            COVERAGE_PROCESS_START=rc,
            COVERAGE_FILE=os.path.join(tmp, "data", ".coverage"),
        )
    else:
        env.update(PYTHONPATH=app)
    out = subprocess.run([sys.executable, "-m", "work"], env=env, check=True, capture_output=True, text=True).stdout
    return float(out.strip())


def main():
    """Runs every variant `rounds` times (argv[1], default 5) and prints the medians."""
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "app"))
        os.makedirs(os.path.join(tmp, "data"))
        with open(os.path.join(tmp, "app", "work.py"), "w") as f:
            f.write(WORK)
        results = {}
        for label, interval in (
            ("no coverage", None),
            ("saves off", "0"),
            ("every 5 s", "5"),
            ("every 1 s", "1"),
            ("every 0.2 s", "0.2"),
        ):
            results[label] = statistics.median(run(tmp, interval) for _ in range(rounds))
        off = results["saves off"]
        print(f"Python {sys.version_info[0]}.{sys.version_info[1]}, median of {rounds} rounds")
        for label, seconds in results.items():
            print(f"{label:<12} {seconds:.3f} s  {(seconds / off - 1) * 100:+.1f}% vs saves off")


if __name__ == "__main__":
    main()
