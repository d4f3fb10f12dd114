"""A large CSV checked with ``import --dry-run``, as an administrator would: time and peak memory.

    .venv/bin/python benchmarks/import_dry_run.py [--rows 274664]

Target (issue 14, item 13): the 274,664-row CSV of the report (50 MB there; this generator's rows
are longer, about 68 MB) is checked in at most 2 minutes and 300 MB. The file holds referral rows
only, made by ``import_export.generate`` from the real scheme files (nothing is refused). The dry run
runs in a process of its own, which reports its own peak resident memory (VmHWM in
/proc/self/status, on Linux). Not ``ru_maxrss``: a child started by subprocess (vfork, then exec)
starts its ``ru_maxrss`` from the parent's peak, here the generated rows' hundreds of MB. Its CPU
time is reported too, since on a shared machine the wall time also counts waiting.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_export import generate

from diversion_desktop.spreadsheets import import_format as fmt
from diversion_desktop.spreadsheets.writer import write_csv

TARGET_S = 120.0
TARGET_MB = 300.0
# The command, in a process that prints its own peak memory (KiB) last on stderr.
CHILD = """
import resource, sys
from diversion_desktop.cli import main
try:
    code = main(sys.argv[1:])
finally:
    try:
        with open("/proc/self/status") as status:
            peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    except OSError:  # not Linux: ru_maxrss (may include the parent's peak)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
    print("peak-kib", peak, file=sys.stderr)
sys.exit(code)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=274_664)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        path = folder / "pilot.csv"
        referrals, _appointments = generate(args.rows, 0)
        write_csv(path, fmt.REFERRAL_SHEET_COLUMNS, referrals)
        del referrals
        print(f"{args.rows:,} referral rows, {path.stat().st_size / 1e6:.1f} MB")
        command = [
            sys.executable,
            "-c",
            CHILD,
            "import",
            str(path),
            "--dry-run",
            "--quiet",
            "--database",
            f"sqlite:///{(folder / 'bench.sqlite3').as_posix()}",
        ]
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        elapsed = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = int(result.stderr.split("peak-kib")[-1].split()[0]) / 1024
        print(result.stdout.strip().splitlines()[-4:] if result.stdout else result.stderr[-2000:])
        print(
            f"  dry run: {elapsed:.1f} s wall ({usage.ru_utime + usage.ru_stime:.1f} s CPU), "
            f"peak {peak_mb:.0f} MB (targets {TARGET_S:.0f} s, {TARGET_MB:.0f} MB)"
        )
        return 0 if elapsed <= TARGET_S and peak_mb <= TARGET_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
