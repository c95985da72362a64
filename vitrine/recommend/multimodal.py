"""Vitrine's recommender: items from text + image + behaviour, users from their history.

Item i:  v_i = MLP_item(c_i) + m_i·e_i,  c_i = [MiniLM description vector, image vector, has-photo,
         log relative price]; e_i a learned ID embedding, m_i = 1 if i has training history (so a
         brand-new item is scored from content alone), and during training m_i is also dropped at
         random (ID dropout) so the content tower must carry the ranking on its own.
User u:  h_u = Σ_j r_uj·[c_j, e'_j] / Σ_j r_uj over the (event-weighted) history, then
         u = MLP_user(h_u) + d_u, d_u a user ID embedding. The MLP lets a user's taste be a
         non-linear function of the history's category/colour/pattern proportions.
         Optionally (history_size) the tower also reads log(1 + Σ_j r_uj), so it knows how much
         evidence the mean rests on and can shrink a thin history toward the crowd. With
         binary_history it also reads the unweighted mean Σ_j c_j / n_u: a session's category is
         drawn from θ_u, so plain item counts estimate θ_u, while cart and purchase weights lean
         toward within-category taste.
Score:   s(u, i) = ⟨u, v_i⟩ + b_i + a·log(1 + D_i) [+ w·⟨p_u, q_i⟩], with b_i = w₁·log(1 + users_i) +
         w₂·log(1 + recent_i) learned; a (recency_weight) on the decayed event count
         D_i = Σ_events γ^(age / 14 days) before the cut: an item's popularity drifts (the default
         shop's log pop is a random walk across two-week periods), and the network, trained to
         recover hidden parts of the *training* history, learns all-time popularity, while the
         task is the next period; a and γ are chosen on the valid fold like w. Optionally
         (cf_weight = w > 0), a collaborative block: implicit-ALS factors p_u, q_i fitted on the
         same matrix, q_i = 0 for items without history (new items: content alone).
Training: each epoch splits every user's training items at random into an input half and a
         target half (a denoising objective, as in Mult-VAE, Liang et al. 2018), and minimises the
         multinomial log-likelihood of the targets, L_u = −Σ_{i∈target} r_ui·log p(i | u) / Σ r_ui,
         with p a softmax over the batch's target items plus `negatives` items drawn uniformly
         from the catalog (mixed negative sampling, Yang et al. 2020): the item tower then runs
         on a few thousand items a step, not the whole catalog. With logq, each candidate's logit
         is lowered by log π_i, its chance of being among the candidates: the in-batch targets
         over-represent popular items, and uncorrected they are pushed down (Yi et al. 2019).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from safetensors.torch import load_file
from torch import nn

from vitrine.progress import Reporter, bar
from vitrine.atomic import save_safetensors, write_text
from vitrine.recommend.baselines import Recommender
from vitrine.recommend.config import MultimodalConfig
from vitrine.recommend.content import ContentEncoder
from vitrine.recommend.data import Fold
from vitrine.recommend.features import ItemFeatures


RECENCY_DAYS = 14  # the unit of an event's age in the decayed count (the default shop's period)
CONSTANT_SPREAD = 1e-3  # a content column whose spread is below this never varied in the fit


def decayed_item_counts(fold: Fold, decay: float) -> np.ndarray:
    """D_i = Σ over item i's events before the cut of decay^(age / RECENCY_DAYS)."""
    if not 0 < decay <= 1:
        raise ValueError(f"recency_decay must be in (0, 1], got {decay}")
    before = fold.log.ts < fold.cut_ms
    age = (fold.cut_ms - fold.log.ts[before]) / (RECENCY_DAYS * 24 * 3600 * 1000)
    return np.bincount(fold.log.item[before], weights=decay ** age, minlength=fold.log.n_items)


def _to_torch_sparse(m: sp.csr_matrix) -> torch.Tensor:
    m = m.tocoo()
    index = torch.from_numpy(np.vstack([m.row, m.col]).astype(np.int64))
    return torch.sparse_coo_tensor(index, torch.from_numpy(m.data.astype(np.float32)), m.shape,
                                   check_invariants=False).coalesce()


