"""The store's verbs: `catalog build|sheet|download`, `shoppers simulate`, `import`, `stats`,
`store check`. Heavy modules load inside each verb."""

from __future__ import annotations

import json
import sys

from vitrine import config
from vitrine.command import UsageError, check_output, count, open_store

IMPORT_FORMATS = ["generic", "hm", "amazon", "retailrocket"]  # vitrine.catalog.importers.FORMATS (a test checks)


def cmd_catalog_build(args) -> int:
    from vitrine.app.shop import build_catalog
    store = open_store(args, create=True)
    done = build_catalog(store, args.fashion_dir, seed=args.seed, limit=args.limit, force=args.force,
                         progress=not args.quiet, size=args.size)
    print(f"catalog: {done.items:,} items built in {done.build_seconds:.1f} s, "
          f"stored in {done.store_seconds:.1f} s → {store.data_dir}")
    return 0


def cmd_catalog_export(args) -> int:
    from vitrine.app.shop import export_sample
    done = export_sample(open_store(args), args.folder, items=args.items)
    print(f"exported {done.items:,} items ({done.photos:,} photos) and {done.events:,} events of {done.users:,} "
          f"shoppers → {args.folder} (import it: vitrine import generic {args.folder} --data-dir NEW_DIR)")
    return 0


def cmd_catalog_sheet(args) -> int:
    from vitrine.catalog.sheet import contact_sheet
    store = open_store(args)
    output = check_output(args.output or store.data_dir / "catalog-sheet.png", "-o/--output", (".png",))
    out = contact_sheet(store, output, n=args.n, columns=args.columns, seed=args.seed)
    print(f"contact sheet: {out}")
    return 0


def cmd_catalog_download(args) -> int:
    from vitrine.catalog import fashion
    folder = fashion.download(args.folder)
    print(f"Fashion-MNIST files in {folder}; export VITRINE_FASHION_MNIST={folder}")
    return 0


def cmd_shoppers_simulate(args) -> int:
    from vitrine.app.shop import simulate_shoppers
    done = simulate_shoppers(open_store(args), users=args.users, seed=args.seed, force=args.force,
                             progress=not args.quiet)
    print(f"shoppers: {done.users:,} users, {done.events:,} events ({done.views:,} views, {done.carts:,} carts, "
          f"{done.purchases:,} purchases), {done.new_items:,} new items; simulated in {done.simulate_seconds:.1f} s, "
          f"stored in {done.store_seconds:.1f} s")
    return 0


def cmd_import(args) -> int:
    from vitrine.catalog.importers import ImportFailed, SplitConfig, run_import, source_for
    if args.report:
        check_output(args.report, "--report", (".json",))  # before anything is stored: a retry must not double it
    options = {}
    if args.format == "generic":
        options = {"interactions": args.interactions, "images": args.images}
    elif args.format == "amazon":
        options = {"reviews": args.reviews}
    data_dir = config.data_dir(args.data_dir)
    new_store = not data_dir.exists()
    store = None if new_store else open_store(args, create=True)  # an unusable --data-dir is named first
    try:
        source = source_for(args.format, args.path, **options)  # before a new store is made: a wrong path makes none
    except ImportFailed as exc:
        raise UsageError(f"import failed, nothing was stored: {exc}") from None
    store = store or open_store(args, create=True)
    try:
        report = run_import(store, source, strict=args.strict, update=args.update, progress=not args.quiet,
                            split=SplitConfig(test_days=args.test_days, valid_days=args.valid_days))
    except (ImportFailed, KeyboardInterrupt) as exc:
        if new_store:  # the store this import made holds nothing: leave no empty store behind
            import shutil
            store.engine.dispose()
            shutil.rmtree(data_dir, ignore_errors=True)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise UsageError(f"import failed, nothing was stored: {exc}") from None
    print(report.summary())
    if args.report:
        from vitrine.atomic import write_text
        write_text(args.report, json.dumps(report.to_dict(), indent=2) + "\n")
        print(f"full report: {args.report}")
    return 0


def cmd_stats(args) -> int:
    from vitrine.catalog.stats import to_markdown, write_summary
    json_path, md_path, summary = write_summary(open_store(args))
    print(json.dumps(summary, indent=2) if args.json else to_markdown(summary))
    print(f"written: {md_path}, {json_path}", file=sys.stderr)
    return 0


