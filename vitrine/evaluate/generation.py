"""`vitrine eval generation`: sample a prompt set under several sampler × steps × guidance
settings and measure each against real photos, in the evaluator's eyes.

Two prompt sets: `fixed`, the built catalog's 52 seeded prompts (evaluate.prompts), and `shop`,
the prompts of the shop's own held-out items (any store; the items the generator never trained
on). Per setting: attribute accuracy (each label column the evaluator reads, read back off the
pictures), FID and KID against real held-out photos with the same labels as the prompts, and
within-prompt diversity as a fraction of the diversity of real photos sharing those labels.
Fixed references: the evaluator's accuracy on those real photos (the ceiling) and the FID
between real trained-on and real held-out photos of the same labels and count (the floor).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from vitrine.diffusion.pipeline import DEFAULT_SAMPLER
from vitrine.evaluate.evaluator import COLUMNS, MISSING, Evaluator, to_tensor
from vitrine.evaluate.metrics import attribute_accuracy, fid_kid, mean_pairwise_distance
from vitrine.evaluate.prompts import Prompt, prompt_set
from vitrine.results import Column, Table, write_report as write_files


@dataclass(frozen=True)
class Setting:
    sampler: str
    steps: int
    guidance: float
    subset: bool = False  # DDPM-1000 runs on the first `subset_prompts` prompts only
    guidance_from: float = 0.0  # guidance only while t/T ≥ this (the pipeline's guidance_interval)

    @property
    def name(self) -> str:
        interval = f" (guided t/T ≥ {self.guidance_from:g})" if self.guidance_from else ""
        return f"{self.sampler}-{self.steps}@{self.guidance:g}{interval}"


# DPM-Solver++ in both forms: the ODE "dpm++" over steps × guidance, the SDE "dpm++sde" (the pipeline's
# default sampler) over guidance at 20 steps and at 10; DDPM-1000 costs ~47 s/image, so it and its
# comparison rows run on the subset
DEFAULT_SETTINGS = (
    Setting("dpm++", 20, 1.0), Setting("dpm++", 20, 2.0), Setting("dpm++", 20, 3.0), Setting("dpm++", 20, 5.0),
    Setting("dpm++", 10, 3.0), Setting("dpm++", 50, 3.0), Setting("ddim", 50, 3.0),
    Setting("dpm++sde", 20, 1.0), Setting("dpm++sde", 20, 2.0), Setting("dpm++sde", 20, 3.0),
    Setting("dpm++sde", 20, 5.0), Setting("dpm++sde", 10, 3.0),
    Setting("ddpm", 1000, 3.0, subset=True), Setting("dpm++", 20, 3.0, subset=True),
    Setting("dpm++sde", 20, 3.0, subset=True),
)
# what a report being extended must share with the new rows for them to be comparable: the same prompts,
# seeds and model, judged by the same evaluator (its accuracy on the reference photos). Not the floor:
# KID draws random subsets, so it differs between runs in one process.
SAME_PROTOCOL = ("prompts", "samples_per_prompt", "subset_prompts", "model", "ceiling", "subset_ceiling", "prompt_set")


def parse_settings(text: str) -> tuple[Setting, ...]:
    """'dpm++:20:3,ddim:50:3,ddpm:1000:3:subset,dpm++sde:20:3:from=0.4' → Settings."""
    out = []
    usage = "want sampler:steps:guidance[:subset][:from=LO] (LO in [0, 1]: guidance only while t/T ≥ LO)"
    for part in text.split(","):
        fields = part.strip().split(":")
        options = fields[3:]
        lows = [o[len("from="):] for o in options if o.startswith("from=")]
        if len(fields) < 3 or any(o != "subset" and not o.startswith("from=") for o in options) or len(lows) > 1:
            raise ValueError(f"setting {part!r}: {usage}")
        try:
            setting = Setting(fields[0], int(fields[1]), float(fields[2]), "subset" in options,
                              float(lows[0]) if lows else 0.0)
        except ValueError:
            raise ValueError(f"setting {part!r}: {usage}") from None
        if not 0 <= setting.guidance_from <= 1:
            raise ValueError(f"setting {part!r}: {usage}")
        out.append(setting)
    return tuple(out)


class RealPool:
    """Real photos (N, S, S, 3) uint8 by (category, colour, pattern) label indices (MISSING where a
    shop has none), each from the trained-on side ("train") or the held-out one ("test")."""

    def __init__(self, images: np.ndarray, attrs: np.ndarray, origin: np.ndarray):
        self.images, self.attrs, self.origin = images, attrs, origin

    @classmethod
    def from_arrays(cls, arrays) -> "RealPool":
        """The built catalog's photos from its array cache, split by their Fashion-MNIST origin."""
        return cls(arrays["images"], np.stack([arrays["category"], arrays["colour"], arrays["pattern"]], axis=1),
                   arrays["origin"])

    @classmethod
    def from_shop(cls, photos) -> "RealPool":
        """A shop's labelled photos (evaluate.data.ShopPhotos), trained-on and held-out."""
        sides = (photos.train, photos.held_out)
        images = np.concatenate([p.images for p in sides])
        attrs = np.concatenate([np.stack([p.labels.get(c, np.full(len(p), MISSING)) for c in COLUMNS], axis=1)
                                for p in sides])
        origin = np.array(["train"] * len(photos.train) + ["test"] * len(photos.held_out))
        return cls(images, attrs, origin)

    def sample(self, prompt: Prompt, origin: str, n: int, rng: np.random.Generator) -> np.ndarray:
        """n photo indices of `origin` matching the prompt's labels; if none match all three,
        category + colour, then category alone, then any photo of that origin."""
        want = np.array([prompt.category, prompt.colour, prompt.pattern])
        same_origin = self.origin == origin
        for width in (3, 2, 1, 0):
            pool = np.flatnonzero(same_origin & (self.attrs[:, :width] == want[:width]).all(axis=1))
            if len(pool):
                return rng.choice(pool, size=n, replace=len(pool) < n)
        raise LookupError(f"no real photos of origin {origin!r} to compare with")


