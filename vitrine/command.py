"""What every verb shares: how verbs register, argument types, the store they open, output checks,
and the one error a user can cause (`UsageError`: one line, exit status 2).

Each package's `cli.py` has `register(verbs, common)`; `verbs` adds a verb or a group of verbs
(`vitrine catalog build`, `vitrine eval recommend`), `common` is the parent parser with the store
options, so they work before or after the verb. Nothing heavy is imported here: `vitrine --help`
stays instant.
"""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Callable
from pathlib import Path


class UsageError(Exception):
    """Something the user can fix: the message names the flag, file, line or field."""


def flag_for(args, field: str | None) -> str | None:
    """The verb's own name for an operation's field: its option (`--item-id`, `-n`) or its
    positional (`USER_ID`); `--field-name` when the verb has none of that name."""
    if field is None:
        return None
    parser = getattr(args, "verb_parser", None)
    for action in parser._actions if parser is not None else ():
        if action.dest == field:
            if not action.option_strings:
                return action.metavar or action.dest.upper()
            return max(action.option_strings, key=len)  # `--output` of `-o/--output`
    return "--" + field.replace("_", "-")


def typed_command(args) -> str:
    """The command line that ran this verb, global flags and all, quoted as a shell reads it (for a
    report to say how it was made)."""
    return "vitrine " + shlex.join(args.argv)


def count(minimum: int = 1, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [minimum, maximum] (argparse names the flag on error)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum:,}" if maximum is not None else f"at least {minimum}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value
    parse.__name__ = "count"
    return parse


def number(minimum: float | None = None, maximum: float | None = None) -> Callable[[str], float]:
    """An argparse type: a finite float within the given bounds."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"must be between {minimum} and {maximum}, got {value}")
        return value
    parse.__name__ = "number"
    return parse


def check_output(path: str | os.PathLike, flag: str, suffixes: tuple[str, ...] = ()) -> Path:
    """Refuse an output path that cannot be written, before any work is done: a folder, a wrong
    suffix, a parent that is a file or cannot be created, or a folder without write permission."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a folder; give a file name")
    if suffixes and path.suffix.lower() not in suffixes:
        raise UsageError(f"{flag} {path}: the file name must end in {' or '.join(suffixes)}")
    _check_writable(path.parent, path, flag)
    return path


def _check_writable(folder: Path, path: Path, flag: str) -> None:
    """The nearest existing folder at or above `folder` must be a folder we may write in (the
    rest of the path is created when the file is written)."""
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"{flag} {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{flag} {path}: cannot write in {folder}")


