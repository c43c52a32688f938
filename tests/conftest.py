"""Shared fixtures: the local HTTPS fake of Azure and helpers to evaluate programs offline."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import site
import subprocess
import sys
import threading
import time
import venv
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from partner_attribution.pal.federation import TOKEN_SOURCE_VARIABLES
from partner_attribution.testing import FakeAzure

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_STACK = PROJECT_ROOT / "Pulumi.dev.yaml"


BROWSER_NAMES = ("chromium", "chromium-browser")
"""Debian's and Ubuntu's names of the Chromium executable."""
HOW_TO_RUN_BROWSER_TESTS = (
    "Chromium is not installed: the browser tests (marker 'browser') are skipped. To run them, install Debian's "
    "chromium (apt-get install chromium) or run bash scripts/test.sh as root or with passwordless sudo, which installs it"
)


def locate_browser(environ: Mapping[str, str], which: Callable[[str], str | None] = shutil.which) -> str:
    """The headless browser's executable. Where none is installed: a skip that says how to run the browser tests, or,
    in CI (``CI=true``), a failure: CI installs Chromium (``scripts/test.sh``), so a missing one is a broken setup."""
    for name in BROWSER_NAMES:
        path = which(name)
        if path:
            return path
    if environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true and no Chromium found (chromium or chromium-browser on PATH): scripts/test.sh installs "
                    "Debian's chromium; in CI a missing browser is a failure, not a skip", pytrace=False)  # fmt: skip
    pytest.skip(HOW_TO_RUN_BROWSER_TESTS)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium for tests that render in a real browser. A test that uses it is marked
    ``browser`` (``pytest -m browser`` runs only those, ``-m "not browser"`` all but them)."""
    return locate_browser(os.environ)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """The browser tests' skips, reported at one place (:func:`locate_browser`), so ``-ra`` folds them into one
    line however many there are (pytest reports a fixture's skip at each test's own line)."""
    report: pytest.TestReport = yield
    if report.skipped and isinstance(report.longrepr, tuple) and HOW_TO_RUN_BROWSER_TESTS in report.longrepr[2]:
        report.longrepr = (__file__, locate_browser.__code__.co_firstlineno, report.longrepr[2])
    return report


class FastForwardClock:
    """A clock that runs with real time (``time.monotonic``) and on which a wait takes no time: :meth:`sleep` moves it
    ahead by the seconds asked for, at once. A fake and its in-process clients share one (``FakeAzure(clock=...)``,
    ``PartnerLinkClient(clock=..., sleep=...)``): a client's backoff and ``Retry-After`` waits still separate its
    requests by what it waited, as the fake counts time (replication delays, throttling, the times it records), but
    cost no wall time; what really takes time (a slow or trickling answer, a socket timeout) still counts. Time never
    goes back; the waits of clients in several threads add up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._skipped = 0.0
        self.slept: list[float] = []
        """Every wait asked for, in order."""

    def __call__(self) -> float:
        """Seconds, as ``time.monotonic`` counts them, plus every wait so far."""
        with self._lock:
            return time.monotonic() + self._skipped

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``: the clock moves that far ahead, now."""
        if seconds < 0:
            raise ValueError(f"sleep length must be non-negative, not {seconds!r}")
        with self._lock:
            self._skipped += seconds
            self.slept.append(seconds)

    async def sleep_async(self, seconds: float) -> None:
        """:meth:`sleep` on an event loop: the clock moves ahead, and the other tasks run before this one goes on."""
        self.sleep(seconds)
        await asyncio.sleep(0)


def waits_on(azure: FakeAzure, *, asynchronous: bool = False) -> dict[str, Any]:
    """``clock`` and ``sleep`` for a :class:`~partner_attribution.pal.PartnerLinkClient` of ``azure`` (``clock`` and
    ``async_sleep`` for an :class:`~partner_attribution.pal.aio.AsyncLinkReader`): the fake's own
    :class:`FastForwardClock` (the ``fake_azure`` fixture's), so that the client's waits take no wall time and the fake
    counts them."""
    clock = azure.clock
    assert isinstance(clock, FastForwardClock), "a fake made with a FastForwardClock (the fake_azure fixture)"
    return {"clock": clock, "async_sleep": clock.sleep_async} if asynchronous else {"clock": clock, "sleep": clock.sleep}


