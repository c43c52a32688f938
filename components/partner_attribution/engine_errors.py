"""A failed PAL link answers the engine with one message and no Python stack frames.

Why a provider has to do this itself: the SDK's dynamic provider host wraps Check, Diff, Create, Read, Update and
Delete in ``_abort_with_traceback`` (``pulumi/dynamic/__main__.py``, SDK 3.272.0), which answers *any* exception
with ``context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())``: the whole traceback becomes the error the
engine prints, the message only in its last line. The provider is not handed the gRPC context, and no exception
gets past the wrapper cleanly (it catches ``Exception``; anything else never completes the call).

What :func:`answer_with_error` does instead: it finds the call's ``grpc.ServicerContext`` on the stack (the
``context`` argument of the host's servicer method, which called the provider), sets the status the host itself
would have set (``UNKNOWN``: the engine treats the outcome as unknown, exactly as before) with the message alone,
and tells the provider to return normally. gRPC then sends that status and the engine never reads the answer's
body. ``tests/test_provider_host.py`` checks this through the real host for every method that signs in.

Outside the host (a test calling the provider's methods, the offline plan) there is no such context: the caller
raises the error as usual.
"""

from __future__ import annotations

import sys
from types import FrameType

import grpc

_MAX_FRAMES = 40
"""How far up the stack the host's servicer method may be (the provider's own calls are a few frames deep)."""


def serving_context() -> tuple[grpc.ServicerContext, str] | None:
    """The gRPC context of the call being served on this thread, and the URN it names (empty when none)."""
    frame: FrameType | None = sys._getframe(1)
    for _ in range(_MAX_FRAMES):
        if frame is None:
            return None
        context = frame.f_locals.get("context")
        if isinstance(context, grpc.ServicerContext):
            request = frame.f_locals.get("request")
            urn = getattr(request, "urn", "")
            return context, urn if isinstance(urn, str) else ""
        frame = frame.f_back
    return None


def resource_name(urn: str) -> str:
    """The resource's name: the last ``::`` part of its URN."""
    return urn.rsplit("::", 1)[-1] if urn else ""


def answer_with_error(message: str) -> bool:
    """Answer the engine's current call with ``message`` as its error, no traceback. False when not serving a call
    (then the caller raises). After True the caller returns normally: its answer is never read."""
    serving = serving_context()
    if serving is None:
        return False
    context, _urn = serving
    context.set_code(grpc.StatusCode.UNKNOWN)
    context.set_details(message)
    return True