def check_output_dir(path: str | os.PathLike, flag: str, create: bool = False) -> Path:
    """As check_output, for a folder that a verb writes into; `create` makes it now (so a folder
    that cannot be made fails before the work, not after)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path}: is a file, not a folder")
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"{flag} {path}: cannot create it ({exc.strerror or exc})") from None
    _check_writable(path, path, flag)
    return path


def open_store(args, create: bool = False):
    """The store the store options name. Verbs that only read pass create=False, so a typo in
    --data-dir is an error instead of a new empty store."""
    from vitrine.storage.store import Store, StoreError
    try:
        return Store(args.data_dir, args.db_url, create=create)
    except StoreError as exc:
        raise UsageError(str(exc)) from None


class Verbs:
    """Adds verbs and groups of verbs to the `vitrine` parser; each package calls it from register()."""

    def __init__(self, subparsers, common: argparse.ArgumentParser):
        self.subparsers, self.common = subparsers, common
        self.groups: dict[str, Verbs] = {}

    def add(self, name: str, func, help: str, **kwargs) -> argparse.ArgumentParser:
        parser = self.subparsers.add_parser(name, parents=[self.common], help=help, description=help, **kwargs)
        parser.set_defaults(func=func, verb_parser=parser)
        return parser

    def group(self, name: str, help: str, metavar: str = "ACTION") -> "Verbs":
        """`vitrine NAME ACTION`: the same group whichever package asks for it first."""
        if name not in self.groups:
            parser = self.subparsers.add_parser(name, parents=[self.common], help=help, description=help)
            sub = parser.add_subparsers(dest=f"{name}_verb", required=True, metavar=metavar)
            self.groups[name] = Verbs(sub, self.common)
        return self.groups[name]


def add_config_flags(parser, config_cls, helps: dict[str, str], choices: dict[str, list] | None = None,
                     rename: dict[str, str] | None = None, skip: tuple[str, ...] = (),
                     shown_defaults: dict | None = None, default_label: str = "default") -> None:
    """One flag per field of a config dataclass, typed by its default, documented by `helps`;
    defaults stay None ("not given") so a recipe's value holds unless the flag is given.
    `rename` maps a field to its flag name; every field must have help text (a test checks).
    `shown_defaults` are the values the help names (a recipe's, when it overrides the dataclass's)."""
    from dataclasses import MISSING, fields
    choices, rename = choices or {}, rename or {}
    for f in fields(config_cls):
        if f.name in skip:
            continue
        default = f.default if f.default is not MISSING else f.default_factory()
        shown = (shown_defaults or {}).get(f.name, default)
        flag = "--" + rename.get(f.name, f.name).replace("_", "-")
        kind = type(default)
        text = helps[f.name] + (f" ({default_label} {shown!r})" if not isinstance(default, tuple) else "")
        if kind is bool:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif kind is tuple:
            parser.add_argument(flag, dest=f.name, default=None, help=text + f" (comma-separated; {default_label} "
                                f"{','.join(shown)})", type=lambda s: tuple(p for p in s.split(",") if p))
        elif f.name in choices:
            parser.add_argument(flag, dest=f.name, default=None, choices=choices[f.name], help=text,
                                type=kind if kind in (int, float) else None)
        elif kind is int:
            parser.add_argument(flag, dest=f.name, default=None, type=count(0), metavar="N", help=text)
        elif kind is float:
            parser.add_argument(flag, dest=f.name, default=None, type=number(), metavar="X", help=text)
        else:
            parser.add_argument(flag, dest=f.name, default=None, help=text)


def given_config(args, config_cls) -> dict:
    """The config fields whose flags were given."""
    from dataclasses import fields
    return {f.name: getattr(args, f.name) for f in fields(config_cls) if getattr(args, f.name, None) is not None}


# The options that name a setting of vitrine.app.settings.Settings: declared here once, with one
# meaning in every verb, and resolved by `settings_for` as the service resolves them (the flag, else
# $VITRINE_<NAME>, else the --config file, else the default).
SETTING_OPTIONS = {
    "config": ("--config", "TOML file of settings (docs/service.md; default $VITRINE_CONFIG)"),
    "recommender": ("--recommender", "fitted recommender folder (default DATA_DIR/models/recommender, where "
                                     "`vitrine fit` saves)"),
    "index": ("--index", "how recommendations are searched: exact (default), ivf or hnsw (approximate, for "
                         "large catalogs; docs/scale.md)"),
    "model": ("--model", "text-to-image pipeline folder (default: the shop's own, DATA_DIR/models/generator, when "
                         "`vitrine train` made one; else the shipped few-step models/vitrine-fashion-32-lcm where it "
                         "met its targets, else the shipped models/vitrine-fashion-32)"),
    "evaluator": ("--evaluator", "attribute reader that picks generated pictures (default: the shop's own, "
                                 "DATA_DIR/models/evaluator, when `vitrine evaluator train` made one; else the "
                                 "shipped models/evaluator)"),
    "tryon_model": ("--tryon-model", "try-on model folder, its segmenter inside (default: the shipped few-step "
                                     "models/vitrine-tryon-lcm where it met its targets, else the shipped "
                                     "models/vitrine-tryon)"),
}


def add_setting_options(parser, *names: str) -> None:
    """Add the named setting options (SETTING_OPTIONS) to a verb's parser; each defaults to "not given"."""
    for name in names:
        flag, text = SETTING_OPTIONS[name]
        extra = {"choices": ("exact", "ivf", "hnsw")} if name == "index" else {}
        parser.add_argument(flag, dest=name, default=None, help=text, **extra)


def settings_for(args, store, **flags):
    """The verb's Settings: its setting options (and `flags`) over $VITRINE_* over --config over
    the defaults; a setting that cannot be used is a UsageError naming it."""
    from vitrine.app.settings import SettingsError, load_settings
    given = {name: getattr(args, name, None) for name in SETTING_OPTIONS if name != "config"}
    try:
        return load_settings(store.data_dir, {"db_url": args.db_url, **given, **flags}, getattr(args, "config", None))
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
