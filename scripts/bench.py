"""Run every benchmark script in scripts/ (bench_*.py) one after another."""

import os
import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
failed = 0
only = os.environ.get("BENCH_ONLY", "")  # e.g. BENCH_ONLY=casestudies runs bench_casestudies.py alone
for script in sorted(here.glob(f"bench_*{only}*.py")):
    print(f"\n=== {script.name} ===", flush=True)
    failed |= subprocess.call([sys.executable, str(script), *sys.argv[1:]])
sys.exit(failed)
