"""`vitrine`: each package registers its own verbs; this file only assembles them and turns the
errors a user can cause into one line and exit status 2. Heavy modules load inside each verb,
so `vitrine --help` is instant."""

from __future__ import annotations

import argparse
import os
import sys

from vitrine.command import UsageError, Verbs, flag_for
from vitrine.errors import AppError

REGISTRARS = ("vitrine.catalog.cli", "vitrine.diffusion.cli", "vitrine.evaluate.cli", "vitrine.recommend.cli",
              "vitrine.studio.cli", "vitrine.tryon.cli", "vitrine.service.cli", "vitrine.storefront.cli",
              "vitrine.abtest.cli", "vitrine.demo")


def build_parser() -> argparse.ArgumentParser:
    import importlib
    parser = argparse.ArgumentParser(
        prog="vitrine", description="Vitrine: recommendations and generated product images for a shop.")
    # The store options work before or after the verb: the verb's copies default to "not given".
    common = argparse.ArgumentParser(add_help=False)
    for target, default in ((parser, None), (common, argparse.SUPPRESS)):
        target.add_argument("--data-dir", default=default,
                            help="where the store lives (default ./vitrine-data or $VITRINE_DATA_DIR)")
        target.add_argument("--db-url", default=default,
                            help="SQLAlchemy URL (default: SQLite file in the data dir, or $VITRINE_DB_URL)")
        target.add_argument("-q", "--quiet", action="store_true", default=default or False,
                            help="no progress bars")
    verbs = Verbs(parser.add_subparsers(dest="verb", required=True, metavar="VERB"), common)
    for module in REGISTRARS:
        importlib.import_module(module).register(verbs, common)
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if len(exc.args) == 1 else str(exc)
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse has printed usage and one error line (or the help)
        return int(exit_.code or 0)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for a verb that starts itself again (train --processes)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
    except AppError as exc:  # a domain error: its field named as this verb's flag
        where = flag_for(args, exc.field)
        print(f"error: {where + ': ' if where else ''}{' '.join(exc.message.split())}", file=sys.stderr)
    except FileNotFoundError as exc:
        where = f"{exc.filename}: {exc.strerror}" if exc.filename else _one_line(exc)
        print(f"error: {where}", file=sys.stderr)
    except LookupError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
    except BrokenPipeError:  # the reader went away (`vitrine stats | head`): nothing to say
        sys.stderr.close()
        return 0
    except PermissionError as exc:
        print(f"error: {exc.filename or ''}: permission denied", file=sys.stderr)
    except OSError as exc:  # a full disk, a file that vanished mid-run
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted; anything being stored was rolled back", file=sys.stderr)
        return 130
    except Exception as exc:
        from sqlalchemy.exc import SQLAlchemyError
        if isinstance(exc, SQLAlchemyError):
            orig = getattr(exc, "orig", None)
            print(f"error: database: {_one_line(orig or exc)}", file=sys.stderr)
            return 2
        if os.environ.get("VITRINE_DEBUG"):
            raise
        # A bug, not a user's mistake: one line still, with how to see the traceback.
        print(f"internal error: {type(exc).__name__}: {_one_line(exc)} (VITRINE_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 1
    return 2
