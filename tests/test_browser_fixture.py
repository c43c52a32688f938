"""The one place that finds the headless browser: found, skipped with how to run it, or a failure in CI."""

from __future__ import annotations

import pytest

from conftest import HOW_TO_RUN_BROWSER_TESTS, locate_browser, mark_browser_tests


def _nowhere(name: str) -> None:
    return None


def test_a_browser_on_path_is_used() -> None:
    def only_ubuntu_name(name: str) -> str | None:
        return "/snap/bin/chromium-browser" if name == "chromium-browser" else None

    assert locate_browser({}, which=only_ubuntu_name) == "/snap/bin/chromium-browser"
    assert locate_browser({"CI": "true"}, which=lambda name: f"/usr/bin/{name}") == "/usr/bin/chromium"


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_no_browser_outside_ci_skips_with_how_to_run_it(ci: str | None) -> None:
    environ = {} if ci is None else {"CI": ci}
    with pytest.raises(pytest.skip.Exception) as skipped:
        locate_browser(environ, which=_nowhere)
    assert str(skipped.value) == HOW_TO_RUN_BROWSER_TESTS
    assert "\n" not in HOW_TO_RUN_BROWSER_TESTS and "apt-get install chromium" in HOW_TO_RUN_BROWSER_TESTS


@pytest.mark.parametrize("ci", ["true", "True", "TRUE"])
def test_no_browser_in_ci_is_a_failure(ci: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="CI=true and no Chromium found"):
        locate_browser({"CI": ci}, which=_nowhere)


class _Item:
    def __init__(self, *fixturenames: str) -> None:
        self.fixturenames = fixturenames
        self.markers: list[str] = []

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.markers.append(marker.name)


def test_a_test_that_uses_the_browser_is_marked_browser() -> None:
    uses_browser, does_not = _Item("tmp_path", "chromium"), _Item("tmp_path")
    mark_browser_tests([uses_browser, does_not])  # type: ignore[list-item]
    assert uses_browser.markers == ["browser"] and does_not.markers == []
