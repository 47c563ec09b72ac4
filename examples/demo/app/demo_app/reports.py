"""Reports are produced by a separate Python program, run as a subprocess (its coverage must be measured too)."""
import json
import subprocess
import sys


def generate(kind):
    result = subprocess.run(
        [sys.executable, "-m", "demo_app.worker_task", kind], capture_output=True, text=True, timeout=30
    )
    if result.returncode != 0:
        return {"kind": kind, "error": result.stderr.strip()}
    return json.loads(result.stdout)
