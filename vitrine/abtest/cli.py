"""`vitrine simulate-ab`: a simulated online A/B test of the running service's arms, and
`--cleanup` of the events a test posted. Heavy modules load inside the verb."""

from __future__ import annotations

import json
import time
from pathlib import Path

from vitrine.command import UsageError, check_output_dir, count, number, open_store, typed_command
from vitrine.paths import EVALUATOR_DIR, SHIPPED_EVALUATOR

RUN_FILE = "run.json"  # what --cleanup needs: the store's last event row before the test, and its shoppers


RUN_DATA = "run-data.json.gz"  # every shopper's outcome and request timing: --report-only recomputes from it


def cmd_simulate_ab(args) -> int:
    if args.cleanup:
        return _cleanup(args)
    if args.report_only:
        return _report_only(args)
    from vitrine.abtest.behaviour import CLICK_BIAS, NO_PICTURE_PENALTY
    from vitrine.abtest.experiment import ABConfig
    from vitrine.abtest.plan import ARMS, MAX_VISITS
    arms = tuple(a.strip() for a in args.arms.split(",") if a.strip())
    unknown = [a for a in arms if a not in ARMS]
    if unknown or not arms:
        raise UsageError(f"--arms: unknown {', '.join(map(repr, unknown)) or 'none given'}; choose from "
                         f"{', '.join(ARMS)}")
    if len(set(arms)) != len(arms):
        raise UsageError("--arms: each arm once")
    if not 1 <= args.visits <= MAX_VISITS:
        raise UsageError(f"--visits: between 1 and {MAX_VISITS:,} an arm, got {args.visits}")
    config = ABConfig(arms, args.visits, args.visits_per_shopper, args.k, args.designs, args.new_in, args.threads,
                      args.minutes, CLICK_BIAS if args.click_bias is None else args.click_bias,
                      NO_PICTURE_PENALTY if args.no_picture_penalty is None else args.no_picture_penalty, args.seed)
    out = check_output_dir(args.out, "--out")
    service, store, world, shoppers, read_look = _prepare(args, config)
    try:
        out = check_output_dir(out, "--out", create=True)
    except UsageError:
        service.close()
        raise
    from vitrine.abtest.experiment import Experiment
    from vitrine.abtest.report import save_run_data
    start_mark = store.last_event_id()
    # written before the first event is posted, so an interrupted test can be cleaned up as well
    run = {"url": service.url, "mark": start_mark, "shoppers": sorted({u for u, _ in shoppers}),
           "config": config.__dict__, "command": args.made_by or typed_command(args)}
    (out / RUN_FILE).write_text(json.dumps(run) + "\n")
    experiment = Experiment(world, service, config, read_look)
    started = time.perf_counter()
    try:
        outcomes, stopped_early = experiment.run(shoppers, progress=not args.quiet)
    finally:
        service.close()
    seconds = time.perf_counter() - started
    save_run_data(out / RUN_DATA, outcomes, service.requests, len(world.item_ids))
    meta = {"command": run["command"], "url": service.url, "seconds": seconds, "stopped_early": stopped_early,
            "config": {**config.__dict__, "arms": list(arms)}, "posted_events": len(experiment.posted),
            "without_photo": len(store.items_without_photo())}
    _write_report(out, outcomes, service.requests, len(world.item_ids), meta, args)
    print(f"{len(experiment.posted):,} events posted; `vitrine simulate-ab --cleanup {out}` removes them")
    return 0


def _write_report(out: Path, outcomes, requests, n_items: int, meta: dict, args) -> None:
    from vitrine.abtest.report import markdown, plot_lifts, summarise
    meta = {**meta, "rounds": args.rounds}
    result = summarise(outcomes, requests, tuple(meta["config"]["arms"]), n_items, args.rounds, args.seed)
    (out / "metrics.json").write_text(json.dumps({**meta, **result}, indent=2, default=float) + "\n")
    if result["lifts"]:
        plot_lifts(result, out / "lifts.png")
    (out / "report.md").write_text(markdown(result, meta))
    print((out / "report.md").read_text())


def _report_only(args) -> int:
    """The figures again from a run's saved outcomes (no traffic), e.g. with more bootstrap rounds."""
    from vitrine.abtest.report import load_run_data
    folder = Path(args.report_only)
    try:
        previous = json.loads((folder / "metrics.json").read_text())
        meta = {k: previous[k] for k in ("command", "url", "seconds", "stopped_early", "config", "posted_events")}
        meta["without_photo"] = previous.get("without_photo", 0)
        outcomes, requests, n_items = load_run_data(folder / RUN_DATA)
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        raise UsageError(f"--report-only: {folder} holds no finished simulate-ab run ({RUN_DATA} and "
                         "metrics.json)") from None
    _write_report(folder, outcomes, requests, n_items, meta, args)
    return 0


def _prepare(args, config):
    """Every check before any traffic: the URL answers as a Vitrine service with a fitted
    recommender over the same shop as --data-dir, which has simulated shoppers enough."""
    from vitrine.abtest.experiment import assign, eligible_shoppers
    from vitrine.abtest.traffic import Service, Unreachable
    from vitrine.abtest.world import NoTruth, World
    try:
        service = Service(args.url)
    except ValueError as exc:
        raise UsageError(f"--url: {exc}") from None
    try:  # the client is closed on any refusal below
        try:
            health = service.check()
        except Unreachable as exc:
            raise UsageError(f"--url: {exc}") from None
        store = open_store(args)
        try:
            world = World.from_store(store)
        except NoTruth as exc:
            raise UsageError(str(exc)) from None
        if health.get("items") not in (None, len(world.item_ids)):
            raise UsageError(f"--url serves {health['items']:,} items but {store.data_dir} has "
                             f"{len(world.item_ids):,}: give the --data-dir of the store the service serves")
        try:
            shoppers = assign(world, eligible_shoppers(store, world), config)
        except ValueError as exc:
            raise UsageError(f"--visits: {exc}") from None
        if "multimodal+previews" in config.arms:
            _check_previews(store)
        read_look = (_evaluator_reader(args, store) if any(a in config.arms for a in
                                                             ("multimodal+designs", "multimodal+previews")) else None)
    except BaseException:
        service.close()
        raise
    return service, store, world, shoppers, read_look


