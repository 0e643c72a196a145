"""Entry-script plumbing: the same ``run`` from Snakemake's ``script:`` or by hand.

A script ends with ``cli.main(run)``; ``run``'s signature declares its arguments once.

Under Snakemake (the global ``snakemake`` object), each parameter is taken by name from the
job's input, output, params or wildcards, or is ``threads`` or ``config`` (the whole workflow
config); ``out`` is also the job's first output. Wildcards (strings) are converted by the
annotation; a config setting (below) comes in params like any other. A parameter found nowhere
(and without a default) or in two places is an error naming the script, the parameter and the rule.

By hand, each parameter is an option ``--name`` (underscores as dashes), required without a
default, typed by its annotation: ``bool`` is a switch, ``list[T]`` takes one or more values,
``dict`` JSON. ``Annotated[T, Setting("accuracy.threshold")]`` marks a config setting, whose
default and help come from config/schema.yaml (a section, ``Setting("perf")``, gives one option
per key and the dict of them); ``Annotated[T, Arg(...)]`` gives argparse what the annotation
does not (another flag, a by-hand default, ``action``, ``nargs``, ``convert`` for the parsed
value). Plus ``--log FILE`` and ``--configfile FILE`` (a workflow config whose ``onnx_models`` the
registry then knows); the script's docstring is the description.

Bad input (``InputError``) ends the script with exit status 1 and a single line
``error: <file>: <what is wrong>; <the fix>`` on stderr (and in the rule's log),
without a traceback. Any other exception writes its full traceback to the rule's log
(while stdout/stderr still point there) and its last line to the console, naming the
log. Outputs are written atomically, so nothing partial is left.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import inspect
import json
import os
import sys
import traceback
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass

from ganinfer.errors import InputError

TYPES = {"integer": int, "number": float}  # of a section's keys by hand (others: strings)


@dataclass(frozen=True)
class Setting:
    """Marks a parameter that is the config setting ``key`` (dotted, as in config/schema.yaml)."""

    key: str


class Arg:
    """argparse options of a parameter run by hand that its annotation does not give."""

    def __init__(self, flag: str | None = None, convert: Callable | None = None, **options):
        self.flag, self.convert, self.options = flag, convert, options


def _declared(run: Callable) -> list[tuple[inspect.Parameter, object, Setting | None, Arg]]:
    """Each parameter of ``run`` with its type (``| None`` dropped), Setting and Arg."""
    hints = typing.get_type_hints(run, include_extras=True)
    declared = []
    for param in inspect.signature(run).parameters.values():
        kind, marks = hints.get(param.name, str), ()
        if typing.get_origin(kind) is typing.Annotated:
            kind, *marks = typing.get_args(kind)
        if typing.get_origin(kind) in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(kind) if a is not type(None)]
            kind = rest[0] if len(rest) == 1 else str
        setting = next((m for m in marks if isinstance(m, Setting)), None)
        declared.append((param, kind, setting, next((m for m in marks if isinstance(m, Arg)), Arg())))
    return declared


def _options(kind) -> dict:
    """argparse options of a type."""
    if kind is bool:
        return {"action": "store_true"}
    if kind in (list, tuple) or typing.get_origin(kind) in (list, tuple):
        return {"nargs": "+", "type": (typing.get_args(kind) or (str,))[0]}
    if kind is dict or typing.get_origin(kind) is dict:
        return {"type": json.loads}
    return {"type": kind}


def build_parser(run: Callable) -> argparse.ArgumentParser:
    """The command line of ``run``'s signature."""
    from ganinfer.schema import setting

    doc = run.__globals__.get("__doc__")
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for param, kind, marked, arg in _declared(run):
        schema = setting(marked.key) if marked else {}
        if "properties" in schema:  # a section: one option per key, gathered into a dict
            for key, prop in schema["properties"].items():
                kw = {"type": TYPES.get(prop.get("type"), str), "default": prop.get("default"), "metavar": key.upper()}
                _add(p, f"--{key.replace('_', '-')}", dest=f"{param.name}.{key}", help=prop.get("description"), **kw)
            continue
        options = {**_options(kind), **arg.options}
        if marked:
            options = {"default": schema.get("default"), "help": schema.get("description"), **options}
        elif param.default is not param.empty:
            options.setdefault("default", param.default)
        _add(p, arg.flag or f"--{param.name.replace('_', '-')}", dest=param.name, **options)
    p.add_argument("--log", help="write stdout/stderr to this file")
    p.add_argument("--configfile", help="a workflow config whose onnx_models declare models this run may name")
    return p


