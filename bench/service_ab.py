"""Two checkouts of Vitrine serving the same store, measured in alternation: did a change make the
service slower? Both servers run at once on loopback (one is idle while the other is measured);
each round measures A then B (then B then A, alternately) with wrk, so drift on a shared
machine falls on both.

    python bench/service_ab.py OTHER_CHECKOUT [--data-dir vitrine-data] [--rounds 6] [--seconds 5]

A is OTHER_CHECKOUT (e.g. a `git worktree` of an older commit), B this checkout. Rows:
recommendations (k=20, a random warm shopper per request), item detail and a filtered page, at 16
connections. Prints medians and B/A ratios; writes bench/results/service_ab.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    from bench.service_speed import USERS_LUA, start_server, stop_server, wrk
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", help="the other checkout's folder (A)")
    parser.add_argument("--data-dir", default="vitrine-data", help="the demo store, with a fitted recommender")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "service_ab.json"))
    args = parser.parse_args()
    from vitrine.storage.store import Store
    users = random.Random(0).sample(Store(args.data_dir, create=False).user_ids(), 2000)
    script = Path(tempfile.mkdtemp(prefix="vitrine-ab-")) / "users.lua"
    script.write_text(USERS_LUA % (0, ",".join(f'"{u}"' for u in users)))
    servers = {"A": start_server(args.data_dir, 1, str(Path(args.other).resolve())),
               "B": start_server(args.data_dir, 1, str(REPO))}
    rows = {"recommendations (k=20)": ("/", str(script)), "item detail": ("/items/fm-00042", None),
            "items, 3 filters, 24 per page": ("/items?category=coat&category=dress&colour=red&max_price=80&limit=24",
                                              None)}
    runs = {label: {"A": [], "B": []} for label in rows}
    try:
        for name, (_, base, _) in servers.items():
            for path, lua in rows.values():
                wrk(base + path, 4, 2, lua)  # warm-up
        for r in range(args.rounds):
            for name in ("A", "B") if r % 2 == 0 else ("B", "A"):
                base = servers[name][1]
                for label, (path, lua) in rows.items():
                    runs[label][name].append(wrk(base + path, args.connections, args.seconds, lua))
            print(f"round {r + 1}/{args.rounds}", flush=True)
    finally:
        for server, _, _ in servers.values():
            stop_server(server)
    result = {"a": str(Path(args.other).resolve()), "b": str(REPO), "connections": args.connections,
              "seconds": args.seconds, "rounds": args.rounds, "rows": []}
    print(f"| endpoint (c={args.connections}) | A req/s | B req/s | B/A | A p99 ms | B p99 ms |\n|---|---:|---:|---:|---:|---:|")
    for label, by in runs.items():
        a, b = (statistics.median(x["rps"] for x in by[k]) for k in "AB")
        pa, pb = (statistics.median(x["p99_ms"] for x in by[k]) for k in "AB")
        result["rows"].append({"endpoint": label, "a_rps": a, "b_rps": b, "ratio": b / a, "a_p99_ms": pa,
                               "b_p99_ms": pb, "runs": by})
        print(f"| {label} | {a:.0f} | {b:.0f} | {b / a:.2f} | {pa:.0f} | {pb:.0f} |")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