def generate(pipe, prompts: list[Prompt], samples: int, setting: Setting, seed: int, progress: bool) -> torch.Tensor:
    """(len(prompts)·samples, 3, S, S) in [0, 1]; image j of every prompt uses seed + j."""
    pipe.with_sampler(setting.sampler)
    out = []
    for prompt in tqdm(prompts, desc=f"sample {setting.name}", unit="prompt", disable=not progress, leave=False):
        generators = [torch.Generator().manual_seed(seed + j) for j in range(samples)]
        out.append(pipe(prompt.text, num_images_per_prompt=samples, num_inference_steps=setting.steps,
                        guidance_scale=setting.guidance, generator=generators, output_type="pt",
                        guidance_interval=(setting.guidance_from, 1.0)).images)
    return torch.cat(out)


def _targets(prompts: list[Prompt], samples: int, columns) -> dict[str, np.ndarray]:
    return {name: np.repeat([getattr(p, name) for p in prompts], samples) for name in columns}


def _diversity_ratio(evaluator: Evaluator, generated: torch.Tensor, real: torch.Tensor, samples: int) -> float:
    gen_f, real_f = evaluator.embed(generated), evaluator.embed(real)
    ratios = []
    for start in range(0, len(gen_f), samples):
        real_d = mean_pairwise_distance(real_f[start:start + samples])
        if real_d > 0:
            ratios.append(mean_pairwise_distance(gen_f[start:start + samples]) / real_d)
    return float(np.mean(ratios)) if ratios else float("nan")


def shop_prompts(photos, classes: dict[str, tuple[str, ...]], n: int, seed: int = 0) -> list[Prompt]:
    """n held-out items' own prompts as Prompts, drawn (seeded) in turn from each category so every
    category the held-out items have appears; labels are indices into `classes` (MISSING for a
    column the shop or the evaluator lacks)."""
    rng = np.random.default_rng(seed)
    names = {c: classes.get(c, ()) for c in COLUMNS}
    by_category: dict[int, list[int]] = {}
    for k in rng.permutation(len(photos)):
        by_category.setdefault(int(photos.labels["category"][k]), []).append(int(k))
    queues = [by_category[c] for c in sorted(by_category)]
    chosen = []
    while len(chosen) < n and any(queues):
        for queue in queues:
            if queue and len(chosen) < n:
                chosen.append(queue.pop(0))
    out = []
    for k in chosen:
        label = {c: int(photos.labels[c][k]) if c in photos.labels and names[c] else MISSING for c in COLUMNS}
        out.append(Prompt(photos.prompts[k], label["category"], label["colour"], label["pattern"], novel=False))
    return out


