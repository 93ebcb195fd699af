"""Book build time: a clean build, then a rebuild with nothing changed.

    python -m bench.book_build

Builds into a temporary folder (the repository's _build/ is left alone) with the same
command as `make book`, and reads each page's execution time from Jupyter's cache.
Targets: a clean build in at most 5 minutes; a no-change rebuild in at most 20 s; no page
executing for more than 60 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def build(out: Path) -> float:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    start = time.perf_counter()
    subprocess.run([str(BIN / "jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going",
                    "--path-output", str(out)], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    from jupyter_cache import get_cache

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        clean = build(out)
        rebuild = build(out)
        records = get_cache(out / "_build" / ".jupyter_cache").list_cache_records()
        pages = sorted(((r.data.get("execution_seconds") or 0.0, Path(r.uri).relative_to(ROOT))
                        for r in records), reverse=True)
    total = sum(s for s, _ in pages)
    print("| measure | seconds | target |")
    print("|---|---:|---|")
    print(f"| clean build | {clean:.0f} | ≤ 300 {'PASS' if clean <= 300 else 'MISS'} |")
    print(f"| no-change rebuild | {rebuild:.1f} | ≤ 20 {'PASS' if rebuild <= 20 else 'MISS'} |")
    print(f"| slowest page ({pages[0][1]}) | {pages[0][0]:.1f} | ≤ 60 "
          f"{'PASS' if pages[0][0] <= 60 else 'MISS'} |")
    print(f"| execution of all {len(pages)} pages | {total:.0f} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