def cmd_store_check(args) -> int:
    store = open_store(args)
    result = store.check(repair=args.repair)
    sections = (("orphan image files", "no row points to it", result.orphan_files),
                ("temporary files", "of an interrupted write", result.temporary_files),
                ("unfinished-load journals", "of a load that was killed", result.stale_journals),
                ("missing files", "a row points to it", result.missing_files),
                ("database problems", "", result.database))
    for label, why, entries in sections:
        for entry in entries[:args.show]:
            print(f"{label[:-1] if label.endswith('s') else label}: {entry}" + (f" ({why})" if why else "")
                  + (" — removed" if entry in result.repaired else ""))
        if len(entries) > args.show:
            print(f"{label}: … and {len(entries) - args.show:,} more")
    counts = ", ".join(f"{label}: {len(entries):,}" for label, _, entries in sections[:4])
    print(f"{store.data_dir}: {counts}; database checks: {'ok' if not result.database else 'FAILED'}"
          + (f"; removed {len(result.repaired):,} files" if result.repaired else ""))
    if result.problems and not args.repair and (result.orphan_files or result.temporary_files or result.stale_journals):
        print("run `vitrine store check --repair` to remove the orphan and temporary files")
    return 1 if result.problems else 0


def register(verbs, common) -> None:
    catalog = verbs.group("catalog", "build and look at the Fashion-MNIST catalog")
    p = catalog.add("build", cmd_catalog_build, "turn Fashion-MNIST into a coloured, priced, described catalog "
                    "(replaces the store's items, users and events)")
    add_catalog_options(p)
    p.add_argument("--size", type=int, choices=(32, 64, 128), default=32,
                   help="photo size in pixels: 32 (default, the shipped models'), or 64 / 128 (the silhouette "
                        "upsampled smoothly, colour and pattern drawn at full size)")
    p = catalog.add("sheet", cmd_catalog_sheet, "write a labelled grid PNG of sample items")
    p.add_argument("-o", "--output", help="PNG path (default DATA_DIR/catalog-sheet.png)")
    p.add_argument("-n", type=count(1, 1000), default=48, help="items on the sheet, 1–1000 (default 48)")
    p.add_argument("--columns", type=count(1, 100), default=8, help="items per row (default 8)")
    p.add_argument("--seed", type=count(0), default=0, help="which evenly spread sample to show (default 0)")
    p = catalog.add("export", cmd_catalog_export, "a slice of this shop in the generic import layout (items.csv, "
                    "interactions.csv, images/): a shop to try `vitrine import generic` on")
    p.add_argument("folder", help="a new or empty folder")
    p.add_argument("--items", type=count(1, 10_000_000), default=2000,
                   help="the first N items by ID, with their photos and every event on them (default 2,000)")
    p = catalog.add("download", cmd_catalog_download, "fetch the official Fashion-MNIST files (needs network)")
    p.add_argument("folder", help="where to put the four .gz files")

    shoppers = verbs.group("shoppers", "simulated shoppers with known preferences")
    p = shoppers.add("simulate", cmd_shoppers_simulate, "draw users and their view/cart/purchase log "
                     "(replaces the store's users and events)")
    p.add_argument("--users", type=count(1, 10_000_000), default=25_000, help="number of shoppers (default 25,000)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the simulation (default 0)")
    p.add_argument("--force", action="store_true", help="replace users and events that came from an import")

    p = verbs.add("import", cmd_import, "load a shop's own data (one transaction: all or nothing)")
    p.add_argument("format", choices=IMPORT_FORMATS, help="layout of the files: " + ", ".join(IMPORT_FORMATS))
    p.add_argument("path", help="folder (or main file) of the data")
    p.add_argument("--strict", action="store_true", help="abort on the first bad row or image (store unchanged)")
    p.add_argument("--update", action="store_true",
                   help="let rows replace the fields of items another source stored (the report lists each change); "
                        "without it such rows are skipped and reported")
    p.add_argument("--interactions", help="generic: interactions CSV (default PATH/interactions.csv)")
    p.add_argument("--images", help="generic: image folder (default PATH/images)")
    p.add_argument("--reviews", help="amazon: reviews JSONL (default: the non-meta .jsonl in PATH)")
    p.add_argument("--test-days", type=count(1, 3650), default=7,
                   help="the last N days of events form the test period (default 7)")
    p.add_argument("--valid-days", type=count(1, 3650), default=7,
                   help="the N days before the test period form the valid period (default 7)")
    p.add_argument("--report", help="write the full import report as JSON here (checked before the import)")

    p = verbs.add("stats", cmd_stats, "summarize the store (also writes DATA_DIR/stats.{md,json})")
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")

    store = verbs.group("store", "look after the store itself")
    p = store.add("check", cmd_store_check, "report orphan or missing image files and database integrity "
                  "(exit 1 if anything is wrong)")
    p.add_argument("--repair", action="store_true", help="delete orphan and temporary image files and dead journals")
    p.add_argument("--show", type=count(0), default=20, help="entries to list per kind (default 20)")


def add_catalog_options(p) -> None:
    p.add_argument("--seed", type=count(0), default=0, help="seed for every attribute, price and text (default 0)")
    p.add_argument("--limit", type=count(1), help="use only the first N photos (default: all 70,000)")
    p.add_argument("--fashion-dir", help="folder with the Fashion-MNIST IDX files (default: search)")
    p.add_argument("--force", action="store_true", help="replace a store that holds an imported shop's data")
