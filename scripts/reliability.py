"""Bad input against the `vitrine` command and the running service, by class; writes docs/reliability.md.

Each try runs one command in process (`vitrine.cli.main`) against a store that already holds a
small shop, and is judged:
- handled:    exit 0 with every problem in the report, or exit 2 with one line on stderr that
              says what is wrong; the store holds everything it held before; no orphan files
- unclear:    a non-zero exit whose message is more than one line, or exit 1
- traceback:  a Python traceback or "internal error" reached the user
- corrupted:  the command failed yet the store changed, rows it held are gone, an image file
              no row points to was left, or the database fails its integrity check

Importer inputs are random garbage drawn from a seeded generator (cells from a pool of hostile
values, random bytes, broken quoting and encodings); the other classes are fixed lists. The
service's classes (slow clients, long jobs, several processes, Unicode IDs, cross-site requests and
headers, small validations) run against real server processes: scripts/reliability_service.py.
Usage:

    python scripts/reliability.py [--part all|cli|service] [--examples 40] [--seed 0] [--out docs/reliability.md]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import itertools
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vitrine.storage import schema  # noqa: E402
from vitrine.storage.store import Store  # noqa: E402
from vitrine.cli import main  # noqa: E402
from vitrine.results import Column, Table  # noqa: E402

NASTY = ["", " ", "NaN", "inf", "-1", "1e400", "9" * 400, "$", "€", "12,99", "1.299,00", "1,299", "007", "\x00",
         "\"", "\"unterminated", "a,b", "ü", "\u202e", "🙂", "2026-13-45", "1700000000000", "view", "purchase",
         "teleport", "../../etc/passwd", "/etc/passwd", "x" * 3000, "None", "null", "[]", "{}", "True"]


def cell(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.55:
        return rng.choice(NASTY)
    if pick < 0.85:
        return "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(0, 12)))
    return str(rng.randrange(-10**6, 10**13))


def csv_text(rng: random.Random, header: list[str], rows: int) -> bytes:
    head = header if rng.random() < 0.85 else rng.sample(header, k=max(1, len(header) - 1))
    lines = [",".join(head)]
    for _ in range(rows):
        n = len(head) + rng.choice([0, 0, 0, -1, 1])
        lines.append(",".join(cell(rng) for _ in range(max(n, 0))))
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    if rng.random() < 0.15:  # damage: raw bytes, or cut mid-row
        data = data[:rng.randrange(len(data) + 1)] + bytes(rng.randrange(256) for _ in range(rng.randrange(8)))
    return data


def jsonl_text(rng: random.Random, keys: list[str], rows: int) -> bytes:
    lines = []
    for _ in range(rows):
        kind = rng.random()
        if kind < 0.6:
            lines.append(json.dumps({k: rng.choice([cell(rng), rng.randrange(-10**20, 10**20), None, [cell(rng)],
                                                    {"x": cell(rng)}, rng.random() * 1e300])
                                     for k in keys if rng.random() < 0.8}))
        elif kind < 0.7:
            lines.append("[" * rng.randrange(1, 5000) + "]" * rng.randrange(0, 5000))
        elif kind < 0.8:
            lines.append("{\"price\": " + "9" * rng.randrange(10, 6000) + "}")
        else:
            lines.append(cell(rng))
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def image_bytes(rng: random.Random) -> bytes:
    from vitrine.storage.images import encode_png
    import numpy as np
    if rng.random() < 0.5:
        return encode_png(np.full((8, 8, 3), rng.randrange(256), dtype=np.uint8))
    return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))


def write_importer_input(kind: str, folder: Path, rng: random.Random) -> Path:
    folder.mkdir(parents=True)
    if kind == "generic":
        (folder / "images").mkdir()
        (folder / "items.csv").write_bytes(csv_text(rng, ["item_id", "title", "price", "image", "category"], 6))
        (folder / "interactions.csv").write_bytes(csv_text(rng, ["user_id", "item_id", "event", "timestamp", "value"], 8))
        for name in ("a.png", "b.jpg", "x.png"):
            (folder / "images" / name).write_bytes(image_bytes(rng))
    elif kind == "hm":
        (folder / "articles.csv").write_bytes(csv_text(rng, ["article_id", "prod_name", "product_type_name",
                                                             "colour_group_name", "detail_desc"], 6))
        (folder / "customers.csv").write_bytes(csv_text(rng, ["customer_id", "age", "postal_code"], 4))
        (folder / "transactions_train.csv").write_bytes(csv_text(rng, ["t_dat", "customer_id", "article_id",
                                                                       "price", "sales_channel_id"], 8))
        (folder / "images" / "010").mkdir(parents=True)
        (folder / "images" / "010" / "0100000001.jpg").write_bytes(image_bytes(rng))
    elif kind == "amazon":
        (folder / "meta_X.jsonl").write_bytes(jsonl_text(rng, ["parent_asin", "title", "price", "store", "details",
                                                              "features", "description", "categories"], 5))
        (folder / "X.jsonl").write_bytes(jsonl_text(rng, ["parent_asin", "user_id", "rating", "timestamp"], 6))
    elif kind == "retailrocket":
        (folder / "events.csv").write_bytes(csv_text(rng, ["timestamp", "visitorid", "event", "itemid",
                                                           "transactionid"], 8))
        (folder / "item_properties_part1.csv").write_bytes(csv_text(rng, ["timestamp", "itemid", "property",
                                                                          "value"], 4))
    return folder


# ---- the judged run ----------------------------------------------------------------------------

def rows_of(store: Store) -> dict[str, set]:
    out = {}
    with store.engine.connect() as conn:  # the script's own reading: every row, for before/after
        for table in schema.Base.metadata.sorted_tables:
            out[table.name] = set(map(repr, conn.execute(table.select()).all()))
    return out


def judge(store_dir: Path, argv: list[str], may_change: bool) -> tuple[str, str]:
    store = Store(store_dir)
    before = rows_of(store)
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(["--data-dir", str(store_dir), "-q"] + argv)
        except SystemExit as exc:  # main() never raises it; counted if it does
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # noqa: BLE001 — an escaped exception is what this script counts
            return "traceback", f"{type(exc).__name__}: {exc}"
    message = err.getvalue()
    if "Traceback" in message or "internal error" in message:
        return "traceback", message.strip().splitlines()[-1][:200]
    after = rows_of(Store(store_dir))
    check = Store(store_dir).check()
    lost = [name for name in before if not before[name] <= after[name] and name not in ("items", "item_images", "meta")]
    if check.problems or lost or (code != 0 and after != before) or (not may_change and after != before):
        return "corrupted", f"exit {code}; lost rows in {lost}; check: {check.problems} problems"
    lines = [line for line in message.strip().splitlines() if line and not line.startswith(("usage:", " "))]
    if code == 0:
        return "handled", "exit 0"
    if code == 2 and len(lines) == 1:
        return "handled", lines[0][:160]
    return "unclear", f"exit {code}: {message.strip()[:200]!r}"


SLOW_IMPORT = ("import sys, time; import vitrine.storage.images as im; put = im.ImageBatch.put_verified\n"
               "def slow(self, *a):\n    time.sleep(0.01); return put(self, *a)\n"
               "im.ImageBatch.put_verified = slow\n"
               "from vitrine.cli import main; sys.exit(main(sys.argv[1:]))")


def photo_shop(folder: Path, n: int, tag: str) -> Path:
    from vitrine.storage.images import encode_png
    import numpy as np
    (folder / "images").mkdir(parents=True)
    for i in range(n):
        (folder / "images" / f"{tag}{i}.png").write_bytes(encode_png(np.full((16, 16, 3), (i % 256, i // 256, 7),
                                                                            dtype=np.uint8)))
    (folder / "items.csv").write_text("item_id,title\n" + "".join(f"{tag}{i},Photo {i}\n" for i in range(n)))
    (folder / "interactions.csv").write_text("user_id,item_id,event,timestamp\n" + "".join(
        f"{tag}-user,{tag}{i},view,{1_700_000_000 + i}\n" for i in range(n)))
    return folder


def killed_import(store_dir: Path, shop_dir: Path, fraction: float) -> tuple[str, str]:
    """kill -9 an import after `fraction` of its photos are written; the next load must sweep them."""
    import subprocess
    n = 200
    shop = photo_shop(shop_dir, n, "kill")
    before = rows_of(Store(store_dir))
    proc = subprocess.Popen([sys.executable, "-c", SLOW_IMPORT, "--data-dir", str(store_dir), "-q", "import",
                             "generic", str(shop)], cwd=REPO)
    pending = store_dir / "images" / ".pending"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        journals = list(pending.glob("*.txt")) if pending.exists() else []
        if journals and journals[0].read_text().count("\n") >= 2 * n * fraction:
            break
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    store = Store(store_dir)
    if rows_of(store) != before:
        return "corrupted", "a killed import changed the rows"
    with store.loading():  # the next load of any kind
        pass
    check = store.check()
    return ("handled", "swept") if check.problems == 0 else ("corrupted", f"{check.problems} problems after the next load")


def concurrent_imports(store_dir: Path, root: Path) -> tuple[str, str]:
    """Two imports at once: each lands whole or says the store is busy; nothing half-written."""
    import os
    import subprocess
    shops = [photo_shop(root / f"shop{k}", 150, f"c{k}-") for k in range(2)]
    env = {**os.environ, "VITRINE_BUSY_TIMEOUT": "60"}
    procs = [subprocess.Popen([sys.executable, "-m", "vitrine", "--data-dir", str(store_dir), "-q", "import",
                               "generic", str(shop)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for shop in shops]
    outcomes = [(p.wait(), p.stderr.read()) for p in procs]
    store = Store(store_dir)
    if any("Traceback" in err or "internal error" in err for _, err in outcomes):
        return "traceback", " | ".join(err.strip()[-200:] for _, err in outcomes)
    if any(code not in (0, 2) or (code == 2 and "busy" not in err) for code, err in outcomes):
        return "unclear", " | ".join(f"exit {code}: {err.strip()[:120]}" for code, err in outcomes)
    landed = sum(code == 0 for code, _ in outcomes)
    events = sum(store.event_counts().values())
    if events != 6 + 150 * landed or store.check().problems:
        return "corrupted", f"{events} events for {landed} landed imports"
    return "handled", f"{landed} landed"


def seeded_store(template: Path, target: Path) -> Path:
    """A fresh copy of the template store at `target`, a folder not used before.

    Each try gets its own folder rather than a cleared one: a store a finished try left open closes
    when the garbage collector reaches it, and SQLite then deletes its -wal and -shm files, which
    would race a removal of the folder.
    """
    shutil.copytree(template, target)  # FileExistsError for a folder already there
    return target


def make_template(root: Path) -> Path:
    """A store holding a small generic shop (items with photos, users, events): what must survive."""
    from vitrine.storage.images import encode_png
    import numpy as np
    shop = root / "template-shop"
    (shop / "images").mkdir(parents=True)
    (shop / "items.csv").write_text("item_id,title,price,image\n" + "".join(
        f"k{i},Kept item {i},{i + 1}.50,k{i}.png\n" for i in range(6)))
    for i in range(6):
        (shop / "images" / f"k{i}.png").write_bytes(encode_png(np.full((8, 8, 3), 40 * i, dtype=np.uint8)))
    (shop / "interactions.csv").write_text("user_id,item_id,event,timestamp\n" + "".join(
        f"keeper{i % 3},k{i},view,2026-01-0{1 + i}T10:00:00\n" for i in range(6)))
    template = root / "template"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["--data-dir", str(template), "-q", "import", "generic", str(shop)]) == 0
    gc.collect()  # the import's store closes now, so the copies never meet its -wal/-shm files
    return template


def fixed_cases(root: Path) -> dict[str, list[tuple[str, list[str], bool]]]:
    """(description, argv, may the store change) by input class."""
    a_file = root / "a-file"
    a_file.write_text("x")
    model = root / "model"
    (model / "unet").mkdir(parents=True)
    (model / "model_index.json").write_text('{"_class_name": ["pipeline", "VitrinePipeline"], '
                                            '"scheduler": ["diffusers", "DDPMScheduler"], "unet": ["diffusers", "x"]}')
    (model / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"\x00" * 64)
    (model / "pipeline.py").write_text(f"open({str(root / 'PWNED')!r}, 'w')\n")
    rec = root / "rec"
    rec.mkdir()
    (rec / "model.safetensors").write_bytes(b"garbage")
    (rec / "model.json").write_text("{")
    bad_json_model = root / "badjson"
    bad_json_model.mkdir()
    (bad_json_model / "model_index.json").write_text("{not json")
    return {
        "numbers in flags": [  # a fit that succeeds caches every shopper's recommendations in the store
            (f"{argv[0]} {flag} {value}", argv + [flag, value], argv[0] == "fit")
            for argv, flag in ((["catalog", "sheet"], "-n"), (["catalog", "sheet"], "--columns"),
                               (["shoppers", "simulate"], "--users"), (["recommend", "k0"], "-k"),
                               (["recommend", "k0"], "--per-category"), (["similar", "k0"], "-k"),
                               (["generate", "a hat"], "--steps"), (["generate", "a hat"], "-n"),
                               (["generate", "a hat"], "--guidance"), (["train"], "--steps"),
                               (["train"], "--lr"), (["train"], "--batch-size"), (["fit"], "--dim"),
                               (["fit"], "--epochs"), (["diffusion", "forward", "k0"], "--T"),
                               (["import", "generic", str(root)], "--test-days"),
                               (["studio", "launch", "a hat"], "-n"), (["studio", "launch", "a hat"], "--audience"),
                               (["studio", "launch", "a hat"], "--price"), (["studio", "design", "u0"], "-n"),
                               (["studio", "design", "u0"], "--per-prompt"), (["studio", "previews"], "--limit"),
                               (["tryon", "--person", "0", "--item", "k0"], "-n"),
                               (["tryon", "--person", "0", "--item", "k0"], "--steps"),
                               (["tryon", "--person", "0", "--item", "k0"], "--guidance"),
                               (["segmenter", "train"], "--steps"), (["eval", "tryon"], "-n"),
                               (["worker"], "--lease"), (["worker"], "--concurrency"))
            for value in ("0", "-3", "abc", "1e999", "nan")],
        "paths": [
            ("--data-dir is a file", ["--data-dir", str(a_file), "stats"], False),
            ("--data-dir is a typo (read-only verb)", ["--data-dir", str(root / "typo"), "stats"], False),
            ("--data-dir is a typo (sheet)", ["--data-dir", str(root / "typo"), "catalog", "sheet"], False),
            ("import PATH missing", ["import", "generic", str(root / "missing")], False),
            ("import PATH is a file", ["import", "hm", str(a_file)], False),
            ("--report in a folder that does not exist yet (created)", ["import", "generic", str(root / "template-shop"),
                                                                        "--report", str(root / "no" / "r.json")], True),
            ("--report under a file", ["import", "generic", str(root / "template-shop"), "--report",
                                       str(a_file / "r.json")], False),
            ("--report is a folder", ["import", "generic", str(root / "template-shop"), "--report", str(root)], False),
            ("generate -o out.txt", ["generate", "a hat", "-o", str(root / "out.txt")], False),
            ("generate -o a folder", ["generate", "a hat", "-o", str(root)], False),
            ("sheet -o under a file", ["catalog", "sheet", "-o", str(a_file / "x.png")], False),
            ("forward of an unknown item", ["diffusion", "forward", "no-such-item"], False),
            ("forward --t garbage", ["diffusion", "forward", "k0", "--t", "1,x"], False),
            ("fit --out under a file", ["fit", "--out", str(a_file / "m")], False),
            ("eval recommend --out under a file", ["eval", "recommend", "--out", str(a_file / "r")], False),
            ("tryon PERSON missing", ["tryon", str(root / "nobody.png"), "a red t-shirt"], False),
            ("tryon PERSON is not a picture", ["tryon", str(a_file), "a red t-shirt"], False),
            ("tryon --mask missing", ["tryon", str(a_file), "a red t-shirt", "--mask", str(root / "nope.png")], False),
            ("tryon -o out.txt", ["tryon", "--person", "0", "--item", "k0", "-o", str(root / "out.txt")], False),
        ],
        "model folders": [
            ("generate --model missing", ["generate", "a hat", "--model", str(root / "nope"), "-o",
                                          str(root / "g.png")], False),
            ("generate --model with garbage weights and a planted pipeline.py",
             ["generate", "a hat", "--model", str(model), "-o", str(root / "g.png")], False),
            ("generate --model with a broken model_index.json",
             ["generate", "a hat", "--model", str(bad_json_model), "-o", str(root / "g.png")], False),
            ("recommend --recommender garbage", ["recommend", "keeper0", "--recommender", str(rec)], False),
            ("similar --recommender missing", ["similar", "k0", "--recommender", str(root / "nope")], False),
            ("tryon --tryon-model missing", ["tryon", "--person", "0", "--item", "k0", "--tryon-model", str(root / "nope")],
             False),
            ("tryon --tryon-model is a text-to-image model with garbage weights",
             ["tryon", "--person", "0", "--item", "k0", "--tryon-model", str(model)], False),
            ("eval generation --evaluator missing", ["eval", "generation", "--evaluator", str(root / "nope"),
                                                     "--out", str(root / "eg")], False),
        ],
        "database URLs": [
            (f"--db-url {url}", ["--db-url", url, "stats"], False)
            for url in ("nonsense", "nosuchdb://x/y", "postgresql+nodriver://u@h/d", "postgresql+pg8000://u@h/d",
                        "postgresql://u@127.0.0.1:1/d", "sqlite:////proc/nope/x.db", "sqlite:///" + str(a_file))],
        "store state": [
            ("fit on a six-event imported shop", ["fit", "--epochs", "1", "--out", str(root / "fit")], False),
            ("catalog build over an imported shop", ["catalog", "build"], False),
            ("shoppers simulate over an imported shop", ["shoppers", "simulate", "--users", "5"], False),
            ("evaluator train without a Fashion-MNIST catalog", ["evaluator", "train", "--out", str(root / "ev")], False),
            ("train without a Fashion-MNIST catalog", ["train", "--preset", "tiny", "--out", str(root / "run")], False),
            ("train --resume without a checkpoint", ["train", "--resume", "--out", str(root / "run2")], False),
            ("train --preset tryon-quick without a people set", ["train", "--preset", "tryon-quick", "--out",
                                                                 str(root / "run3")], False),
            ("tryon --person without a people set", ["tryon", "--person", "0", "--item", "k0"], False),
            ("segmenter train without a people set", ["segmenter", "train", "--out", str(root / "seg")], False),
            ("eval tryon without a people set", ["eval", "tryon", "--out", str(root / "et")], False),
        ],
    }


def run(examples: int, seed: int, out: Path | None, parts: tuple[str, ...] = ("cli",)) -> dict:
    rng = random.Random(seed)
    results: dict[str, Counter] = defaultdict(Counter)
    samples: dict[str, list[str]] = defaultdict(list)
    # commands that write to the current folder by default (generate, diffusion forward) write
    # inside the temporary folder, never into the checkout
    with tempfile.TemporaryDirectory(prefix="vitrine-reliability-", ignore_cleanup_errors=True) as tmp, \
            contextlib.chdir(tmp):
        root = Path(tmp)
        if "cli" in parts:
            run_cli(root, rng, examples, results, samples)
        if "service" in parts:
            from scripts import reliability_service
            reliability_service.run(root, results, samples)
    summary = {"examples_per_importer": examples, "seed": seed, "parts": list(parts),
               "classes": {k: dict(v) for k, v in results.items()}, "not_handled": dict(samples)}
    if out is not None:  # the soak's section (scripts/soak.py writes it) stays as it was
        kept = out.read_text().partition("\n## Soak\n") if out.exists() else ("", "", "")
        out.write_text(markdown(summary) + (f"\n## Soak\n{kept[2]}" if kept[1] else ""))
    return summary


def run_cli(root: Path, rng: random.Random, examples: int, results, samples) -> None:
    """The command's classes, tallied into `results[class][outcome]` (and `samples` for the others)."""
    template = make_template(root)
    tries = itertools.count()

    def work() -> Path:
        return root / "stores" / str(next(tries))

    def tally(klass: str, description: str, argv: list[str], may_change: bool) -> None:
        outcome, detail = judge(seeded_store(template, work()), argv, may_change)
        results[klass][outcome] += 1
        if outcome != "handled":
            samples[klass].append(f"{description}: {outcome}: {detail}")

    for kind in ("generic", "hm", "amazon", "retailrocket"):
        for k in range(examples):
            folder = write_importer_input(kind, root / f"in-{kind}-{k}", rng)
            strict = ["--strict"] if rng.random() < 0.3 else []
            tally(f"{kind} importer: random garbage files", f"{kind} #{k}", ["import", kind, str(folder)] + strict,
                  True)
    # a fixed case in a model folder must never run its planted code
    for klass, cases in fixed_cases(root).items():
        for description, argv, may_change in cases:
            tally(klass, description, argv, may_change)
    if (root / "PWNED").exists():
        results["model folders"]["corrupted"] += 1
        samples["model folders"].append("a planted pipeline.py was executed")
    for k, fraction in enumerate((0.1, 0.5, 0.9)):
        outcome, detail = killed_import(seeded_store(template, work()), root / f"kill-{k}", fraction)
        results["kill -9 during an import, then the next load"][outcome] += 1
        if outcome != "handled":
            samples["kill -9 during an import, then the next load"].append(f"killed at {fraction:.0%}: {detail}")
    for k in range(2):
        outcome, detail = concurrent_imports(seeded_store(template, work()), root / f"pair-{k}")
        results["two imports into one store at once"][outcome] += 1
        if outcome != "handled":
            samples["two imports into one store at once"].append(detail)


