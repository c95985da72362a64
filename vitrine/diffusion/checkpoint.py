"""Training state in one safetensors file, written atomically (temp file, then rename).

Tensors go in as tensors (model, EMA shadow, optimizer moments, RNG state); everything else
(step, optimizer hyper-parameters, LR-scheduler counters, EMA counters) goes into the file's
string metadata as JSON. Nothing is pickled.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open

from vitrine.atomic import save_safetensors


def _flatten_optimizer(state: dict) -> tuple[dict[str, torch.Tensor], dict]:
    tensors, extra = {}, {"param_groups": state["param_groups"], "state": {}}
    for index, slots in state["state"].items():
        for name, value in slots.items():
            if torch.is_tensor(value):
                tensors[f"optim.{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                extra["state"].setdefault(str(index), {})[name] = value
    return tensors, extra


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], extra: dict) -> dict:
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    for index, slots in extra["state"].items():
        state.setdefault(int(index), {}).update(slots)
    return {"state": state, "param_groups": extra["param_groups"]}


def save_training_state(path: str | Path, *, model: torch.nn.Module, ema, optimizer, lr_scheduler,
                        generator: torch.Generator, step: int, info: dict) -> None:
    path = Path(path)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    ema_state = ema.state_dict() if ema is not None else {"shadow_params": []}  # a run without EMA: None
    for i, p in enumerate(ema_state.pop("shadow_params")):
        tensors[f"ema.{i}"] = p.detach().cpu().contiguous()
    optim_tensors, optim_extra = _flatten_optimizer(optimizer.state_dict())
    tensors.update(optim_tensors)
    tensors["rng.generator"] = generator.get_state()
    tensors["rng.torch"] = torch.get_rng_state()
    # LambdaLR keeps None in place of plain-function lambdas; a run without an LR schedule passes None
    sched = lr_scheduler.state_dict() if lr_scheduler is not None else {}
    metadata = {"step": str(step), "info": json.dumps(info), "optimizer": json.dumps(optim_extra),
                "lr_scheduler": json.dumps(sched, default=lambda _: None), "ema": json.dumps(ema_state)}
    save_safetensors(tensors, path, metadata)  # a crash mid-write leaves the previous checkpoint intact


def read_metadata(path: str | Path) -> dict:
    with safe_open(str(path), framework="pt") as f:
        return f.metadata()


def load_training_state(path: str | Path, *, model: torch.nn.Module, ema, optimizer, lr_scheduler,
                        generator: torch.Generator) -> int:
    """Restore everything save_training_state wrote; returns the step to continue from."""
    tensors = load_file(str(path))
    meta = read_metadata(path)
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
    if ema is not None:
        ema_state = json.loads(meta["ema"])
        count = sum(1 for k in tensors if k.startswith("ema."))
        ema_state["shadow_params"] = [tensors[f"ema.{i}"] for i in range(count)]
        ema.load_state_dict(ema_state)
    optimizer.load_state_dict(_unflatten_optimizer(tensors, json.loads(meta["optimizer"])))
    if lr_scheduler is not None:
        lr_scheduler.load_state_dict(json.loads(meta["lr_scheduler"]))
    generator.set_state(tensors["rng.generator"])
    torch.set_rng_state(tensors["rng.torch"])
    return int(meta["step"])


class WeightsDoNotFit(ValueError):
    """A checkpoint or model folder whose weights are not this network's (another preset, or no model)."""


def load_ema_weights(path: str | Path, model: torch.nn.Module) -> None:
    """Copy EMA weights into `model` (same architecture): the starting point of a fine-tune, e.g.
    from ε- to v-prediction as Stable Diffusion 2's 768-v model was made. `path` is a training
    checkpoint (its `ema.*` tensors) or a saved pipeline folder (its U-Net holds the EMA weights).
    The U-Net is convolutional, so weights trained at one size start a model of another.
    WeightsDoNotFit names what is wrong."""
    path = Path(path)
    unet_file = path / "unet" / "diffusion_pytorch_model.safetensors"
    if path.is_dir():
        if not unet_file.exists():
            raise WeightsDoNotFit("not a saved model folder (no unet/diffusion_pytorch_model.safetensors)")
        state, own = load_file(str(unet_file)), model.state_dict()
        if set(own) != set(state) or any(state[k].shape != v.shape for k, v in own.items()):
            raise WeightsDoNotFit("its U-Net's weights do not fit this network (another --unet preset, or a "
                                  "latent model's channels?)")
        model.load_state_dict(state)
        return
    try:
        tensors = load_file(str(path))
    except (OSError, ValueError, SafetensorError) as exc:
        raise WeightsDoNotFit(f"not a training checkpoint ({str(exc)[:120]})") from None
    shadow = [tensors[f"ema.{i}"] for i in range(sum(1 for k in tensors if k.startswith("ema.")))]
    params = list(model.parameters())
    if len(shadow) != len(params) or any(s.shape != p.shape for s, p in zip(shadow, params)):
        raise WeightsDoNotFit("its EMA weights do not fit this network (another --unet preset?)")
    with torch.no_grad():
        for p, s in zip(params, shadow):
            p.copy_(s)