def evaluate_generation(pipe, evaluator: Evaluator, pool: RealPool, prompts: list[Prompt],
                        settings=DEFAULT_SETTINGS, samples: int = 8, subset_prompts: int = 8, seed: int = 0,
                        progress: bool = True) -> tuple[dict, dict]:
    """The figures, and beside them each setting's generated images (for the report's sample grids)."""
    rng = np.random.default_rng(seed)
    columns = list(evaluator.heads)
    groups = {False: prompts, True: prompts[:subset_prompts]}
    refs = {}
    for is_subset, group in groups.items():
        test_idx = np.concatenate([pool.sample(p, "test", samples, rng) for p in group])
        train_idx = np.concatenate([pool.sample(p, "train", samples, rng) for p in group])
        real_test, real_train = to_tensor(pool.images[test_idx]), to_tensor(pool.images[train_idx])
        refs[is_subset] = {
            "real_test": real_test, "real_train": real_train,
            "ceiling": attribute_accuracy(evaluator.predict(real_test), _targets(group, samples, columns)),
            "floor": fid_kid(evaluator, real_test, real_train, kid_subset=min(100, len(real_test))),
            "real_diversity_vs_itself": _diversity_ratio(evaluator, real_train, real_test, samples),
        }
    rows, pictures = [], {}
    for setting in settings:
        group, ref = groups[setting.subset], refs[setting.subset]
        start = time.perf_counter()
        images = generate(pipe, group, samples, setting, seed, progress)
        seconds = time.perf_counter() - start
        accuracy = attribute_accuracy(evaluator.predict(images), _targets(group, samples, columns))
        by_wording = {}
        for novel in (False, True):
            keep = np.repeat([p.novel == novel for p in group], samples)
            if keep.any():
                by_wording["novel" if novel else "catalog"] = attribute_accuracy(
                    evaluator.predict(images[torch.from_numpy(keep)]),
                    {k: v[keep] for k, v in _targets(group, samples, columns).items()})
        rows.append({
            "setting": setting.name, "sampler": setting.sampler, "steps": setting.steps,
            "guidance": setting.guidance, "guidance_from": setting.guidance_from, "subset": setting.subset,
            "images": len(images),
            "seconds_per_image": seconds / len(images), "accuracy": accuracy,
            "accuracy_vs_ceiling": {k: v / max(ref["ceiling"][k], 1e-9) for k, v in accuracy.items()},
            "accuracy_by_wording": by_wording,
            **fid_kid(evaluator, ref["real_test"], images, kid_subset=min(100, len(images))),
            "diversity_ratio": _diversity_ratio(evaluator, images, ref["real_train"], samples),
        })
        pictures[(setting.name, setting.subset)] = images
    return {"prompts": [p.__dict__ for p in prompts], "samples_per_prompt": samples, "subset_prompts": subset_prompts,
            "ceiling": refs[False]["ceiling"], "floor": refs[False]["floor"],
            "subset_ceiling": refs[True]["ceiling"], "subset_floor": refs[True]["floor"],
            "real_diversity_ratio": refs[False]["real_diversity_vs_itself"], "rows": rows}, pictures


def pick_guidance(rows: list[dict], samplers: tuple[str, ...] = (DEFAULT_SAMPLER, "dpm++"),
                  steps: int = 20) -> dict | None:
    """The full-set row of the first of `samplers` the report holds, at `steps`, with the best mean
    attribute accuracy among those whose diversity is ≥ 50 % of real; lower FID breaks ties.
    Without rows at `steps`, the step count with the most guidance values stands in. Rows with a
    guidance interval are not candidates: the pipeline guides every step unless asked otherwise."""
    rows = [r for r in rows if not r.get("guidance_from")]
    sampler = next((s for s in samplers if any(r["sampler"] == s and not r["subset"] for r in rows)), None)
    same_sampler = [r for r in rows if r["sampler"] == sampler and not r["subset"]]
    if not same_sampler:
        return None
    if not any(r["steps"] == steps for r in same_sampler):
        counts = {}
        for r in same_sampler:
            counts[r["steps"]] = counts.get(r["steps"], 0) + 1
        steps = max(counts, key=counts.get)
    candidates = [r for r in same_sampler if r["steps"] == steps]
    ok = [r for r in candidates if r["diversity_ratio"] >= 0.5] or candidates
    return max(ok, key=lambda r: (round(np.mean(list(r["accuracy"].values())), 3), -r["fid"]))


def previous_report(out_dir: str | Path) -> dict:
    source = Path(out_dir) / "metrics.json"
    if not source.exists():
        raise FileNotFoundError(f"{source}: no report to add rows to")
    return json.loads(source.read_text())


def check_addable(out_dir: str | Path, model: str, n_prompts: int, samples: int, subset_prompts: int,
                  seed: int, source: str | None = None) -> None:
    """Before sampling anything: would rows made with these options fit the report in out_dir?
    (`source`: "shop" for the held-out items' prompts, whose texts are checked after drawing them.)"""
    planned = {"samples_per_prompt": samples, "subset_prompts": subset_prompts, "model": model,
               "prompt_set": source}
    if source is None:
        planned["prompts"] = [p.__dict__ for p in prompt_set(n_prompts, seed)]
    _check_protocol(previous_report(out_dir), planned, planned, Path(out_dir) / "metrics.json")


