"""JSON files a user names (a saved stack output, a verify result, an earlier report): read within bounds, refused
with a message that names the file, never a traceback.

Bounded in size (read up to the limit and one byte more, not trusting ``stat``: ``/dev/zero`` and ``/proc`` files say
0 bytes), in time (a pipe that trickles), and in nesting (``json.loads`` raises ``RecursionError`` on a thousand
``[``). Regular files and pipes (``<(pulumi stack output --json)``) are read; a device or a directory is not a file.
"""

from __future__ import annotations

import json
import os
import select
import stat
import time
from pathlib import Path
from typing import Any

READ_SECONDS = 60.0
"""Longest a pipe may take to deliver a file: a local file is read in milliseconds."""


class JsonFileError(ValueError):
    """A file that can't be read as JSON; the message names it and says why."""


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"))
    return next((kind for test, kind in kinds if test(mode)), "not a regular file")


def read_bounded(path: Path, limit: int, seconds: float = READ_SECONDS) -> bytes:
    """The bytes of ``path``, at most ``limit``: :class:`JsonFileError` when it is larger, is not a file or a pipe,
    can't be opened, or a pipe does not finish within ``seconds``."""
    try:
        # Non-blocking open: opening a FIFO with no writer would wait forever; the reads below wait at most `seconds`.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise JsonFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise JsonFileError(f"{path} is {_kind(mode)}, not a regular file; give the JSON file itself")
        deadline = time.monotonic() + seconds
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            if stat.S_ISFIFO(mode):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([descriptor], [], [], left)[0]:
                    raise JsonFileError(f"{path}: the pipe did not finish within {seconds:.0f}s")
            try:
                chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            except BlockingIOError:
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise JsonFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(descriptor)
    if size > limit:
        raise JsonFileError(f"{path} is larger than {limit} bytes; not the JSON file expected")
    return b"".join(chunks)


def parse_json(data: bytes, where: str) -> Any:
    """``data`` as JSON (UTF-8, a byte-order mark allowed); :class:`JsonFileError` naming ``where`` otherwise."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise JsonFileError(f"{where}: not UTF-8 text, so not JSON") from None
    except json.JSONDecodeError as exc:
        raise JsonFileError(f"{where}: not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise JsonFileError(f"{where}: nested too deeply to be the JSON expected") from None


def read_json_file(path: Path, limit: int) -> Any:
    """The JSON value of the file at ``path``, read within the bounds above."""
    return parse_json(read_bounded(path, limit), str(path))
