"""`vitrine demo`: the main job on the embedded default shop — catalog, shoppers, contact sheet,
stats, a grid of generated products (when a trained model is there), the drawn people the
storefront's "Try it on" dresses, a fitted recommender
(made once, then kept), and then the shop itself: the storefront and API (`--no-serve` stops
before serving)."""

from __future__ import annotations

from pathlib import Path

from vitrine.command import count, open_store
from vitrine.paths import RECOMMENDER_DIR, SHIPPED_PIPELINE, default_path


def cmd_demo(args) -> int:
    from vitrine.app.shop import build_catalog, catalog_settings, simulate_shoppers
    from vitrine.catalog.sheet import contact_sheet
    store = open_store(args, create=True)
    catalog_meta, shopper_meta = store.get_meta("catalog") or {}, store.get_meta("shoppers") or {}
    same_catalog = all(catalog_meta.get(k) == v for k, v in catalog_settings(args.seed, args.limit).items())
    rebuilt = False
    if args.rebuild or not same_catalog:
        built = build_catalog(store, args.fashion_dir, seed=args.seed, limit=args.limit, force=args.force,
                              progress=not args.quiet)
        print(f"catalog: {built.items:,} items built in {built.build_seconds:.1f} s, stored in "
              f"{built.store_seconds:.1f} s → {store.data_dir}")
        shopper_meta, rebuilt = {}, True
    else:
        print(f"catalog: already built in {store.data_dir} with these settings (--rebuild to redo)")
    if args.rebuild or shopper_meta.get("users") != args.users or shopper_meta.get("seed") != args.seed:
        shoppers = simulate_shoppers(store, users=args.users, seed=args.seed, force=args.force, progress=not args.quiet)
        print(f"shoppers: {shoppers.users:,} users, {shoppers.events:,} events, {shoppers.new_items:,} new items")
        rebuilt = True
    else:
        print(f"shoppers: {shopper_meta['users']:,} users and {shopper_meta['events']:,} events already stored")
    print(f"contact sheet: {contact_sheet(store, store.data_dir / 'catalog-sheet.png', n=48, columns=8, seed=args.seed)}")
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
    from vitrine.tryon.people_set import FOLDER as PEOPLE
    if rebuilt or not (store.data_dir / PEOPLE / "people.npz").is_file():
        from vitrine.tryon.people_set import build_people, save_people
        try:
            save_people(build_people(store, args.people, progress=not args.quiet), store.data_dir)
            print(f"{args.people:,} people to try clothes on (drawn, not photographed): {store.data_dir / PEOPLE}")
        except ValueError as exc:  # a catalog without tops, trousers or shoes has nothing to dress people in
            print(f"no people drawn: {exc}")
    fitted = (store.data_dir / RECOMMENDER_DIR / "model.json").exists() and not rebuilt
    if fitted:
        print(f"recommender: already fitted in {store.data_dir / RECOMMENDER_DIR} (`vitrine fit` refits)")
    elif args.no_serve:
        from vitrine.app.fit import fit_served
        print("recommender: fitting on every event (the item features are cached for later fits)…")
        done, cached = fit_served(store, progress=not args.quiet)
        print(f"fitted {done.name} on {done.pairs:,} (user, item) pairs in {done.seconds:.0f} s → {done.folder}; "
              f"{cached:,} shoppers' recommendations cached")
    if args.no_serve:
        print("done (--no-serve); `vitrine serve` opens the shop")
        return 0
    if not fitted:  # serve at once; the service's job worker fits, then serves the recommender
        from vitrine.app.queue import JobQueue
        from vitrine.app.settings import Settings
        queue = JobQueue(store, Settings(store.data_dir))
        if queue.open_fit() is None:
            queue.add("fit", {}, "demo")
        print("recommender: fitting in the background (the first time encodes 70,000 descriptions: about 13 "
              "minutes on 2 cores); the shop shows recommendations once it is done")
    from vitrine.storefront.cli import serve
    args.recommender = args.index = args.config = args.cors_origin = args.tryon_model = args.evaluator = None
    args.workers = 1
    return serve(args, store)


def register(verbs, common) -> None:
    from vitrine.catalog.cli import add_catalog_options
    p = verbs.add("demo", cmd_demo, "the main job on the embedded default (Fashion-MNIST shop)")
    add_catalog_options(p)
    p.add_argument("--users", type=count(1, 10_000_000), default=25_000, help="number of shoppers (default 25,000)")
    p.add_argument("--rebuild", action="store_true", help="rebuild even if the store already matches")
    p.add_argument("--model", default=default_path(SHIPPED_PIPELINE),
                   help="diffusion pipeline of the generated-products grid and of the shop's generation jobs")
    p.add_argument("--people", type=count(1, 200_000), default=20_000,
                   help="drawn people for try-on, made once (default 20,000, about a minute)")
    p.add_argument("--no-serve", action="store_true", help="stop after the batch part (fitting the recommender "
                   "in the foreground if it is missing); do not serve the shop")
    p.add_argument("--host", default="127.0.0.1", help="address the shop listens on (default 127.0.0.1)")
    p.add_argument("--port", type=count(1, 65535), default=8000, help="port of the shop (default 8000)")
