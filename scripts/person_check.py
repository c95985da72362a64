"""What the try-on's "is there a whole person?" check accepts: every person of the drawn set
should pass, and product photos of the catalog (a garment with no one in it), blank, noise and
gradient pictures should not. Writes reports/tryon/person-check.json and prints the table.

    python scripts/person_check.py [--data-dir vitrine-data] [--photos 3000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="vitrine-data", help="the demo store, with its people set")
    parser.add_argument("--segmenter", default=str(REPO / "models/vitrine-tryon/segmenter"))
    parser.add_argument("--photos", type=int, default=3000, help="catalog photos drawn at random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(REPO / "reports/tryon/person-check.json"))
    args = parser.parse_args()
    from vitrine.storage.store import Store
    from vitrine.tryon.people_set import load_people
    from vitrine.tryon.segment import load_segmenter, not_a_person

    segmenter = load_segmenter(args.segmenter)
    store = Store(args.data_dir, create=False)
    photos = store.main_photos()
    chosen = np.random.default_rng(args.seed).choice(len(photos), min(args.photos, len(photos)), replace=False)
    pictures = []
    for k in chosen:
        with Image.open(store.images.resolve(photos[k][1])) as im:
            pictures.append(np.asarray(im.convert("RGB").resize((64, 64), Image.BILINEAR)))
    rng = np.random.default_rng(args.seed)
    ramp = np.linspace(0, 255, 64, dtype=np.uint8)
    blanks = np.stack([np.full((64, 64, 3), 255, np.uint8), np.zeros((64, 64, 3), np.uint8),
                       rng.integers(0, 256, (64, 64, 3), dtype=np.uint8),
                       np.broadcast_to(ramp[None, :, None], (64, 64, 3)).copy()])
    people = load_people(Path(args.data_dir))
    groups = {"drawn people": people.images, "catalog photos": np.stack(pictures),
              "white, black, noise, gradient": blanks}
    result = {"seed": args.seed, "rows": []}
    for name, images in groups.items():
        reasons = [not_a_person(labels) for labels in segmenter.labels(images)]
        why = Counter(r.split(";")[0] for r in reasons if r)
        result["rows"].append({"pictures": name, "n": len(images), "accepted": sum(r is None for r in reasons),
                               "refused_because": dict(why.most_common())})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print("| pictures | n | accepted as a person |\n|---|---:|---:|")
    for row in result["rows"]:
        print(f"| {row['pictures']} | {row['n']:,} | {row['accepted']:,} ({row['accepted'] / row['n']:.1%}) |")
    print(f"→ {args.out}")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
