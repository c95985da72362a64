"""Image batches of several processes in one data directory at once, counted.

Each process runs one-picture batches (`ImageStore.batch`, as an import or a worker's job does)
into the same folder for a while, every other one rolled back, so batches keep ending and
removing the folders they left empty while the others write. A batch that raises is counted;
the exit status is 1 if any did. Usage:

    python scripts/concurrent_images.py [--processes 2] [--seconds 20] [--code CHECKOUT]

`--code` imports vitrine from another checkout (e.g. a `git worktree` of an older commit), to
measure it side by side with this one.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def batches(code: str, root: str, tag: int, seconds: float, results) -> None:
    sys.path.insert(0, code)
    import numpy as np

    try:
        from vitrine.storage.images import ImageStore, encode_png
    except ModuleNotFoundError:  # a checkout from before the storage package
        from vitrine.catalog.images import ImageStore, encode_png
    images = ImageStore(Path(root))
    failures: Counter = Counter()
    done, end = 0, time.time() + seconds
    while time.time() < end:
        done += 1
        picture = np.full((2, 2, 3), (tag, done % 256, done // 256 % 256), np.uint8)  # a new file each time
        try:
            with images.batch() as batch:
                batch.put(encode_png(picture))
                if done % 2:
                    batch.rollback()
        except Exception as exc:  # noqa: BLE001 — a failed batch is what this counts
            failures[type(exc).__name__] += 1
    results.put((done, dict(failures)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--processes", type=int, default=2, choices=range(2, 17), metavar="2..16")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each process writes")
    parser.add_argument("--code", default=str(REPO), help="the checkout whose vitrine package is measured")
    args = parser.parse_args()
    if not any((Path(args.code) / "vitrine" / package / "images.py").is_file() for package in ("storage", "catalog")):
        parser.error(f"--code {args.code}: not a Vitrine checkout")
    if not 0 < args.seconds <= 600:
        parser.error(f"--seconds {args.seconds:g}: give 0 < seconds <= 600")
    results = multiprocessing.Queue()
    with tempfile.TemporaryDirectory(prefix="vitrine-images-") as root:
        workers = [multiprocessing.Process(target=batches, args=(args.code, root, k, args.seconds, results))
                   for k in range(args.processes)]
        for worker in workers:
            worker.start()
        counts = [results.get(timeout=args.seconds + 60) for _ in workers]
        for worker in workers:
            worker.join()
    total = sum(done for done, _ in counts)
    failed = sum((Counter(f) for _, f in counts), Counter())
    share = sum(failed.values()) / max(total, 1)
    kinds = ", ".join(f"{name} {n:,}" for name, n in failed.most_common())
    print(f"{args.code}: {total:,} batches in {args.processes} processes, {sum(failed.values()):,} failed "
          f"({share:.2%}){': ' + kinds if kinds else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