@pytest.fixture(scope="session")
def fake_signing_key() -> RSAPrivateKey:
    """The key every fake of this test process signs its tokens with: making a fake its own costs a tenth of a
    second of CPU, for each of the suite's hundreds of fakes. Read only: no state is shared through it."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@contextlib.contextmanager
def serving_fake(monkeypatch: pytest.MonkeyPatch, key: RSAPrivateKey, **settings: Any) -> Iterator[FakeAzure]:
    """A started fake on a new :class:`FastForwardClock` (or the ``clock`` given), signing with ``key``; clients in
    this process trust its CA through ``REQUESTS_CA_BUNDLE`` (and with ``proxy=True`` reach it at Azure's public
    hosts, as a deployment does)."""
    proxy = bool(settings.pop("proxy", False))
    clock = settings.pop("clock", None) or FastForwardClock()
    with FakeAzure(clock=clock, signing_key=key, **settings) as azure:
        for name, value in azure.environment(proxy=proxy).items():
            monkeypatch.setenv(name, value)
        yield azure


@pytest.fixture
def fake_azure(monkeypatch: pytest.MonkeyPatch, fake_signing_key: RSAPrivateKey) -> Iterator[FakeAzure]:
    """A started fake on a :class:`FastForwardClock` (:func:`waits_on` gives a client the same); clients in this
    process trust its CA through REQUESTS_CA_BUNDLE."""
    with serving_fake(monkeypatch, fake_signing_key) as azure:
        yield azure


def config_with(principals: list[dict[str, Any]], **top: Any) -> dict[str, str]:
    """Pulumi's form of a partner-attribution config: namespaced keys, JSON for structures."""
    config = {"partner-attribution:partnerId": "1234567", "partner-attribution:principals": json.dumps(principals)}
    for key, value in top.items():
        config[f"partner-attribution:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return config


def principal(name: str = "delivery", **overrides: Any) -> dict[str, Any]:
    """A valid principal entry; override any key."""
    entry: dict[str, Any] = {
        "name": name,
        "roles": [{"role": "Contributor", "scope": "/subscriptions/11111111-1111-4111-8111-111111111111"}],
        "credential": {"rotatedOn": "2026-11-01", "lifetimeDays": 180},
    }
    entry.update(overrides)
    return entry


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    if "NO_PROXY" not in os.environ:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


PIPELINE_TOKEN_VARIABLES = TOKEN_SOURCE_VARIABLES


@pytest.fixture(autouse=True)
def _no_pipeline_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide where a pipeline token comes from: none of the runner's own (when the suite runs in CI)."""
    for key in PIPELINE_TOKEN_VARIABLES:
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(autouse=True)
def _no_fake_azure_of_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide which endpoints the live commands call: not a fake the developer's shell exported
    (``eval "$(partner-attribution fake-azure start)"``)."""
    for key in ("PARTNER_ATTRIBUTION_AUTHORITY_HOST", "PARTNER_ATTRIBUTION_ARM_ENDPOINT", "PARTNER_ATTRIBUTION_FAKE_AZURE_DIR"):
        monkeypatch.delenv(key, raising=False)


# -- the engine tests (tests/engine, marker engine): one line when there is no CLI to run them -------------------------
ENGINE_TESTS = Path(__file__).resolve().parent / "engine"
_ENGINE_MISSING = pytest.StashKey[str | None]()


def _engine_cli_missing(config: pytest.Config) -> str | None:
    """Why the engine tests can't run here (no recent enough pulumi on PATH or in the toolchain cache), or None.
    With CI=true they always run (and fail without a CLI)."""
    if os.environ.get("CI") == "true":
        return None
    from partner_attribution.testing.engine import MINIMUM_VERSION, find_pulumi

    if find_pulumi() is not None:
        return None
    return (
        f"engine tests skipped: no pulumi >= {'.'.join(map(str, MINIMUM_VERSION))} on PATH or in the toolchain cache; "
        "run `bash scripts/pulumi-toolchain.sh` (needs Go, builds it once) or install the Pulumi CLI"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_ENGINE_MISSING] = _engine_cli_missing(config)


def mark_browser_tests(items: list[pytest.Item]) -> None:
    """Every test that needs the browser carries the ``browser`` marker, whether or not it says so."""
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def long_tests_first(items: list[pytest.Item]) -> None:
    """The tests marked ``long`` first, then the others, each in their order: pytest-xdist hands tests to its workers
    in this order, so a long test starts while the other workers have plenty left to run, instead of keeping one
    worker busy alone at the end of the run (the README walkthrough, last by name, did)."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that needs the browser carries the ``browser`` marker, every test under tests/engine the ``engine``
    marker; without a CLI (and not in CI) the engine tests are deselected, said in one line at the end. Long tests
    are scheduled first (:func:`long_tests_first`)."""
    mark_browser_tests(items)
    engine = [item for item in items if ENGINE_TESTS in Path(str(item.path)).parents]
    for item in engine:
        item.add_marker(pytest.mark.engine)
    if engine and config.stash[_ENGINE_MISSING] is not None:
        config.hook.pytest_deselected(items=engine)
        items[:] = [item for item in items if item not in engine]
    long_tests_first(items)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    reason = config.stash.get(_ENGINE_MISSING, None)
    markers = config.option.markexpr or ""
    if reason is not None and "not engine" not in markers:
        terminalreporter.write_line(reason)


def install_wheel_outside(root: Path) -> Path:
    """This checkout built as a wheel and installed in a fresh virtualenv under ``root``, outside the repository;
    returns the virtualenv's python. Its dependencies (pulumi, the providers' SDKs, azure-*) come from the test
    environment's site-packages through a .pth line, which (unlike a site directory) does not run that environment's
    .pth files: the editable install of this repository is not visible there."""
    wheels = root / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(PROJECT_ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("partner_attribution-*.whl")
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    fresh_site = Path(
        subprocess.run(
            [python, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    (fresh_site / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(fresh_site), str(wheel)], check=True
    )
    return python


@pytest.fixture(scope="session")
def installed_outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a virtualenv outside the repository with this checkout installed as a wheel
    (:func:`install_wheel_outside`), built once for the whole run: every pytest-xdist worker of the run finds it in
    their common temporary directory (the first one to ask builds it, under a lock). Tests only run it, never
    install into it."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root, made = shared / "installed-outside", shared / "installed-outside.python"
    with (shared / "installed-outside.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.exists():
            root.mkdir(exist_ok=True)
            made.write_text(str(install_wheel_outside(root)))
    return Path(made.read_text())