def _row_sums(m: sp.csr_matrix) -> torch.Tensor:
    return torch.from_numpy(np.asarray(m.sum(axis=1), dtype=np.float32).ravel())


def _row_normalise(m: sp.csr_matrix) -> sp.csr_matrix:
    totals = np.asarray(m.sum(axis=1)).ravel()
    return sp.diags(1.0 / np.maximum(totals, 1e-9)) @ m


class Network(nn.Module):
    def __init__(self, n_users: int, n_items: int, n_content: int, config: MultimodalConfig):
        super().__init__()
        d = config.dim
        self.use_ids = config.use_ids
        if n_content == 0 and not config.use_ids:
            raise ValueError("multimodal: no content parts and no ID embeddings: nothing to score items by")
        # no content parts (a behaviour-only run, e.g. MovieLens): items are their ID embeddings alone
        self.item_tower = (nn.Sequential(nn.Linear(n_content, 2 * d), nn.GELU(), nn.Linear(2 * d, d))
                           if n_content else None)
        self.history_size = config.history_size
        self.binary_history = config.binary_history
        n_user_in = (n_content * (2 if config.binary_history else 1) + (d if config.use_ids else 0)
                     + (1 if config.history_size else 0))
        self.user_tower = nn.Sequential(nn.Linear(n_user_in, 2 * d), nn.GELU(),
                                        nn.Linear(2 * d, d))
        if config.use_ids:
            self.item_id = nn.Embedding(n_items, d)      # e_i, the item as a target
            self.item_in = nn.Embedding(n_items, d)      # e'_i, the item as part of a history
            tables = [self.item_id, self.item_in]
            if config.user_ids:
                self.user_id = nn.Embedding(n_users, d)  # d_u
                tables.append(self.user_id)
            for table in tables:
                nn.init.normal_(table.weight, std=0.01)
        self.pop_weight = nn.Parameter(torch.tensor([0.5, 0.5]))

    def items(self, content: torch.Tensor, id_mask: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Item vectors of `rows` (all items if None); content and id_mask are already those rows'."""
        if not self.use_ids:
            return self.item_tower(content)
        ids = id_mask[:, None] * (self.item_id.weight if rows is None else self.item_id(rows))
        return ids if self.item_tower is None else self.item_tower(content) + ids

    def users(self, history: torch.Tensor, content: torch.Tensor, user_index: torch.Tensor | None,
              size: torch.Tensor, presence: torch.Tensor | None = None) -> torch.Tensor:
        """history: (B, I) sparse, rows summing to 1; size: (B,) the rows' summed event weights;
        presence: the same rows with every item weighted alike (used with binary_history);
        user_index None: histories of no fitted user (no ID embedding added)."""
        h = torch.sparse.mm(history, content)
        if self.binary_history:
            h = torch.cat([h, torch.sparse.mm(presence, content)], dim=1)
        if self.use_ids:
            h = torch.cat([h, torch.sparse.mm(history, self.item_in.weight)], dim=1)
        if self.history_size:
            h = torch.cat([h, torch.log1p(size)[:, None]], dim=1)
        u = self.user_tower(h)
        return u + self.user_id(user_index) if hasattr(self, "user_id") and user_index is not None else u

    def bias(self, popularity: torch.Tensor) -> torch.Tensor:
        return popularity @ self.pop_weight


class Multimodal(Recommender):
    uses_content = True

    def __init__(self, features: ItemFeatures, config: MultimodalConfig = MultimodalConfig(), name: str | None = None):
        self.features, self.config = features, config
        self.name = name or self.default_name(config)

    @staticmethod
    def default_name(config: MultimodalConfig) -> str:
        return ("multimodal (" + " + ".join(config.parts) + (" + behaviour" if config.use_ids else "")
                + (" + ALS factors" if config.cf_weight else "")
                + (" + recency" if config.recency_weight else "") + ")")

    def set_recency(self, weight: float, decay: float, fold: Fold) -> "Multimodal":
        """Set a and γ of the scoring-time term a·log(1 + D_i) of a fitted model without refitting
        (D_i is recounted from the fold's log)."""
        self.config = replace(self.config, recency_weight=float(weight), recency_decay=float(decay))
        self.recency = np.log1p(decayed_item_counts(fold, decay)).astype(np.float32)
        self.name = self.default_name(self.config)
        self._refresh()
        return self

    def set_cf_weight(self, weight: float) -> "Multimodal":
        """Rescale the collaborative block of a fitted model (0 switches it off) without refitting:
        w only multiplies the user's half, [u, w·p_u]. The name follows."""
        if weight and self.cf_user is None:
            raise ValueError("this model was fitted without a collaborative block (cf_weight = 0)")
        self.config = replace(self.config, cf_weight=float(weight))
        self.name = self.default_name(self.config)
        return self

    def params(self) -> dict:
        return asdict(self.config)

    # ---- fitting -------------------------------------------------------------------------
    def fit(self, fold: Fold, progress: bool | Reporter = False) -> "Multimodal":
        cfg = self.config
        if not np.array_equal(self.features.item_ids, fold.log.item_ids):
            raise ValueError("item features and the log list different items")
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        self.content = self._standardise(self.features.matrix(cfg.parts))
        self.content_encoder = ContentEncoder(cfg.parts, self.features.image.shape[1], self.features.encoder,
                                              self.features.price_medians, self.features.any_generated)
        self.history = fold.train.tocsr().astype(np.float32)
        self.bought = fold.bought.tocsr()
        self.has_history = torch.from_numpy(fold.item_users > 0).float()
        self.popularity = torch.from_numpy(np.stack([np.log1p(fold.item_users), np.log1p(fold.recent_item_counts)], 1)
                                           .astype(np.float32))
        self.recency = np.log1p(decayed_item_counts(fold, cfg.recency_decay)).astype(np.float32)
        self.net = Network(fold.log.n_users, fold.log.n_items, self.content.shape[1], cfg)
        opt = torch.optim.AdamW(self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        users = np.flatnonzero(np.diff(self.history.indptr) > 1)  # need something to show and something to hide
        self.log_inclusion = self._log_inclusion(len(users))
        steps = cfg.epochs * int(np.ceil(len(users) / cfg.batch_size))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=max(steps, 1))
        self.losses, start = [], time.perf_counter()
        self.net.train()
        with bar(steps, f"fit {self.name}", "step", progress) as steps_bar:
            for _ in range(cfg.epochs):
                shown, hidden = self._split(rng)
                for batch in np.array_split(rng.permutation(users), max(1, int(np.ceil(len(users) / cfg.batch_size)))):
                    loss = self._loss(batch, shown, hidden, rng)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    sched.step()
                    self.losses.append(float(loss.detach()))
                    steps_bar.update()
                    steps_bar.set_postfix(loss=f"{self.losses[-1]:.3f}", refresh=False)
        self.net.eval()
        self.cf_user, self.cf_item = self._fit_collaborative(fold) if cfg.cf_weight else (None, None)
        self.fit_seconds = time.perf_counter() - start
        self._refresh()
        return self

    def _log_inclusion(self, n_users: int) -> torch.Tensor:
        """log π_i, π_i the chance item i is among a step's candidates: drawn as one of the
        `negatives` uniform items, or as one of the step's ≈ n_t target entries, which follow the
        items' share f_i of the training matrix: π_i = 1 − (1 − n/I)(1 − f_i)^n_t. Subtracting it
        from the logits is the sampled-softmax correction (Bengio & Senécal 2008; Yi et al. 2019)
        that stops popular items, over-represented among in-batch candidates, being pushed down."""
        n_items, cfg = self.history.shape[1], self.config
        share = np.bincount(self.history.indices, minlength=n_items) / max(self.history.nnz, 1)
        n_targets = self.history.nnz * (1 - cfg.input_share) * min(cfg.batch_size, n_users) / max(n_users, 1)
        miss = (1 - min(cfg.negatives, n_items) / n_items) * np.exp(n_targets * np.log1p(-np.minimum(share, 1 - 1e-9)))
        return torch.from_numpy(np.log(np.maximum(1 - miss, 1e-12)).astype(np.float32))

    def _fit_collaborative(self, fold: Fold) -> tuple[np.ndarray, np.ndarray]:
        """Implicit ALS factors (p_u, q_i) on the same training matrix; items without history get
        q_i = 0, so a new item is still scored by its content alone. Fitted after the network, not
        inside its loss: ALS has seen the training targets, and a weight learned on them would trust
        it too much (measured: ALS factors as a network input fell to 0.120 valid Recall@20). The
        weight w is chosen on the valid fold instead, like every other setting."""
        from vitrine.recommend.baselines import ALS
        cfg = self.config
        als = ALS(factors=cfg.cf_factors, regularization=cfg.cf_regularization, alpha=cfg.cf_alpha,
                  seed=cfg.seed).fit(fold)
        item = np.asarray(als.item_factors, dtype=np.float32) * (fold.item_users > 0)[:, None]
        return np.asarray(als.user_factors, dtype=np.float32), item

    def _standardise(self, content: torch.Tensor) -> torch.Tensor:
        if content.shape[1] == 0:  # behaviour only: nothing to standardise
            self.mean, self.std = torch.zeros(0), torch.ones(0)
            return content
        self.mean, self.std = content.mean(0), content.std(0).clamp(min=CONSTANT_SPREAD)
        return (content - self.mean) / self.std

    def _split(self, rng) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Each (user, item) entry of the training matrix goes to the input half with p = input_share."""
        h = self.history
        show = rng.random(h.nnz) < self.config.input_share
        # copies of the index arrays: eliminate_zeros() rewrites them in place
        shown = sp.csr_matrix((h.data * show, h.indices.copy(), h.indptr.copy()), shape=h.shape)
        hidden = sp.csr_matrix((h.data * ~show, h.indices.copy(), h.indptr.copy()), shape=h.shape)
        shown.eliminate_zeros()
        hidden.eliminate_zeros()
        return shown, hidden

    def _loss(self, batch: np.ndarray, shown: sp.csr_matrix, hidden: sp.csr_matrix, rng) -> torch.Tensor:
        # users whose random split left one side empty still train: they see their whole history
        inputs = shown[batch]
        empty = np.diff(inputs.indptr) == 0
        if empty.any():
            inputs = sp.vstack([self.history[[u]] if e else inputs[[k]] for k, (u, e) in enumerate(zip(batch, empty))])
        targets = hidden[batch]
        targets = targets + self.history[batch].multiply(np.diff(targets.indptr)[:, None] == 0)  # no hidden: all
        targets = targets.tocsr()
        if self.config.binary_targets:
            targets.data[:] = 1.0
        t = _row_normalise(targets).tocoo()
        n_items = len(self.has_history)
        sampled = rng.choice(n_items, size=min(self.config.negatives, n_items), replace=False)
        candidates, column = np.unique(np.concatenate([t.col, sampled]), return_inverse=True)
        rows = torch.from_numpy(candidates.astype(np.int64))
        keep = torch.from_numpy(rng.random(len(rows)) >= self.config.id_dropout).float()  # ID dropout
        v = self.net.items(self.content[rows], self.has_history[rows] * keep, rows)
        u = self._users(inputs.tocsr(), batch)
        logits = u @ v.T + self.net.bias(self.popularity[rows])
        if self.config.logq:
            logits = logits - self.log_inclusion[rows]
        log_p = torch.log_softmax(logits, dim=1)
        picked = log_p[torch.from_numpy(t.row.astype(np.int64)), torch.from_numpy(column[:len(t.col)].astype(np.int64))]
        return -(torch.from_numpy(t.data.astype(np.float32)) * picked).sum() / len(batch)

    def _users(self, history: sp.csr_matrix, users) -> torch.Tensor:
        """User vectors from their (event-weighted) history rows."""
        presence = None
        if self.config.binary_history:
            flat = history.copy()
            flat.data[:] = 1.0
            presence = _to_torch_sparse(_row_normalise(flat))
        index = None if users is None else torch.from_numpy(np.asarray(users))
        return self.net.users(_to_torch_sparse(_row_normalise(history)), self.content, index, _row_sums(history),
                              presence)

    # ---- scoring -------------------------------------------------------------------------
    @torch.inference_mode()
    def _refresh(self) -> None:
        """Item vectors and biases for scoring; users use their whole training history."""
        self.item_vectors = self.net.items(self.content, self.has_history).numpy()
        if self.cf_item is not None:  # [v_i, q_i]: one inner product gives ⟨u, v_i⟩ + w·⟨p_u, q_i⟩
            self.item_vectors = np.hstack([self.item_vectors, self.cf_item])
        self.item_bias = self.net.bias(self.popularity).numpy() + self.config.recency_weight * self.recency

    @torch.inference_mode()
    def user_vectors(self, users: np.ndarray) -> np.ndarray:
        u = self._users(self.history[users], users).numpy()
        if self.cf_user is not None:
            u = np.hstack([u, self.config.cf_weight * self.cf_user[users]])
        return u

    @torch.inference_mode()
    def history_vectors(self, history: sp.csr_matrix, cf_user: np.ndarray | None = None) -> np.ndarray:
        """User vectors of event-weighted history rows (B, I) that need no fitted user: the user
        tower reads the history, so a new event moves the vector without a refit. `cf_user`: their
        ALS factors (B, f) when they were in the fit; otherwise 0, as for an anonymous session."""
        u = self._users(history.tocsr().astype(np.float32), None).numpy()
        if self.cf_user is not None:
            cf = cf_user if cf_user is not None else np.zeros((len(u), self.cf_user.shape[1]), np.float32)
            u = np.hstack([u, self.config.cf_weight * cf])
        return u

    def scores(self, users: np.ndarray) -> np.ndarray:
        return self.user_vectors(users) @ self.item_vectors.T + self.item_bias

    @torch.inference_mode()
    def vectors_from_content(self, texts: list[str], images: list | None = None,
                             prices: list[float | None] | None = None,
                             categories: list[str | None] | None = None, generated: bool = False) -> np.ndarray:
        """Item vectors, comparable with item_vectors, for items the model has never seen: their
        content through the saved encoders and the fitted standardisation and item tower, no ID
        embedding and no ALS factors (q_i = 0), as for a new catalog item. ⟨u, v⟩ scores them;
        their popularity bias is 0. `generated`: the images are generated pictures, not photos."""
        if self.content_encoder is None or self.net.item_tower is None:
            raise ValueError("this model scores items by ID alone (or was saved without its content encoders)")
        return self.vectors_from_features(self.content_encoder.features(texts, images, prices, categories, generated))

    @torch.inference_mode()
    def vectors_from_features(self, raw: torch.Tensor) -> np.ndarray:
        """Item vectors of raw content rows (ContentEncoder.features' layout), as vectors_from_content.
        A column that never varied in the fit (every catalog item has a photo, so the has-photo flag
        is always 1) is held at its fitted value: standardised by the clamped spread 1e-3, any other
        value would enter the tower at a thousand standard deviations."""
        if self.net.item_tower is None:
            raise ValueError("this model scores items by ID alone")
        constant = self.std <= CONSTANT_SPREAD
        raw = torch.where(constant, self.mean, raw)
        vectors = self.net.item_tower((raw - self.mean) / self.std).numpy()  # v_i = MLP(c_i); m_i = 0
        if self.cf_item is not None:
            vectors = np.hstack([vectors, np.zeros((len(raw), self.cf_item.shape[1]), np.float32)])
        return vectors

    def raw_content(self) -> torch.Tensor:
        """(I, F) every catalog item's content before standardisation, in ContentEncoder.features' layout."""
        return self.content * self.std + self.mean

    # ---- saving --------------------------------------------------------------------------
    def save(self, folder: str | Path, user_ids: np.ndarray, item_ids: np.ndarray) -> Path:
        """Weights, the content and history it scores from, what each user bought, and both ID
        maps: a loaded model scores exactly like this one without the store or the fold."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {f"net.{k}": v.contiguous() for k, v in self.net.state_dict().items()}
        tensors.update({"content": self.content, "has_history": self.has_history, "popularity": self.popularity,
                        "recency": torch.from_numpy(self.recency), "content.mean": self.mean.contiguous(),
                        "content.std": self.std.contiguous(), **self.content_encoder.tensors()})
        if self.cf_user is not None:
            tensors.update({"cf_user": torch.from_numpy(self.cf_user), "cf_item": torch.from_numpy(self.cf_item)})
        for name, m in (("history", self.history.tocsr()), ("bought", self.bought.tocsr())):
            tensors.update({f"{name}.indptr": torch.from_numpy(m.indptr.astype(np.int64)),
                            f"{name}.indices": torch.from_numpy(m.indices.astype(np.int64)),
                            f"{name}.data": torch.from_numpy(m.data.astype(np.float32))})
        save_safetensors(tensors, folder / "model.safetensors")
        meta = {"name": self.name, "config": asdict(self.config), "content_encoder": self.content_encoder.meta(),
                "user_ids": [str(u) for u in user_ids], "item_ids": [str(i) for i in item_ids]}
        write_text(folder / "model.json", json.dumps(meta) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> tuple["Multimodal", np.ndarray, np.ndarray]:
        from safetensors import SafetensorError
        folder = Path(folder)
        if not (folder / "model.safetensors").exists():
            raise FileNotFoundError(f"{folder}: no model.safetensors (fit one with `vitrine fit`)")
        try:
            meta = json.loads((folder / "model.json").read_text())
            config = MultimodalConfig.from_dict(meta["config"])
            user_ids, item_ids = np.array(meta["user_ids"], dtype=object), np.array(meta["item_ids"], dtype=object)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{folder / 'model.json'}: unreadable ({type(exc).__name__}: {str(exc)[:200]})") from None
        try:
            t = load_file(str(folder / "model.safetensors"))
            return cls._from_tensors(t, meta, config, user_ids, item_ids), user_ids, item_ids
        except (SafetensorError, KeyError, RuntimeError, ValueError) as exc:
            raise ValueError(f"{folder / 'model.safetensors'}: unreadable or not matching model.json "
                             f"({type(exc).__name__}: {str(exc)[:200]})") from None

    @classmethod
    def _from_tensors(cls, t: dict, meta: dict, config: MultimodalConfig, user_ids, item_ids) -> "Multimodal":
        model = cls.__new__(cls)
        model.config, model.name, model.features = config, meta["name"], None
        model.content, model.has_history, model.popularity = t["content"], t["has_history"], t["popularity"]
        model.mean, model.std = t.get("content.mean"), t.get("content.std")
        model.content_encoder = (ContentEncoder.restore(meta["content_encoder"], t)
                                 if "content_encoder" in meta and model.mean is not None else None)
        # models saved before the recency term have none: score them as they were
        model.recency = t["recency"].numpy() if "recency" in t else np.zeros(len(model.has_history), np.float32)
        if "recency" not in t:
            model.config = replace(model.config, recency_weight=0.0)
        model.cf_user, model.cf_item = ((t["cf_user"].numpy(), t["cf_item"].numpy()) if "cf_user" in t else (None, None))
        shape = (len(user_ids), len(item_ids))
        model.history, model.bought = (sp.csr_matrix((t[f"{name}.data"].numpy(), t[f"{name}.indices"].numpy(),
                                                      t[f"{name}.indptr"].numpy()), shape=shape)
                                       for name in ("history", "bought"))
        model.net = Network(len(user_ids), len(item_ids), model.content.shape[1], config)
        model.net.load_state_dict({k[4:]: v for k, v in t.items() if k.startswith("net.")})
        model.net.eval()
        model._refresh()
        return model
