"""Entry-script plumbing: the same ``run`` from Snakemake's ``script:`` or by hand.

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
import os
import sys
import traceback
from collections.abc import Callable

from ganinfer.errors import InputError


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


def main(
    run: Callable[..., object],
    parser: Callable[[], argparse.ArgumentParser],
    smk=None,
    from_snakemake: Callable[[object], dict] | None = None,
) -> None:
    """Call ``run(**kwargs)`` with kwargs from the Snakemake object or from argparse."""
    if smk is not None and from_snakemake is not None:
        kwargs, log = from_snakemake(smk), (smk.log[0] if smk.log else None)
    else:
        kwargs = vars(parser().parse_args())
        log = kwargs.pop("log", None)
    with _log_to(log) as console:
        try:
            run(**kwargs)
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


def add_log(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--log", help="write stdout/stderr to this file")
    return p
