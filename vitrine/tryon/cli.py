"""The try-on verbs: `catalog people` (the drawn people set). Heavy modules load inside each verb."""

from __future__ import annotations

from vitrine.command import UsageError, check_output, count, open_store


def cmd_catalog_people(args) -> int:
    import time

    from vitrine.tryon.people_set import build_people, save_people
    if args.sheet:
        check_output(args.sheet, "--sheet", (".png",))
    store = open_store(args)
    start = time.perf_counter()
    try:
        people = build_people(store, args.n, seed=args.seed, progress=not args.quiet)
    except ValueError as exc:
        raise UsageError(f"--data-dir {store.data_dir}: {exc}") from None
    path = save_people(people, store.data_dir)
    print(f"{args.n:,} people drawn (not photographed) wearing the catalog's items, with label maps, "
          f"in {time.perf_counter() - start:.1f} s → {path}")
    if args.sheet:
        from PIL import Image

        from vitrine.diffusion.grid import save_grid
        shown = [Image.fromarray(im) for im in people.images[:32]]
        save_grid(shown, args.sheet, columns=8, title="drawn people wearing catalog items (not photographs)")
        print(f"first {len(shown)} → {args.sheet}")
    return 0


def register(verbs, common) -> None:
    catalog = verbs.group("catalog", "build and look at the Fashion-MNIST catalog")
    p = catalog.add("people", cmd_catalog_people, "draw people wearing the catalog's garments, with label maps "
                    "(the try-on model's training and evaluation set; drawn, not photographed)")
    p.add_argument("-n", type=count(1, 200_000), default=20_000, help="people to draw (default 20,000)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of bodies, poses, looks and garments (default 0)")
    p.add_argument("--sheet", help="also write a PNG of the first 32")
