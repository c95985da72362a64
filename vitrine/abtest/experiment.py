"""A simulated online A/B test: shoppers of the test period visit the running service, each in one
arm, see that arm's home page, and click and buy as their true preferences say (behaviour.py).

The page, as the storefront's home lays it out: the arm's recommendations, the designs for the
shopper (designs arm), then the "new in" shelf (the newest items, the same list in every arm);
each item with its photo, or where it has none its preview (previews arm) or no picture.

Split: shopper u is in arm  H(seed, u) mod (number of arms), H the first 8 bytes of SHA-256 — a
fixed, seeded A/B assignment that needs no state and no coordination. Each shopper makes
`visits_per_shopper` visits one after another; every click is posted as a view, every cart and
purchase as such, so the next visit's list (in every arm) already reads them. Shoppers run in
parallel threads; each draws from its own seeded generator, so what one shopper does does not
depend on the others or on the threads' timing.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from vitrine.abtest.behaviour import CLICK_BIAS, NO_PICTURE_PENALTY, Tile, item_tiles, react
from vitrine.abtest.plan import ARMS
from vitrine.abtest.traffic import Service
from vitrine.abtest.world import World


@dataclass(frozen=True)
class ABConfig:
    arms: tuple[str, ...]
    visits: int                   # per arm
    visits_per_shopper: int = 5
    k: int = 12                   # recommendations on the page, as the storefront's home shows
    designs: int = 4              # designs below them in the designs arm
    new_in: int = 12              # the "new in" shelf below those: the newest items, the same in every arm
    threads: int = 8
    minutes: float = 60.0         # no new shopper starts after this long
    click_bias: float = CLICK_BIAS
    no_picture_penalty: float = NO_PICTURE_PENALTY
    seed: int = 0

    @property
    def shoppers_per_arm(self) -> int:
        return math.ceil(self.visits / self.visits_per_shopper)


@dataclass
class Outcome:
    """One shopper's visits, summed."""
    user_id: str
    arm: str
    visits: int = 0
    failed_pages: int = 0        # the list did not load
    impressions: int = 0         # tiles shown (designs included)
    clicks: int = 0
    design_impressions: int = 0
    design_clicks: int = 0
    preview_impressions: int = 0  # tiles of items without a photo, shown with a generated preview
    preview_clicks: int = 0
    text_impressions: int = 0     # tiles of items without a photo, shown with no picture
    text_clicks: int = 0
    purchases: int = 0
    revenue: float = 0.0
    new_item_purchases: int = 0
    shown: set = field(default_factory=set)  # stock items shown (World indices)


def arm_of(user_id: str, arms: tuple[str, ...], seed: int) -> str:
    digest = hashlib.sha256(f"{seed}:{user_id}".encode()).digest()
    return arms[int.from_bytes(digest[:8], "big") % len(arms)]


def assign(world: World, eligible: list[str], config: ABConfig) -> list[tuple[str, str]]:
    """(user, arm) for every shopper who takes part: each arm's first `shoppers_per_arm` of the
    eligible shoppers in a seeded order, the arms interleaved so every arm meets the service in the
    same state over the run."""
    order = np.random.default_rng(config.seed).permutation(len(eligible))
    per_arm: dict[str, list[str]] = {arm: [] for arm in config.arms}
    for k in order:
        user = eligible[k]
        chosen = per_arm[arm_of(user, config.arms, config.seed)]
        if len(chosen) < config.shoppers_per_arm:
            chosen.append(user)
    short = {arm: len(users) for arm, users in per_arm.items() if len(users) < config.shoppers_per_arm}
    if short:
        raise ValueError(f"too few shoppers for {config.visits:,} visits an arm at {config.visits_per_shopper} visits "
                         f"each: {short} of {config.shoppers_per_arm} needed; raise --visits-per-shopper")
    return [(per_arm[arm][n], arm) for n in range(config.shoppers_per_arm) for arm in config.arms]


def eligible_shoppers(store, world: World) -> list[str]:
    """Shoppers active in the test period whose preferences and usual views are known."""
    split = store.get_meta("split")
    active = set(store.active_user_ids(split["valid_end_ms"]))
    return [u for k, u in enumerate(world.user_ids) if u in active and np.isfinite(world.appeal_reference[k])]


