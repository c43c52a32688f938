"""Read a stack file (``Pulumi.<stack>.yaml``) into the configuration the engine hands a program.

Objects and lists become JSON, booleans ``true``/``false``; ``secure:`` values cannot be decrypted
offline and become a placeholder.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

SECRET_PLACEHOLDER = "[secret]"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StackFileError(ValueError):
    """The stack file can't be read as Pulumi would read it; the message names the file and what is wrong."""


def read_stack_config(path: Path) -> dict[str, str]:
    """The ``config:`` block of the stack file at ``path``, as ``namespace:key`` → string."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StackFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        document = yaml.load(text, Loader=_Loader) or {}
    except yaml.YAMLError as exc:
        raise StackFileError(f"cannot read {path}: {exc}") from None
    raw = document.get("config") if isinstance(document, dict) else None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise StackFileError(f"cannot read {path}: 'config' must be a mapping")
    config: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[key] = SECRET_PLACEHOLDER
        elif isinstance(value, dict) and "value" in value and str(key).startswith("pulumi:"):
            continue
        elif isinstance(value, (dict, list)):
            config[key] = json.dumps(value)
        elif isinstance(value, bool):
            config[key] = "true" if value else "false"
        else:
            config[key] = str(value)
    return config