def _check_previews(store) -> None:
    """The previews arm differs from the multimodal arm only where items without a photo have a
    preview: refuse a test that would compare an arm with itself."""
    without = set(store.items_without_photo())
    if not without:
        raise UsageError(f"--arms multimodal+previews: every item of {store.data_dir} has a photo, so this arm "
                         "would show what the multimodal arm shows")
    if not without.intersection(i for i, _ in store.item_previews()):
        raise UsageError(f"--arms multimodal+previews: none of the {len(without):,} items without a photo has a "
                         "preview (`vitrine studio previews` makes them)")


def _evaluator_reader(args, store):
    """picture bytes → (category, colour, pattern) indices, as the shop's evaluator reads them."""
    import io

    import numpy as np
    from PIL import Image

    from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
    from vitrine.evaluate.evaluator import load_evaluator, to_tensor
    from vitrine.paths import shop_or_shipped
    folder = args.evaluator or shop_or_shipped(store.data_dir, EVALUATOR_DIR, SHIPPED_EVALUATOR)
    evaluator = load_evaluator(folder)
    if set(evaluator.classes) != {"category", "colour", "pattern"}:
        raise UsageError(f"--evaluator: {folder} does not read category, colour and pattern")
    names = {"category": CATEGORY_NAMES, "colour": COLOUR_NAMES, "pattern": PATTERN_NAMES}

    def read(picture: bytes) -> tuple[int, int, int]:
        image = Image.open(io.BytesIO(picture)).convert("RGB").resize((evaluator.size, evaluator.size))
        read = evaluator.predict(to_tensor(np.asarray(image)[None]))
        return tuple(names[c].index(evaluator.classes[c][int(read[c][0])]) for c in ("category", "colour", "pattern"))
    return read


def _cleanup(args) -> int:
    folder = Path(args.cleanup)
    try:
        run = json.loads((folder / RUN_FILE).read_text())
        mark, shoppers = int(run["mark"]), list(run["shoppers"])
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(f"--cleanup: {folder / RUN_FILE} is not a simulate-ab run record") from None
    store = open_store(args)
    removed = store.remove_events_after(mark, shoppers)
    print(f"removed {removed:,} events of {len(shoppers):,} simulated shoppers stored after row {mark:,} "
          f"from {store.describe()}")
    return 0


def register(verbs, common) -> None:
    from vitrine.abtest.plan import ARMS, DEFAULT_ARMS
    p = verbs.add("simulate-ab", cmd_simulate_ab,
                  "a simulated online A/B test: shoppers with known tastes visit the running service, see each "
                  "arm's home page, click and buy → reports/ab")
    p.add_argument("--arms", default=",".join(DEFAULT_ARMS),
                   help=f"comma-separated, of {', '.join(ARMS)} (default {','.join(DEFAULT_ARMS)}; the previews arm "
                        "needs items without photos, and previews made for them)")
    p.add_argument("--visits", type=count(1), default=5000, help="visits per arm (default 5,000)")
    p.add_argument("--url", default="http://127.0.0.1:8000", help="the running service (loopback only; default "
                                                                  "http://127.0.0.1:8000)")
    p.add_argument("--visits-per-shopper", type=count(1, 100), default=5,
                   help="visits each shopper makes, one after another (default 5)")
    p.add_argument("--k", type=count(1, 100), default=12, help="recommendations a page (default 12, the storefront's)")
    p.add_argument("--designs", type=count(1, 16), default=4, help="designs a page in the designs arm (default 4)")
    p.add_argument("--new-in", type=count(0, 100), default=12,
                   help="items on the \"new in\" shelf below (default 12, the storefront's; 0 leaves it out)")
    p.add_argument("--threads", type=count(1, 64), default=8, help="shoppers visiting at once (default 8)")
    p.add_argument("--minutes", type=number(0.1, 24 * 60), default=60.0,
                   help="no new shopper starts after this long (default 60)")
    p.add_argument("--click-bias", type=number(-10, 10), default=None,
                   help="a_click of the click model (default -3: an examined tile as appealing as the shopper's "
                        "usual view is clicked 4.7 %% of the time)")
    p.add_argument("--no-picture-penalty", type=number(0, 10), default=None,
                   help="b of the click model: what a tile without a picture loses in appeal beyond what its text "
                        "leaves unsaid (default 1: clicked about 0.37 times as often)")
    p.add_argument("--rounds", type=count(100, 100_000), default=1000, help="bootstrap rounds (default 1,000)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the split and the shoppers' draws (default 0)")
    p.add_argument("--evaluator", help="the evaluator that reads designs' and previews' pictures (default the "
                                       "shop's, else the shipped one)")
    p.add_argument("--out", default="reports/ab", help="report folder (default reports/ab)")
    p.add_argument("--made-by", help="the command the report names as its maker (default: this command line; a "
                                      "script that starts the service passes its own)")
    p.add_argument("--report-only", metavar="RUN_DIR",
                   help="instead of a test: the figures again from the run in RUN_DIR (its saved outcomes)")
    p.add_argument("--cleanup", metavar="RUN_DIR",
                   help="instead of a test: remove the events the test in RUN_DIR posted from --data-dir's store")