class Experiment:
    def __init__(self, world: World, service: Service, config: ABConfig, read_look=None):
        """`read_look(picture bytes) → (category, colour, pattern)` indices: what a shopper sees in
        a generated picture (the evaluator's reading); needed by the designs and previews arms only."""
        self.world, self.service, self.config, self.read_look = world, service, config, read_look
        self.posted: list[tuple[str, str, str]] = []
        self.looks: dict[str, tuple] = {}  # a preview's URL → its reading (a URL names its content)
        self._looks_lock = threading.Lock()

    def run(self, shoppers: list[tuple[str, str]], progress: bool = True) -> tuple[list[Outcome], bool]:
        """Every shopper's outcome (those not started before the time ran out are absent), and
        whether the time ran out."""
        deadline = time.monotonic() + 60 * self.config.minutes
        outcomes: list[Outcome] = []
        with tqdm(total=len(shoppers) * self.config.visits_per_shopper, desc="simulated visits", unit="visit",
                  disable=not progress) as bar, ThreadPoolExecutor(self.config.threads) as pool:
            def one(user_arm):
                if time.monotonic() > deadline:
                    return None
                return self._shopper(*user_arm, bar)
            for outcome in pool.map(one, shoppers):
                if outcome is not None:
                    outcomes.append(outcome)
        return outcomes, len(outcomes) < len(shoppers)

    def _shopper(self, user_id: str, arm: str, bar) -> Outcome:
        world, cfg = self.world, self.config
        u = world.user_pos[user_id]
        rng = np.random.default_rng([cfg.seed, u])
        ranking, with_designs, pictures = ARMS[arm]
        outcome, designs = Outcome(user_id, arm), None
        for _ in range(cfg.visits_per_shopper):
            outcome.visits += 1
            bar.update()
            listed = self.service.recommendations(arm, ranking, pictures, user_id, cfg.k)
            if listed is None:
                outcome.failed_pages += 1
                continue
            tiles = item_tiles(world, u, self._as_shown(arm, listed), cfg.no_picture_penalty)
            if with_designs:
                if designs is None:  # asked once, on the first visit; the page keeps them after
                    designs = self._design_tiles(arm, user_id, u)
                tiles = tiles + designs
            if cfg.new_in:  # a shelf that does not load leaves the page without it
                newest = self.service.newest(arm, pictures, cfg.new_in) or []
                tiles = tiles + item_tiles(world, u, self._as_shown(arm, newest), cfg.no_picture_penalty)
            self._visit(outcome, u, tiles, rng)
        return outcome

    def _as_shown(self, arm: str, listed: list[dict]) -> list[tuple[int, str, tuple | None]]:
        """(World index, what the tile shows, the look read in its preview) of each listed stock
        item; a preview whose picture does not load is shown as text."""
        shown = []
        for item in listed:
            i = self.world.item_pos.get(item["id"])
            if i is None:
                continue
            look = None
            if item["image"] is None:
                shows = "text"
            elif not item["generated"]:
                shows = "photo"
            else:
                look = self._look(arm, item["image"])
                shows = "text" if look is None else "preview"
            shown.append((i, shows, look))
        return shown

    def _look(self, arm: str, url: str) -> tuple | None:
        """The reading of the preview at `url`, fetched and read once (the lock held throughout, so
        two shoppers shown one preview do not both fetch it); a failed load is tried again later."""
        with self._looks_lock:
            if url not in self.looks:
                picture = self.service.image(arm, url)
                if picture is None:
                    return None
                self.looks[url] = self.read_look(picture)
            return self.looks[url]

    def _design_tiles(self, arm: str, user_id: str, u: int) -> list[Tile]:
        found = self.service.designs(arm, user_id, self.config.designs) or []
        tiles = []
        for design in found:
            closest = next((self.world.item_pos[i] for i in design["nearest"] if i in self.world.item_pos), None)
            picture = self.service.image(arm, design["image"]) if closest is not None else None
            if picture is None:
                continue
            category, colour, pattern = self.read_look(picture)
            tiles.append(Tile(closest, self.world.look_appeal(u, category, colour, pattern, closest), "design"))
        return tiles

    def _visit(self, outcome: Outcome, u: int, tiles: list[Tile], rng) -> None:
        world, user_id = self.world, outcome.user_id
        outcome.impressions += len(tiles)
        outcome.design_impressions += sum(t.shows == "design" for t in tiles)
        outcome.preview_impressions += sum(t.shows == "preview" for t in tiles)
        outcome.text_impressions += sum(t.shows == "text" for t in tiles)
        outcome.shown.update(t.item for t in tiles if t.shows != "design")
        for reaction in react(world, u, tiles, rng, self.config.click_bias):
            item_id = str(world.item_ids[reaction.item])
            outcome.clicks += 1
            outcome.design_clicks += reaction.shows == "design"
            outcome.preview_clicks += reaction.shows == "preview"
            outcome.text_clicks += reaction.shows == "text"
            self._post(outcome.arm, user_id, item_id, "view")
            if reaction.carted:
                self._post(outcome.arm, user_id, item_id, "cart")
            if reaction.bought and self._post(outcome.arm, user_id, item_id, "purchase"):
                outcome.purchases += 1
                outcome.revenue += float(world.price[reaction.item])
                outcome.new_item_purchases += bool(world.is_new[reaction.item])

    def _post(self, arm: str, user_id: str, item_id: str, event: str) -> bool:
        stored = self.service.event(arm, user_id, item_id, event)
        if stored:
            self.posted.append((user_id, item_id, event))
        return stored
