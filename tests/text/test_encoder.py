import torch

from vitrine.text.cache import cache_key, cached_token_states
from vitrine.text.encoder import DIM, MAX_TOKENS, shared_encoder


def test_token_states_and_mask_shapes():
    states, mask = shared_encoder().token_states(["a red t-shirt", "a pair of navy blue sneakers from Nordvik"])
    assert states.shape == (2, MAX_TOKENS, DIM) and mask.shape == (2, MAX_TOKENS)
    assert mask[0].sum() < mask[1].sum()  # the shorter text has fewer real tokens


def test_pooled_vectors_put_paraphrases_closer_than_other_products():
    a, b, c = shared_encoder().pooled(["a red t-shirt", "a scarlet tee", "navy blue ankle boots"])
    assert torch.allclose(a.norm(), torch.tensor(1.0), atol=1e-5)
    assert a @ b > a @ c


def test_cache_round_trip_and_key(tmp_path):
    texts = ["a yellow dotted dress", "a green bag"]
    first = cached_token_states(texts, tmp_path, progress=False)
    assert len(list(tmp_path.glob("text-*.safetensors"))) == 1
    again = cached_token_states(texts, tmp_path, progress=False)
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert cache_key(texts) != cache_key(texts[::-1])
