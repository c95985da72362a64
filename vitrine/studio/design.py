"""Designs for one shopper: products they would want, which need not exist in the catalog.

1. Candidate prompts: every category × colour × pattern of the catalog's vocabulary (10 × 13 × 4 =
   520), one plain phrase each ("a navy checked coat"). Each is scored as an item that has a
   photo: its text through the recommender's saved text encoder, and for its picture part the mean
   image vector of the `neighbours` catalog photos whose descriptions are nearest its text
   (cosine of sentence vectors), then the fitted item tower, v = MLP(c). Text with an empty
   picture part sits outside what the tower was fitted on when every catalog item has a photo
   (`vitrine eval studio --parts design` reports both rankings). Computed once per Designer.
2. The shopper's `prompts` best prompts by ⟨u, v⟩ get `per_prompt` pictures each, from seeds
   seed, seed + 1, …: a prompt and a seed always give the same picture, whoever it is for.
3. Every picture is scored as an item of its own — (prompt, picture) → v → ⟨u, v⟩ — the
   preference maximisation of DVBPR (Kang et al., ICDM 2017) with a diffusion model as the
   generator: a picture that misses the prompt's colour, or shows it better, moves accordingly.
   The n best are kept, at most `max_per_prompt` of one prompt, so a page is not one idea n times.
4. Each design lists the catalog items nearest it in the recommender's space (cosine): "designed
   for you — closest in stock".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from vitrine.errors import Invalid
from vitrine.catalog.attributes import CATEGORIES, CATEGORY_NAMES, COLOURS, PATTERNS

MAX_CANDIDATES = 256


@dataclass(frozen=True)
class Combination:
    category: int
    colour: int
    pattern: int

    def prompt(self) -> str:
        """"a navy checked coat", "a pair of plain red sneakers": first words of each vocabulary."""
        category = CATEGORIES[self.category]
        colour, pattern = COLOURS[self.colour].words[0], PATTERNS[self.pattern].adjectives[0]
        words = f"{pattern} {colour}" if self.pattern == 0 else f"{colour} {pattern}"
        article = "a pair of" if category.plural else "a"
        return f"{article} {words} {category.nouns[0]}"


def combinations() -> list[Combination]:
    """All category × colour × pattern combinations, category-major."""
    return [Combination(c, k, p) for c in range(len(CATEGORIES)) for k in range(len(COLOURS))
            for p in range(len(PATTERNS))]


@dataclass
class Design:
    prompt: str
    combination: Combination      # what the prompt asks for (the picture may differ)
    seed: int
    image: Image.Image
    score: float                  # ⟨u, v⟩ of the picture as an item
    prompt_score: float           # ⟨u, v⟩ of the prompt's text alone
    nearest: list[tuple[str, float]]  # closest catalog items (ID, cosine)


def check_design(n: int, prompts: int, per_prompt: int, max_per_prompt: int) -> None:
    """An Invalid error naming the argument at fault."""
    if not 1 <= prompts <= len(combinations()):
        raise Invalid(f"must be between 1 and {len(combinations())}, got {prompts}", "prompts")
    if not 1 <= per_prompt or prompts * per_prompt > MAX_CANDIDATES:
        raise Invalid(f"prompts × per-prompt pictures must be between 1 and {MAX_CANDIDATES}, "
                      f"got {prompts} × {per_prompt}", "per_prompt")
    if max_per_prompt < 1:
        raise Invalid(f"must be at least 1, got {max_per_prompt}", "max_per_prompt")
    most = prompts * min(per_prompt, max_per_prompt)
    if not 1 <= n <= most:
        raise Invalid(f"must be between 1 and {most} (prompts × the smaller of per-prompt pictures and "
                      f"designs kept per prompt), got {n}", "n")


def pick(scores: np.ndarray, groups: np.ndarray, n: int, max_per_group: int) -> list[int]:
    """Indices of the n highest scores, best first, taking at most `max_per_group` from one group."""
    taken: dict[int, int] = {}
    chosen = []
    for k in np.argsort(-scores, kind="stable"):
        g = int(groups[k])
        if taken.get(g, 0) < max_per_group:
            chosen.append(int(k))
            taken[g] = taken.get(g, 0) + 1
            if len(chosen) == n:
                break
    return chosen


def _unit(rows: torch.Tensor) -> torch.Tensor:
    return rows / rows.norm(dim=1, keepdim=True).clamp_min(1e-9)


def prompt_vectors(model, texts: list[str], categories: list[str], neighbours: int = 16) -> np.ndarray:
    """Item vectors of prompts, each given the mean picture part of the catalog items whose
    descriptions are nearest it (among those with a photo); from text alone when the model has no
    picture part, no text part, or no catalog photos, or neighbours is 0."""
    encoder = model.content_encoder
    raw = encoder.features(texts, None, None, categories)
    text, image, flag = encoder.columns("text"), encoder.columns("image"), encoder.has_picture_column()
    catalog = model.raw_content()
    with_photo = np.flatnonzero(catalog[:, flag].numpy() > 0.5) if image and text else np.array([])
    if neighbours < 1 or len(with_photo) == 0:
        return model.vectors_from_features(raw)
    similarity = _unit(raw[:, text]) @ _unit(catalog[with_photo, text]).T
    nearest = torch.from_numpy(with_photo)[similarity.topk(min(neighbours, len(with_photo)), dim=1).indices]
    raw[:, image] = catalog[nearest][:, :, image].mean(1)  # its flag becomes 1: "has a photo"
    return model.vectors_from_features(raw)


class Designer:
    """Holds the models and the candidate prompts' text vectors; `design` answers one shopper."""

    def __init__(self, pipe, recs, steps: int | None = None, guidance: float = 3.0, seed: int = 0,
                 neighbours: int = 16):
        """Unset, steps are the model's default: 10 for the full model, 4 for a distilled one."""
        self.pipe, self.recs, self.guidance, self.seed = pipe, recs, guidance, seed
        self.steps = pipe.steps_or_default(steps, 10)
        self.combinations = combinations()
        self.prompts = [c.prompt() for c in self.combinations]
        self.categories = [CATEGORY_NAMES[c.category] for c in self.combinations]
        self.prompt_vectors = prompt_vectors(recs.model, self.prompts, self.categories, neighbours)

    def pictures(self, prompt_indices: list[int], per_prompt: int, batch: int = 64) -> list[Image.Image]:
        """`per_prompt` pictures of each prompt, prompt by prompt, seeds seed … seed + per_prompt − 1."""
        out = []
        step = max(1, batch // per_prompt)
        for start in range(0, len(prompt_indices), step):
            chunk = prompt_indices[start:start + step]
            generators = [torch.Generator().manual_seed(self.seed + j) for _ in chunk for j in range(per_prompt)]
            out += self.pipe([self.prompts[i] for i in chunk], num_images_per_prompt=per_prompt,
                             num_inference_steps=self.steps, guidance_scale=self.guidance, generator=generators).images
        return out

    def picture_vectors(self, prompt_indices: list[int], images: list[Image.Image]) -> np.ndarray:
        """Item vectors of pictures, each with the text of the prompt it was made from."""
        return self.recs.model.vectors_from_content([self.prompts[i] for i in prompt_indices], images, None,
                                                    [self.categories[i] for i in prompt_indices], generated=True)

    def design(self, user_id: str, n: int = 8, prompts: int = 8, per_prompt: int = 4, max_per_prompt: int = 2,
               nearest: int = 3) -> list[Design]:
        check_design(n, prompts, per_prompt, max_per_prompt)
        u = self.recs.user_vector(user_id)
        prompt_scores = self.prompt_vectors @ u
        best_prompts = np.argsort(-prompt_scores, kind="stable")[:prompts].tolist()
        images = self.pictures(best_prompts, per_prompt)
        of_prompt = np.repeat(best_prompts, per_prompt)
        vectors = self.picture_vectors(of_prompt.tolist(), images)
        scores = vectors @ u
        chosen = pick(scores, of_prompt, n, max_per_prompt)
        closest = self.recs.nearest(vectors[chosen], nearest) if nearest else [[] for _ in chosen]
        return [Design(self.prompts[of_prompt[k]], self.combinations[of_prompt[k]], self.seed + k % per_prompt,
                       images[k], float(scores[k]), float(prompt_scores[of_prompt[k]]), close)
                for k, close in zip(chosen, closest)]
