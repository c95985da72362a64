"""`vitrine demo`: the main job on the embedded default shop — catalog, shoppers, contact sheet,
stats and, when a trained model is there, a grid of generated products."""

from __future__ import annotations

from pathlib import Path

from vitrine.command import SHIPPED_PIPELINE, count, default_path, open_store


def cmd_demo(args) -> int:
    from vitrine.catalog.cli import catalog_settings, cmd_catalog_build, cmd_catalog_sheet, cmd_shoppers_simulate
    store = open_store(args, create=True)
    catalog_meta, shopper_meta = store.get_meta("catalog") or {}, store.get_meta("shoppers") or {}
    same_catalog = all(catalog_meta.get(k) == v for k, v in catalog_settings(args).items())
    if args.rebuild or not same_catalog:
        cmd_catalog_build(args)
        shopper_meta = {}
    else:
        print(f"catalog: already built in {store.data_dir} with these settings (--rebuild to redo)")
    if args.rebuild or shopper_meta.get("users") != args.users or shopper_meta.get("seed") != args.seed:
        cmd_shoppers_simulate(args)
    else:
        print(f"shoppers: {shopper_meta['users']:,} users and {shopper_meta['events']:,} events already stored")
    args.output, args.n, args.columns = None, 48, 8
    cmd_catalog_sheet(args)
    from vitrine.catalog.stats import write_summary
    json_path, md_path, _ = write_summary(store)
    print(f"stats: {md_path}")
    print(md_path.read_text())
    model = Path(args.model)
    if (model / "model_index.json").exists():
        from vitrine.diffusion.pipeline import load_pipeline
        from vitrine.diffusion.showcase import showcase
        out = showcase(load_pipeline(model), store.data_dir / "generated-showcase.png")
        print(f"generated products ({model}): {out}")
    else:
        print(f"no diffusion model at {model}; skipping the generated-products grid (train one: `vitrine train`)")
    return 0


def register(verbs, common) -> None:
    from vitrine.catalog.cli import add_catalog_options
    p = verbs.add("demo", cmd_demo, "the main job on the embedded default (Fashion-MNIST shop)")
    add_catalog_options(p)
    p.add_argument("--users", type=count(1, 10_000_000), default=25_000, help="number of shoppers (default 25,000)")
    p.add_argument("--rebuild", action="store_true", help="rebuild even if the store already matches")
    p.add_argument("--model", default=default_path(SHIPPED_PIPELINE),
                   help="diffusion pipeline for the generated-products grid (skipped if absent)")
