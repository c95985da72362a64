"""What the service, the workers and the operations run over, and the bounds they keep: one
`Settings` object, each setting named once.

Each setting comes from, in order: a flag (`vitrine serve`, `vitrine worker`, …), the environment ($VITRINE_<NAME>, e.g.
$VITRINE_TOKEN, $VITRINE_MAX_QUEUE), a TOML config file (`--config FILE` or $VITRINE_CONFIG; keys
are the field names below), else the default here.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from vitrine.paths import (EVALUATOR_DIR, GENERATOR_DIR, RECOMMENDER_DIR, SHIPPED_EVALUATOR, SHIPPED_FAST_PIPELINE,
                           SHIPPED_FAST_TRYON, SHIPPED_PIPELINE, SHIPPED_TRYON, interactive, shop_or_shipped)
from vitrine.recommend.config import INDEX_KINDS

TOKEN_FILE = "service-token"  # inside the data dir, when no token is configured


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it and where it came from."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str | None = None
    recommender: Path | None = None  # default DATA_DIR/models/recommender
    index: str = "exact"
    # the diffusion pipeline generation jobs use, and the attribute reader launch and previews pick with:
    # by default the shop's own (DATA_DIR/models/generator, …/evaluator) when it has them, else the shipped
    # ones — the shipped generator's few-step student where it met its targets (paths.interactive)
    model: Path | None = None
    tryon_model: Path | None = None  # the try-on model (and its segmenter) try-on jobs use; likewise
    evaluator: Path | None = None
    token: str | None = None       # bearer token of the admin routes (made and saved on first start if unset)
    cors_origins: tuple[str, ...] = ()  # origins allowed to call from a browser; none by default
    max_queue: int = 16            # generation jobs queued or running, in all
    max_jobs_per_client: int = 4   # … of one client address
    generations_per_minute: int = 30  # generation requests one client may post per minute
    max_inflight: int = 256        # requests handled at once; beyond, 503 with Retry-After
    max_upload_bytes: int = 2 * 1024 * 1024  # an uploaded picture at most
    max_upload_pixels: int = 16_000_000  # … and at most this many pixels (a 12-MP phone photo fits)
    body_timeout_s: float = 10.0   # a request's whole body must arrive within this, else 408
    job_workers: int = 1           # threads working the queue while the server runs (0: `vitrine worker`s do)
    job_lease_s: float = 60.0      # a worker renews its hold on a job this often ×3; lapsed, others take it

    def __post_init__(self):
        if self.model is None:
            shipped = interactive(SHIPPED_PIPELINE, SHIPPED_FAST_PIPELINE)
            object.__setattr__(self, "model", shop_or_shipped(self.data_dir, GENERATOR_DIR, shipped))
        if self.tryon_model is None:
            object.__setattr__(self, "tryon_model", Path(interactive(SHIPPED_TRYON, SHIPPED_FAST_TRYON)))
        if self.evaluator is None:
            object.__setattr__(self, "evaluator", shop_or_shipped(self.data_dir, EVALUATOR_DIR, SHIPPED_EVALUATOR))

    @property
    def recommender_dir(self) -> Path:
        return self.recommender or self.data_dir / RECOMMENDER_DIR


# Fields a config file or the environment may set, and how to read each from text.
_PARSERS = {
    "db_url": str, "recommender": Path, "index": str, "model": Path, "tryon_model": Path, "evaluator": Path,
    "token": str,
    "cors_origins": lambda v: tuple(o.strip() for o in (v.split(",") if isinstance(v, str) else v) if o.strip()),
    "max_queue": int, "max_jobs_per_client": int, "generations_per_minute": int, "max_inflight": int,
    "max_upload_bytes": int, "max_upload_pixels": int, "body_timeout_s": float, "job_workers": int, "job_lease_s": float,
}
_POSITIVE = ("max_queue", "max_jobs_per_client", "generations_per_minute", "max_inflight", "max_upload_bytes",
             "max_upload_pixels",
             "body_timeout_s", "job_lease_s")
_NOT_NEGATIVE = ("job_workers",)


def _parse(name: str, value, where: str):
    try:
        parsed = _PARSERS[name](value)
    except (TypeError, ValueError):
        raise SettingsError(f"{where}: {name} = {value!r} is not a valid value") from None
    if name in _POSITIVE and parsed < 1:
        raise SettingsError(f"{where}: {name} must be at least 1, got {parsed}")
    if name in _NOT_NEGATIVE and parsed < 0:
        raise SettingsError(f"{where}: {name} must be 0 or more, got {parsed}")
    if name == "index" and parsed not in INDEX_KINDS:
        raise SettingsError(f"{where}: index must be one of {', '.join(INDEX_KINDS)}, got {parsed!r}")
    if name == "token" and len(parsed) < 16:
        raise SettingsError(f"{where}: the admin token must have at least 16 characters")
    return parsed


def read_config(path: Path) -> dict:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise SettingsError(f"--config {path}: cannot read it ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"--config {path}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - set(_PARSERS))
    if unknown:
        raise SettingsError(f"--config {path}: unknown setting {unknown[0]!r}; known: {', '.join(sorted(_PARSERS))}")
    return {name: _parse(name, value, f"--config {path}") for name, value in data.items()}


def load_settings(data_dir: Path, flags: dict, config: str | None = None, environ=os.environ) -> Settings:
    """Flags (None = not given) over $VITRINE_* over the config file over the defaults."""
    config = config or environ.get("VITRINE_CONFIG")
    values = read_config(Path(config)) if config else {}
    for name in _PARSERS:
        text = environ.get(f"VITRINE_{name.upper()}")
        if text:
            values[name] = _parse(name, text, f"${'VITRINE_' + name.upper()}")
    for name, value in flags.items():
        if value is not None:
            values[name] = _parse(name, value, f"--{name.replace('_', '-')}")
    known = {f.name for f in fields(Settings)}
    return Settings(data_dir, **{k: v for k, v in values.items() if k in known})


def as_environment(settings: Settings) -> dict[str, str]:
    """$VITRINE_<NAME> variables that load_settings reads back as these settings (for processes
    started with the same settings: `vitrine serve --workers N`)."""
    out = {}
    for name in _PARSERS:
        value = getattr(settings, name, None)
        if value is None or value == ():
            continue
        out[f"VITRINE_{name.upper()}"] = ",".join(value) if isinstance(value, tuple) else str(value)
    return out


def with_token(settings: Settings) -> tuple[Settings, bool]:
    """The settings with an admin token: the configured one, else the one saved in the data dir,
    else a new random one saved there (readable by the owner only). True when it is new."""
    if settings.token:
        return settings, False
    path = settings.data_dir / TOKEN_FILE
    if path.is_file():
        token = path.read_text().strip()
        if len(token) >= 16:
            return replace(settings, token=token), False
    token = secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token + "\n")
    return replace(settings, token=token), True
