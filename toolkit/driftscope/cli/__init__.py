"""Command-line interface: a thin typer layer over the Python API. Top layer.

Each command lives in its own module under ``driftscope.cli`` and registers itself on
:data:`app`. Command modules import heavy libraries (torch, sentence-transformers) only inside
command bodies, so ``driftscope --help`` stays fast. Errors map to exit codes: 0 ok, 1 flags
found with ``--fail-on``, 2 usage or input error, 3 encoder unavailable.
"""

from __future__ import annotations

import importlib
import signal
import sys
import types
from typing import Any

import click
import typer

from driftscope._version import __version__
from driftscope.errors import DriftscopeError

app = typer.Typer(
    name="driftscope",
    help="Align translations sentence by sentence, score them, flag drift and report it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# typer >= 0.2x vendors its own click as ``typer._click``: its usage errors (missing or bad
# option, unknown command) are not subclasses of the installed click's, so catch both kinds.
_typer_click: types.ModuleType
try:
    from typer._click import exceptions as _typer_click
except ImportError:  # a typer that uses the installed click
    _typer_click = click.exceptions
_CLICK_ERRORS = (click.ClickException, _typer_click.ClickException)
_EXITS = (click.exceptions.Exit, typer.Exit)
_ABORTS = (click.exceptions.Abort, typer.Abort)

# Modules that register commands; each is imported at start-up and must stay light.
COMMAND_MODULES = ("ingest", "score", "align", "flags", "report", "coverage", "corpus")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"driftscope {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """Align translations sentence by sentence, score them, flag drift and report it."""


def _register() -> None:
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(f"driftscope.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"driftscope.cli.{name}":
                raise


# Help metavars by click type name: typer's own (``<list[Path]>``, ``<bool>``) read as code.
_METAVARS = (("path", "PATH"), ("int", "N"), ("float", "X"))


def _plain_help(cmd: Any) -> Any:
    """Give every option and argument a plain metavar (``PATH``, ``N``, ``SRC``...)."""
    for sub in getattr(cmd, "commands", {}).values():
        for p in sub.params:
            if p.param_type_name == "argument":
                name = p.name.upper() + ("..." if p.nargs != 1 else "")
                p.metavar = name
                # typer writes required arguments as {name} in the usage line; click as NAME
                p.get_usage_pieces = lambda ctx, name=name: [name]
                p.display_type_rich = lambda ctx: None  # the name says it all
            elif p.metavar is None and not getattr(p, "is_flag", False):
                kind = str(p.bare_type()).lower()
                p.metavar = next((m for k, m in _METAVARS if k in kind), "TEXT")
    return cmd


def _error(msg: str, code: int) -> int:
    # One line on stderr, never a traceback.
    first = " ".join(str(msg).split())
    print(f"driftscope: error: {first}", file=sys.stderr)
    return code


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code (tests call this; ``main`` exits with it)."""
    _register()
    try:
        cmd = _plain_help(typer.main.get_command(app))
        rv = cmd(args=argv, standalone_mode=False, prog_name="driftscope")
    except DriftscopeError as err:
        return _error(str(err), err.exit_code)
    except _EXITS as err:
        return int(err.exit_code)
    except _ABORTS:
        return _error("aborted", 130)
    except _CLICK_ERRORS as err:
        if type(err).__name__ == "NoArgsIsHelpError":  # bare `driftscope`: the help, exit 2
            text = err.format_message()  # the help text, for stdout as with --help
            if text.strip():
                print(text)
            return int(err.exit_code)
        return _error(err.format_message(), err.exit_code)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return _error("interrupted", 130)
    except MemoryError:
        return _error("out of memory (input too large?)", 2)
    except (OSError, UnicodeError) as err:
        return _error(str(err), 2)
    return int(rv) if isinstance(rv, int) else 0


def main() -> None:
    """Console-script entry point."""
    if hasattr(signal, "SIGPIPE"):
        # Piping into `head` must end quietly, as sacrebleu does.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(run())