def _add(p: argparse.ArgumentParser, flag: str, **options) -> None:
    """One option: required without a default; its help shows a default other than None."""
    if options.get("default") is not None:
        options["help"] = f"{options.get('help') or ''} (default: %(default)s)".lstrip()
    p.add_argument(flag, required="default" not in options, **options)


def command_line_arguments(run: Callable, argv: list[str] | None = None) -> dict:
    """``run``'s keyword arguments (and ``log``) from the command line."""
    kwargs: dict = {}
    for dest, value in vars(build_parser(run).parse_args(argv)).items():
        name, _, key = dest.partition(".")
        if key:
            kwargs.setdefault(name, {})[key] = value
        else:
            kwargs[name] = value
    for param, _, _, arg in _declared(run):
        if arg.convert:
            kwargs[param.name] = arg.convert(kwargs[param.name])
    return kwargs


def _named(items) -> dict:
    return dict(items.items()) if hasattr(items, "items") else vars(items)


def snakemake_arguments(run: Callable, smk) -> dict:
    """``run``'s keyword arguments from the Snakemake object of its job."""
    script = os.path.basename(run.__globals__.get("__file__") or run.__code__.co_filename)
    first = {"out": smk.output[0]} if isinstance(smk.output, list) and smk.output else {}
    sources = {
        "input": _named(smk.input),
        "output": {**first, **_named(smk.output)},
        "params": _named(smk.params),
        "wildcards": _named(smk.wildcards),
        "threads": {"threads": smk.threads},
        "config": {"config": smk.config},
    }
    kwargs = {}
    for param, kind, _, _ in _declared(run):
        found = [where for where, names in sources.items() if param.name in names]
        where = f"scripts/{script}: run()'s {param.name!r}"
        if len(found) > 1:
            raise TypeError(f"{where} is in both {' and '.join(found)} of rule {smk.rule}; rename one of them")
        if not found and param.default is param.empty:
            raise TypeError(
                f"{where} is in none of rule {smk.rule}'s input, output, params, wildcards (nor threads, config); "
                "give the rule one of that name"
            )
        if found:
            value = sources[found[0]][param.name]
            kwargs[param.name] = kind(value) if found == ["wildcards"] and callable(kind) else value
    return kwargs


@contextlib.contextmanager
def _log_to(path: str | None):
    """Send this process's stdout and stderr (file descriptors included) to ``path``."""
    if not path:
        yield sys.stderr
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "w") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            with os.fdopen(os.dup(saved[1]), "w") as console:
                yield console
        finally:
            _flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def main(run: Callable[..., object]) -> None:
    """Call ``run`` with its arguments from the Snakemake object, or from the command line."""
    smk = run.__globals__.get("snakemake")
    if smk is None:
        kwargs = command_line_arguments(run)
        log, configfile = kwargs.pop("log"), kwargs.pop("configfile")
    else:
        log, configfile = (smk.log[0] if smk.log else None), None
    with _log_to(log) as console:
        try:
            declare_models(getattr(smk, "config", None) if smk is not None else configfile)
            run(**(kwargs if smk is None else snakemake_arguments(run, smk)))
        except InputError as exc:
            _report(f"error: {exc}", console)
            raise SystemExit(1) from None
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                _crash(exc, console, log)
            where = f"{exc.filename}: " if exc.filename else ""
            _report(f"error: {where}no space left on the device; free some space and re-run", console)
            raise SystemExit(1) from None
        except Exception as exc:
            _crash(exc, console, log)


def declare_models(config: dict | str | None) -> None:
    """Give the registry the config's ``onnx_models`` (the job's config, or a YAML file by hand), with the
    builder of their specs."""
    from ganinfer import registry
    from ganinfer.declared import build_spec

    if isinstance(config, str):
        import yaml

        try:
            with open(config) as f:
                config = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"{config}: cannot read the config file ({exc}); fix --configfile") from None
    registry.declare((config or {}).get("onnx_models") if isinstance(config, dict) else None, build_spec)


def _flush() -> None:
    """Flush stdout and stderr; a log on a full disk must not hide the error line."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            pass


def _report(line: str, console) -> None:
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:  # the log is on a full disk: the console still gets the line
        pass
    if console is not sys.stderr:
        print(line, file=console, flush=True)


def _crash(exc: BaseException, console, log: str | None):
    """An unexpected error: the traceback into the log (stderr points there), its last line on the console."""
    try:
        traceback.print_exc()
        sys.stderr.flush()
    except OSError:
        pass
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    if console is not sys.stderr:
        print(f"error: {last} (full traceback in {log})", file=console, flush=True)
    raise SystemExit(1) from None
