"""reports/ab: `vitrine simulate-ab` against `vitrine serve`, on a copy of the demo store.

The copy (the database, pictures and fitted recommender; not the text-vector cache or the drawn
people) takes the test's events, so the demo store is left as it was; the server listens on a
free loopback port and is stopped at the end, the copy removed.

    python scripts/ab_report.py [--data-dir vitrine-data] [--model DIR] [-- more simulate-ab flags]

e.g. `python scripts/ab_report.py -- --visits 5000 --visits-per-shopper 5`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LEFT_OUT = ("cache", "people")  # large, and read by neither the service's lists nor its designs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="vitrine-data", help="the demo store, with a fitted recommender")
    parser.add_argument("--model", help="the generator the service designs with (default: the service's own choice)")
    parser.add_argument("--out", default=str(REPO / "reports" / "ab"))
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="after --: flags of `vitrine simulate-ab`")
    args = parser.parse_args()
    from bench.service_speed import start_server, stop_server
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    with tempfile.TemporaryDirectory(prefix="vitrine-ab-") as work:
        copy = Path(work) / "data"
        print(f"copying {args.data_dir} → {copy} (without {', '.join(LEFT_OUT)})", flush=True)
        shutil.copytree(args.data_dir, copy, ignore=lambda folder, names: [n for n in names if n in LEFT_OUT
                                                                          and Path(folder) == Path(args.data_dir)])
        server, base, client = start_server(str(copy), 1, extra=("--model", args.model) if args.model else ())
        try:
            made_by = " ".join(["python scripts/ab_report.py", *(["--model", args.model] if args.model else []),
                                *(["--", *rest] if rest else [])])
            command = [str(Path(sys.executable).parent / "vitrine"), "--data-dir", str(copy), "simulate-ab",
                       "--url", base, "--out", args.out, "--made-by", made_by, *rest]
            status = subprocess.call(command)
        finally:
            client.close()
            stop_server(server)
    if status:
        raise SystemExit(status)


if __name__ == "__main__":
    main()
