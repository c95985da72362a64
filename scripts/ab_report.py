"""reports/ab: `vitrine simulate-ab` against `vitrine serve`, on a copy of the demo store.

The copy (the database, pictures and fitted recommender; not the text-vector cache or the drawn
people) takes the test's events, so the demo store is left as it was; the server listens on a
free loopback port and is stopped at the end, the copy removed.

With --hide SHARE, the copy is first made into a shop where a seeded random SHARE of the items
have no photo (their photo links removed, as in the previews report) and every one of them has a
generated preview (`vitrine studio previews`), for the previews arm. That shop is kept in
--prepared when given, and reused by later runs with the same settings (making the previews is
the slow part); each run then works on a copy of it.

    python scripts/ab_report.py [--data-dir vitrine-data] [--model DIR] [--hide 0.3 …] [-- more simulate-ab flags]

e.g. `python scripts/ab_report.py -- --visits 5000 --visits-per-shopper 5`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LEFT_OUT = ("cache", "people")  # large, and read by neither the service's lists nor its designs
PREPARED_FILE = "ab-hidden.json"  # in a prepared shop: the settings it was made with


def copy_store(source: Path, target: Path) -> None:
    print(f"copying {source} → {target} (without {', '.join(LEFT_OUT)})", flush=True)
    shutil.copytree(source, target, ignore=lambda folder, names: [n for n in names if n in LEFT_OUT
                                                                  and Path(folder) == source])


def prepare_hidden(source: Path, target: Path, settings: dict) -> None:
    """`target`: a copy of `source` whose seeded `hide` share of items with photos have none, and
    a preview each instead; left as it is when it was made with the same settings."""
    import numpy as np

    from vitrine.storage.store import Store
    marker = target / PREPARED_FILE
    if marker.exists() and json.loads(marker.read_text()).get("settings") == settings:
        print(f"{target}: made with these settings already", flush=True)
        return
    if target.exists():
        shutil.rmtree(target)
    copy_store(source, target)
    store = Store(target, create=False)
    with_photo = sorted(item_id for item_id, _ in store.main_photos())
    rng = np.random.default_rng(settings["seed"])
    hidden = sorted(with_photo[k] for k in rng.choice(len(with_photo), int(round(settings["hide"] * len(with_photo))),
                                                      replace=False))
    with store.loading() as load:
        removed = load.detach_photos(hidden)
    print(f"{len(hidden):,} of {len(with_photo):,} items' photos hidden ({removed:,} links)", flush=True)
    previews = [str(Path(sys.executable).parent / "vitrine"), "--data-dir", str(target), "studio", "previews",
                "-n", str(settings["candidates"]), "-o", str(target / "previews.png"),
                *(["--model", settings["model"]] if settings["model"] else []),
                *(["--steps", str(settings["steps"])] if settings["steps"] else [])]
    print(" ".join(previews[1:]), flush=True)
    subprocess.run(previews, check=True)
    marker.write_text(json.dumps({"settings": settings, "hidden": len(hidden)}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="vitrine-data", help="the demo store, with a fitted recommender")
    parser.add_argument("--model", help="the generator the service designs with (default: the service's own choice)")
    parser.add_argument("--hide", type=float, help="share of the items with photos to show without one (e.g. 0.3)")
    parser.add_argument("--hide-seed", type=int, default=0, help="seed of the hidden items (default 0)")
    parser.add_argument("--preview-model", help="the generator of the hidden items' previews (default: the shop's)")
    parser.add_argument("--preview-steps", type=int, help="sampling steps of the previews (default: studio previews')")
    parser.add_argument("--preview-candidates", type=int, default=1, help="pictures per preview to pick from "
                                                                          "(default 1, as the previews report)")
    parser.add_argument("--prepared", help="where the shop with hidden photos and previews is kept for later runs "
                                           "(default: made for this run and removed)")
    parser.add_argument("--out", default=str(REPO / "reports" / "ab"))
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="after --: flags of `vitrine simulate-ab`")
    args = parser.parse_args()
    if args.hide is not None and not 0 < args.hide < 1:
        parser.error("--hide: a share between 0 and 1")
    from bench.service_speed import start_server, stop_server
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    with tempfile.TemporaryDirectory(prefix="vitrine-ab-") as work:
        source = Path(args.data_dir)
        if args.hide is not None:
            settings = {"hide": args.hide, "seed": args.hide_seed, "model": args.preview_model,
                        "steps": args.preview_steps, "candidates": args.preview_candidates}
            source = Path(args.prepared) if args.prepared else Path(work) / "hidden"
            prepare_hidden(Path(args.data_dir), source, settings)
        copy = Path(work) / "data"
        copy_store(source, copy)
        server, base, client = start_server(str(copy), 1, extra=("--model", args.model) if args.model else ())
        try:
            made_by = " ".join(["python scripts/ab_report.py", *sys.argv[1:]])
            command = [str(Path(sys.executable).parent / "vitrine"), "--data-dir", str(copy), "simulate-ab",
                       "--url", base, "--out", args.out, "--made-by", made_by, *rest]
            status = subprocess.call(command)
            if args.hide is not None and not status:  # the first previews, beside the report
                shutil.copy(source / "previews.png", Path(args.out) / "previews.png")
        finally:
            client.close()
            stop_server(server)
    if status:
        raise SystemExit(status)


if __name__ == "__main__":
    main()
