"""Options shared by several commands, defined once.

The live-call options (``--timeout``, ``--cloud``, ``--authority-host``, ``--arm-endpoint``) are added to a
command by :func:`live_command`, which hands the command one :class:`LiveOptions`.
"""

from __future__ import annotations

import functools
import inspect
import math
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from ..pal import CloudEndpoints

F = TypeVar("F", bound=Callable[..., Any])

AUTHORITY_HOST_VARIABLE = "PARTNER_ATTRIBUTION_AUTHORITY_HOST"
"""The environment variable ``--authority-host`` falls back to (``fake-azure start`` exports it)."""
ARM_ENDPOINT_VARIABLE = "PARTNER_ATTRIBUTION_ARM_ENDPOINT"
"""The environment variable ``--arm-endpoint`` falls back to (``fake-azure start`` exports it)."""

InputOption = Annotated[Path | None, typer.Option("--input", "-i", help="JSON file, or - for standard input (the default).")]


class LiveFormat(str, Enum):
    table = "table"
    json = "json"


FormatOption = Annotated[LiveFormat, typer.Option("--format", "-f", help="table or json.")]


@dataclass(frozen=True)
class LiveOptions:
    """Where and how long a command that calls Azure may work."""

    timeout: float
    cloud: str
    authority_host: str | None
    arm_endpoint: str | None

    def endpoints(self) -> CloudEndpoints:
        """The cloud's endpoints; a usage error for an unknown cloud. Quiets azure-identity's per-attempt warnings."""
        from ..pal import CloudEndpoints, quiet_sdk_logging

        quiet_sdk_logging()
        try:
            return CloudEndpoints.for_cloud(self.cloud, self.authority_host, self.arm_endpoint)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--cloud") from None


MAX_TIMEOUT_SECONDS = 86_400.0
"""``--timeout`` is at most a day: longer budgets are a typo, and some socket layers overflow on huge values."""


def check_timeout(value: float) -> float:
    """``--timeout`` must be a finite number of seconds, more than 0 and at most a day; a usage error otherwise."""
    if not math.isfinite(value) or value <= 0 or value > MAX_TIMEOUT_SECONDS:
        raise typer.BadParameter(
            f"must be a number of seconds more than 0 and at most {MAX_TIMEOUT_SECONDS:.0f} (a day), not {value}",
            param_hint="--timeout",
        )
    return value


MAX_REPLICATION_DELAY_SECONDS = 3600.0
"""``--replication-delay`` is at most an hour: Entra replicates in seconds to minutes, and a link waits 600 s by default."""


def check_replication_delay(value: float) -> float:
    """``--replication-delay`` (rehearse, fake-azure start) must be a finite number of seconds from 0 to an hour."""
    if not math.isfinite(value) or value < 0 or value > MAX_REPLICATION_DELAY_SECONDS:
        raise typer.BadParameter(
            f"must be the seconds Entra takes to replicate a new principal, from 0 to {MAX_REPLICATION_DELAY_SECONDS:.0f} "
            f"(e.g. 20), not {value}",
            param_hint="--replication-delay",
        )
    return value


ReplicationDelayOption = Annotated[
    float,
    typer.Option(
        "--replication-delay",
        metavar="SECONDS",
        callback=check_replication_delay,
        help="Entra's replication delay to rehearse: each new application, service principal and credential can't "
        "sign in until SECONDS after it was made (AADSTS700016/7000215/70021 until then), as in a real tenant.",
    ),
]


def _live_parameters(timeout: float) -> list[inspect.Parameter]:
    keyword = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter(
            "timeout",
            keyword,
            default=timeout,
            annotation=Annotated[float, typer.Option(help="Retry budget per identity, in seconds.", callback=check_timeout)],
        ),
        inspect.Parameter(
            "cloud", keyword, default="public", annotation=Annotated[str, typer.Option(help="public, usgovernment or china.")]
        ),
        inspect.Parameter(
            "authority_host",
            keyword,
            default=None,
            annotation=Annotated[
                str | None,
                typer.Option(help="Entra authority override (private clouds, tests).", envvar=AUTHORITY_HOST_VARIABLE),
            ],
        ),
        inspect.Parameter(
            "arm_endpoint",
            keyword,
            default=None,
            annotation=Annotated[
                str | None,
                typer.Option(
                    help="Azure Resource Manager endpoint override (private clouds, tests).", envvar=ARM_ENDPOINT_VARIABLE
                ),
            ],
        ),
    ]


LIVE_NAMES = ("timeout", "cloud", "authority_host", "arm_endpoint")


def live_command(*, timeout: float) -> Callable[[F], F]:
    """Give a command the live-call options; it receives them as its ``live: LiveOptions`` parameter."""

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        hints = typing.get_type_hints(func, include_extras=True)  # typer reads the signature, not string annotations
        own = [p.replace(annotation=hints.get(name, p.annotation)) for name, p in signature.parameters.items() if name != "live"]

        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            live = LiveOptions(**{name: kwargs.pop(name) for name in LIVE_NAMES})
            return func(live=live, **kwargs)

        command.__signature__ = signature.replace(parameters=[*own, *_live_parameters(timeout)])  # type: ignore[attr-defined]
        command.__annotations__ = {k: v for k, v in func.__annotations__.items() if k != "live"}
        return command  # type: ignore[return-value]

    return decorate