def _check_protocol(previous: dict, current: dict, keys, source) -> None:
    for key in keys:
        if not _same(previous.get(key), current.get(key)):
            raise ValueError(f"{source}: field {key!r} differs from this run's, so its rows are not comparable; "
                             "run the whole table instead (without --add)")


def merge_rows(previous: dict, result: dict, model: str, source: str = "metrics.json") -> tuple[list[dict], dict]:
    """The rows and grids of an earlier report with `result`'s rows added; a new row replaces an old
    one of the same setting. The two must share prompts, samples, evaluator figures and model."""
    _check_protocol(previous, {**result, "model": model}, SAME_PROTOCOL, source)
    new = {(r["setting"], r["subset"]) for r in result["rows"]}
    kept = [r for r in previous["rows"] if (r["setting"], r["subset"]) not in new]
    return kept + result["rows"], dict(previous.get("grids", {}))


def _same(a, b) -> bool:
    """Equal, floats to 1e-6 relative (a float that went through JSON, or another thread count)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and np.isclose(a, b, rtol=1e-6, atol=0)
    return a == b


def write_report(result: dict, pictures: dict, out_dir: str | Path, model: str, add: bool = False) -> Path:
    """metrics.json, report.md, quality.png and sample grids (from `pictures`: (setting, subset) →
    images) in out_dir. With `add`, the rows join those of the report already there (same
    prompts, samples and model) instead of replacing it."""
    from vitrine.diffusion.grid import save_grid
    from vitrine.evaluate.plots import quality_plots
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows, grids = result["rows"], {}
    if add:
        rows, grids = merge_rows(previous_report(out), result, model, str(out / "metrics.json"))
    result = {**result, "rows": rows}
    chosen = pick_guidance(rows)
    prompts, samples = result["prompts"], result["samples_per_prompt"]
    for row in rows:
        images = pictures.get((row["setting"], row["subset"]))  # rows kept from an earlier report have their grids
        if images is None:
            continue
        if row is chosen or (row["subset"] and row["sampler"] == "ddpm"):
            count = min(len(images), 16 * samples)
            pil = [_to_pil(x) for x in images[:count]]
            labels = [prompts[i // samples]["text"] if i % samples == 0 else "" for i in range(count)]
            grids[row["setting"]] = save_grid(pil, out / f"samples-{_slug(row['setting'])}.png", columns=samples,
                                              labels=labels, title=f"{model}: {row['setting']}").name
    metrics = {**{k: v for k, v in result.items() if k != "rows"}, "model": model, "rows": result["rows"],
               "chosen": chosen["setting"] if chosen else None, "grids": grids}
    plot = quality_plots(result["rows"], out / "quality.png")
    write_files(out, "metrics", metrics, _markdown(metrics, plot.name), "report")  # atomic: --add reads it back
    return out


def _to_pil(x: torch.Tensor):
    from PIL import Image
    return Image.fromarray((x.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


def _slug(name: str) -> str:
    return name.replace("+", "p").replace("@", "-g").replace(".", "_")


ROW_COLUMNS = [Column("setting", lambda r: r["setting"] + (" (subset)" if r["subset"] else "")), Column("images"),
               *(Column(name, lambda r, name=name: r["accuracy"].get(name, float("nan")), "{:.1%}") for name in COLUMNS),
               Column("FID", "fid", "{:.2f}"),
               Column("KID", "kid", "{:.4f}"), Column("diversity vs real", "diversity_ratio", "{:.0%}"),
               Column("s/image", "seconds_per_image", "{:.3f}")]


def _markdown(m: dict, plot: str) -> str:
    c, f = m["ceiling"], m["floor"]
    ceiling = ", ".join(f"{name} {value:.1%}" for name, value in c.items())
    source = ("the shop's held-out items' own prompts" if m.get("prompt_set") == "shop" else "the fixed prompt set")
    lines = [f"# Generation report: {m['model']}", "",
             f"{len(m['prompts'])} prompts ({source}) × {m['samples_per_prompt']} samples (subset rows: first "
             f"{m['subset_prompts']} prompts). Evaluator ceiling on matching real held-out photos: {ceiling}. "
             f"Real-vs-real FID floor {f['fid']:.2f} (KID {f['kid']:.4f}); subset floor "
             f"{m['subset_floor']['fid']:.2f}. A column the shop does not fill shows as nan.", "",
             f"Chosen setting: **{m['chosen']}**.", "",
             Table(ROW_COLUMNS, m["rows"]).markdown()]
    lines += ["", f"![quality against steps and guidance]({plot})", ""]
    lines += [f"![{name}]({file})" for name, file in m["grids"].items()]
    return "\n".join(lines) + "\n"
