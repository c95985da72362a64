"""Encode a list of texts once and keep the token states on disk (safetensors, float16).

The cache key is a hash of the texts, the encoder id and the token length, so a changed catalog
or prompt list never reads stale states. The default training set's 58,783 descriptions took
8 min 14 s on 2 cores (the progress bar of `vitrine train`) and 1.4 GB as float16.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from safetensors.torch import load_file
from tqdm import tqdm

from vitrine.atomic import save_safetensors
from vitrine.text.encoder import MAX_TOKENS, MODEL_ID, TextEncoder, shared_encoder


def cache_key(texts: list[str], max_tokens: int = MAX_TOKENS) -> str:
    digest = hashlib.sha256(f"{MODEL_ID}|{max_tokens}|".encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x00")
    return digest.hexdigest()[:20]


def cache_path(texts: list[str], cache_dir: str | Path) -> Path:
    """Where cached_token_states keeps (or finds) the states of exactly these texts."""
    return Path(cache_dir) / f"text-{cache_key(texts)}.safetensors"


def encode_texts(texts: list[str], encoder: TextEncoder | None = None, batch_size: int = 256,
                 progress: bool = True, bar: tqdm | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Token states (N, L, 384) float16 and masks (N, L) bool for `texts`, in batches. `bar`: a
    caller's progress bar (counting texts) to advance instead of drawing one here."""
    encoder = encoder or shared_encoder()
    states = torch.empty((len(texts), encoder.max_tokens, 384), dtype=torch.float16)
    masks = torch.empty((len(texts), encoder.max_tokens), dtype=torch.bool)
    own = bar is None
    bar = tqdm(total=len(texts), desc="encode text", unit="text", disable=not progress) if own else bar
    for start in range(0, len(texts), batch_size):
        s, m = encoder.token_states(texts[start:start + batch_size])
        states[start:start + len(s)] = s.half()
        masks[start:start + len(s)] = m
        bar.update(len(s))
    if own:
        bar.close()
    return states, masks


def cached_token_states(texts: list[str], cache_dir: str | Path, progress: bool = True,
                        encoder: TextEncoder | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """encode_texts, read from / written to cache_dir/text-<key>.safetensors (written atomically)."""
    path = cache_path(texts, cache_dir)
    if path.exists():
        data = load_file(path)
        return data["states"], data["mask"].bool()
    states, masks = encode_texts(texts, encoder, progress=progress)
    save_safetensors({"states": states.contiguous(), "mask": masks.to(torch.uint8).contiguous()}, path)
    return states, masks