def _counts(classes: dict) -> list[dict]:
    """Per input class, how its tries ended; then the sum, in bold."""
    outcomes = ("handled", "unclear", "traceback", "corrupted")
    rows, total = [], Counter()
    for klass, counts in classes.items():
        row = {"class": klass, "tried": sum(counts.values()), **{k: counts.get(k, 0) for k in outcomes}}
        total.update({k: v for k, v in row.items() if k != "class"})
        rows.append(row)
    return rows + [{"class": "**all**", **{k: f"**{total.get(k, 0)}**" for k in ("tried",) + outcomes}}]


def markdown(summary: dict) -> str:
    part = "" if set(summary["parts"]) == {"cli", "service"} else f"--part {summary['parts'][0]} "
    lines = ["# Reliability: bad input against the `vitrine` command and the service", "",
             f"`python scripts/reliability.py {part}--examples {summary['examples_per_importer']} "
             f"--seed {summary['seed']}` writes this file. Every try of the command runs one command against a "
             "store that already holds a small shop; *handled* means exit 0 with every problem in the import "
             "report, or exit 2 with one line that names what is wrong, and the store kept everything it held, "
             "with no orphan files. The service's tries (the classes named *service*) run against three "
             "`vitrine serve` processes over one small shop's store: *handled* means the documented answers, "
             "no 5xx but load shedding's 503, no traceback in any server's log, no event lost or doubled and a "
             "clean `vitrine store check`. Definitions are in the scripts' docstrings. The fault tests "
             "(tests/test_faults.py, tests/catalog/test_hardening.py, tests/service/) keep the same properties "
             "in CI, with hypothesis-generated input.", "",
             Table([Column("input class", "class"), Column("tried"), Column("handled"), Column("unclear"),
                    Column("tracebacks", "traceback"), Column("silent corruptions", "corrupted")],
                   _counts(summary["classes"])).markdown()]
    if summary["not_handled"]:
        lines += ["", "Not handled:", ""]
        for klass, entries in summary["not_handled"].items():
            lines += [f"- {klass}: {entry}" for entry in entries[:20]]
    return "\n".join(lines) + "\n"


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("all", "cli", "service"), default="all",
                        help="the command's classes, the service's, or both (default)")
    parser.add_argument("--examples", type=int, default=40, help="random inputs per importer (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the garbage generator (default 0)")
    parser.add_argument("--out", default=str(REPO / "docs" / "reliability.md"), help="Markdown table to write")
    args = parser.parse_args()
    start = time.perf_counter()
    run(args.examples, args.seed, Path(args.out), ("cli", "service") if args.part == "all" else (args.part,))
    print(Path(args.out).read_text())
    print(f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
