"""Inline Automation API programs with a problem shown once.

The Automation API serves an inline program through its language server (``pulumi.automation._server.
LanguageServer``, Python SDK 3.272.0). When the program raises a ``pulumi.RunError``, that server logs the message
*and* returns it as the run's error, and the engine prints it again after "an unhandled error occurred"
(``pkg/resource/deploy/program_source.go``, pulumi v3.276.0): one configuration problem, printed twice.

Pulumi's own runner for the Python language host has a protocol for "the message was shown": the program exits with
``PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE`` (32), the language host answers the run with
``RunResponse.bail``, and the engine fails the update without a further message (``program_source.go``: "run
bailed"). :func:`partner_attribution.program.run` follows it (it finds the code on the call stack).
:class:`ProblemShownOnceLanguageServer` gives inline programs the same protocol: a program that exits with that code,
or raises one of the package's own problems (a configuration or argument problem, logged here once), is answered
with ``bail``. Anything else is the SDK's own answer, unchanged. The program must not return normally after its
problem: the SDK would then tell the engine the program finished (``SignalAndWaitForShutdown``), and an ``up`` would
delete every resource the program did not get to declare.

:func:`serve_inline_programs_with_problems_shown_once` makes ``Stack.up``/``preview``/``refresh``/``destroy`` start
this server instead of the SDK's (they create ``LanguageServer`` by that name in ``pulumi.automation._stack``); the
engine kit (:mod:`partner_attribution.testing.engine`) does that for every stack it opens, so the engine tests and
``partner-attribution rehearse`` print a problem once. This relies on the SDK's private module layout (pinned in
``requirements.txt``); a test under the real engine fails if it changes.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Any

import grpc
import pulumi
from pulumi.automation import PulumiFn
from pulumi.automation import _stack as automation_stack
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2

from ..config import ConfigurationError
from ..problems import InvalidArgumentsError

PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE = 32
"""The exit code Pulumi's Python program runner gives "the message was shown to the user" (the name is the runner's:
``sdk/python/cmd/pulumi-language-python-exec``). :func:`partner_attribution.program.run` looks for this name on the
call stack, so a program run from :meth:`ProblemShownOnceLanguageServer.Run` exits with it after logging."""


class ProblemShown(grpc.RpcError):
    """Raised out of an inline program whose problem has been shown: it stops the program like any exception (the
    SDK's ``run_pulumi_func`` then never signals the engine that the program finished, so nothing is deleted), and
    the SDK's server takes it for a monitor that has gone away (``code()`` is ``UNAVAILABLE``: logged at debug level
    only). :class:`ProblemShownOnceLanguageServer` then answers ``bail``, whatever the SDK's server answered."""

    def code(self) -> grpc.StatusCode:
        """``UNAVAILABLE``: the one RPC error the SDK's server does not print."""
        return grpc.StatusCode.UNAVAILABLE

    def details(self) -> str:
        """What happened, for a debug log."""
        return "the program stopped at a problem it has shown"


def _shown(exc: BaseException, shown: list[str]) -> bool:
    """Whether ``exc`` is a problem the program showed (or that is shown here, once); appended to ``shown``."""
    if isinstance(exc, SystemExit):
        if exc.code != PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE:
            return False
        shown.append("the program logged its problem and exited")
        return True
    if isinstance(exc, (ConfigurationError, InvalidArgumentsError)):
        pulumi.log.error(str(exc))
        shown.append(str(exc))
        return True
    return False


def shown_once(program: PulumiFn, shown: list[str]) -> PulumiFn:
    """``program``, raising :class:`ProblemShown` once its problem has been shown, with the problem appended to
    ``shown``.

    A problem is shown when the program exits with the "message shown" code (it logged the message itself), or raises
    a :class:`~partner_attribution.config.ConfigurationError` or
    :class:`~partner_attribution.problems.InvalidArgumentsError` (logged here, once). Any other exception passes.
    An ``async`` program is awaited inside the same guard."""

    async def awaited(result: Awaitable[None]) -> None:
        try:
            await result
        except BaseException as exc:
            if _shown(exc, shown):
                raise ProblemShown() from None
            raise

    def guarded() -> Awaitable[None] | None:
        try:
            result = program()
        except BaseException as exc:
            if _shown(exc, shown):
                raise ProblemShown() from None
            raise
        return awaited(result) if inspect.isawaitable(result) else None

    return guarded


class ProblemShownOnceLanguageServer(LanguageServer):
    """The Automation API's language server, answering ``bail`` (the message was shown) when the program showed its
    problem (:func:`shown_once`)."""

    def Run(self, request: Any, context: Any) -> Any:  # noqa: N802 - the gRPC method's name
        """Run the program as the SDK's server does; a shown problem becomes ``RunResponse(bail=True)``."""
        program = self.program
        shown: list[str] = []
        self.program = shown_once(program, shown)
        try:
            response = super().Run(request, context)
        finally:
            self.program = program
        if shown:
            return language_pb2.RunResponse(bail=True)
        return response


def serve_inline_programs_with_problems_shown_once() -> None:
    """Make the Automation API serve inline programs with :class:`ProblemShownOnceLanguageServer` (idempotent)."""
    automation_stack.LanguageServer = ProblemShownOnceLanguageServer  # type: ignore[misc]
