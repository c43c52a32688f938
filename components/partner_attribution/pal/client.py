"""The PAL client: read, create, re-point and remove the Partner Admin Link of one identity.

Authentication uses azure-identity (:mod:`.identity`), API calls azure-mgmt-managementpartner. Both SDK
pipelines run with their own retries off (``retry_total=0``) and no redirects followed, so that this module
owns the single retry budget of an operation: Entra replication delays, throttling, 5xx and dropped
connections are retried with capped backoff until ``timeout_seconds``; permanent errors fail at once
(:mod:`.errors`). TLS is always verified; a custom CA bundle is taken from ``REQUESTS_CA_BUNDLE``.

Nothing is trusted unconfirmed: an access token is used only when its tenant and application are the ones
signed in as (:class:`~.identity.CheckedCredential`); a link answer counts only when it names the partner ID
asked for and the caller's tenant and object ID; the budget bounds wall time, a server trickling bytes
included; no secret, assertion or token appears in a message.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import (
    AssertionExpired,
    BudgetSpent,
    ConcurrentWriteError,
    LinkConflictError,
    PermanentLinkError,
    RequestRejectedError,
    RetryBudgetExhaustedError,
    Transient,
    TransientError,
    UnconfirmedAnswer,
    classify,
    expired_again,
    retry_after_seconds,
    scrub,
    scrubbed,
)
from .identity import CONNECTION_TIMEOUT, READ_TIMEOUT, CheckedCredential, CloudEndpoints, CredentialSource
from .progress import PROGRESS_INTERVAL_SECONDS, WaitReport
from .retry import Backoff, Budget, run_within

if TYPE_CHECKING:
    from azure.mgmt.managementpartner import ACEProvisioningManagementPartnerAPI

log = logging.getLogger(__name__)
MIN_ATTEMPT_SECONDS = 1.0
"""An attempt starts only when at least this much of the budget is left after its backoff delay."""
T = TypeVar("T")
_PARTNER_ID = re.compile(r"[0-9]{1,10}")  # used with fullmatch: no trailing newline slips through


class AnswerNotConfirmedError(ValueError):
    """A success answer that does not say what a link answer must (raised while parsing it)."""


@dataclass(frozen=True)
class LinkState:
    """A PAL link as the ManagementPartner API returns it."""

    partner_id: str
    partner_name: str | None
    tenant_id: str
    object_id: str
    state: str
    version: int | None = None
    created_time: str | None = None
    updated_time: str | None = None

    @classmethod
    def from_response(cls, response: Any) -> LinkState:
        """Parse an answer; :class:`AnswerNotConfirmedError` when it is empty or names no usable partner ID,
        tenant or object: such an answer is not a link."""

        def text(value: Any) -> str | None:
            return (
                None if value is None else value.isoformat().replace("+00:00", "Z") if hasattr(value, "isoformat") else str(value)
            )

        if response is None:
            raise AnswerNotConfirmedError("the answer has no body")
        partner_id, tenant_id, object_id = (getattr(response, key, None) for key in ("partner_id", "tenant_id", "object_id"))
        if not isinstance(partner_id, str) or not _PARTNER_ID.fullmatch(partner_id):
            raise AnswerNotConfirmedError(f"the answer names no partner ID (partnerId: {partner_id!r})")
        if not isinstance(tenant_id, str) or not tenant_id or not isinstance(object_id, str) or not object_id:
            raise AnswerNotConfirmedError("the answer does not name the linked tenant and object")
        version = getattr(response, "version", None)
        return cls(
            partner_id=partner_id,
            partner_name=getattr(response, "partner_name", None),
            tenant_id=tenant_id,
            object_id=object_id,
            state=str(getattr(response, "state", None) or "Active"),
            version=version if isinstance(version, int) and not isinstance(version, bool) else None,
            created_time=text(getattr(response, "created_time", None)),
            updated_time=text(getattr(response, "updated_time", None)),
        )


ProgressCallback = Callable[[str], None]


def overrun(seconds: float) -> TransientError:
    """An attempt that had no complete answer within ``seconds``, what was left of the budget."""
    return TransientError(BudgetSpent(f"timed out: no complete answer within {seconds:.1f}s, what was left of the budget"))


def _within(seconds: float, call: Callable[[], T]) -> T:
    """Run ``call`` and wait at most ``seconds`` for it (:func:`.retry.run_within`); an overrun spent the budget."""
    return run_within(seconds, call, lambda: overrun(seconds))


@dataclass
class _Outcome:
    """What the end of a reported operation says (:meth:`PartnerLinkClient._reporting`)."""

    text: str


class PartnerLinkClient:
    """Read, create, re-point and remove the PAL link of one identity.

    ``on_retry`` hears of every retry (one line each, for tests and tools); ``progress`` gets what a person
    should read (:class:`~.progress.WaitReport`: when waiting starts, at most every ``progress_interval`` seconds,
    and at the end). ``clock`` and ``sleep`` drive the budget, the backoff and the progress lines.
    """

    def __init__(
        self,
        source: CredentialSource,
        endpoints: CloudEndpoints | None = None,
        *,
        timeout_seconds: float = 600,
        propagation_timeout_seconds: float | None = None,
        backoff: Backoff | None = None,
        on_retry: ProgressCallback | None = None,
        read_timeout: float = READ_TIMEOUT,
        transport: Any = None,
        progress: ProgressCallback | None = None,
        progress_interval: float = PROGRESS_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source = source
        self.transport = transport
        """An azure-core transport shared with other clients (``verify``: one connection pool for every principal);
        None: each credential and ARM client opens its own connections."""
        self.endpoints = endpoints or CloudEndpoints.for_cloud()
        self.timeout_seconds = timeout_seconds
        self.propagation_timeout_seconds = propagation_timeout_seconds
        self.backoff = backoff or Backoff()
        self.on_retry = on_retry or (lambda message: log.debug("%s", message))
        self.progress = progress or (lambda message: log.info("%s", message))
        self.progress_interval = progress_interval
        self.clock = clock
        self.sleep = sleep
        self._report = WaitReport(self.progress, "", clock=clock, interval=progress_interval)
        self.read_timeout = min(read_timeout, timeout_seconds)  # one request never outlasts the budget
        self._api: ACEProvisioningManagementPartnerAPI | None = None
        self._credential: CheckedCredential | None = None
        self._token_response: tuple[int, float | None] | None = None
        self._arm_response: tuple[int, float | None] | None = None
        self._tokens: list[str] = []

    @property
    def who(self) -> str:
        return self.source.describe()

    def _secrets(self) -> list[str]:
        return [*self.source.secrets(), *self._tokens, *(self._credential.tokens if self._credential else [])]

    def _client(self) -> ACEProvisioningManagementPartnerAPI:
        if self._api is None:
            from azure.mgmt.managementpartner import ACEProvisioningManagementPartnerAPI

            if self._credential is not None:
                self._tokens += self._credential.tokens
            self._credential = CheckedCredential(
                self.source.credential(self.endpoints, self._record_token_response, self.read_timeout, self.transport),
                self.source,
            )
            self._api = ACEProvisioningManagementPartnerAPI(self._credential, **self._arm_client_options())  # type: ignore[arg-type]
        return self._api

    def _arm_client_options(self) -> dict[str, Any]:
        """How the ARM client is built, blocking or asynchronous: this cloud's endpoint and scope, no retries of its
        own (this client's rules decide), every answer recorded, no redirect followed, bounded waits."""
        return {
            "base_url": self.endpoints.arm_endpoint,
            "credential_scopes": [self.endpoints.arm_scope],
            "retry_total": 0,
            "raw_response_hook": self._record_arm_response,
            "permit_redirects": False,  # ARM does not redirect these calls; never follow one off the host
            "connection_timeout": CONNECTION_TIMEOUT,
            "read_timeout": self.read_timeout,
            **({"transport": self.transport} if self.transport is not None else {}),
        }

    def _forget_credential(self) -> None:
        """The next attempt signs in with a new credential (and ARM client), with a freshly fetched assertion."""
        self._api = None

    def _record_arm_response(self, pipeline_response: Any) -> None:
        response = pipeline_response.http_response
        self._arm_response = (response.status_code, retry_after_seconds(response.headers.get("Retry-After")))

    def _record_token_response(self, pipeline_response: Any) -> None:
        """The status and ``Retry-After`` of the credential's last token request. Only the token request's: after a
        refused one MSAL asks Entra's instance discovery for the authority's aliases (a GET answered 200), which must
        not hide a 429's ``Retry-After`` from the retry."""
        response = pipeline_response.http_response
        if getattr(pipeline_response.http_request, "method", "POST").upper() != "POST":
            return
        self._token_response = (response.status_code, retry_after_seconds(response.headers.get("Retry-After")))

    def _from_arm(self, exc: BaseException) -> bool:
        request = getattr(getattr(exc, "response", None), "request", None)
        return str(getattr(request, "url", "")).lower().startswith(f"{self.endpoints.arm_endpoint}/providers/".lower())

    def _budget(self) -> Budget:
        return Budget(self.timeout_seconds, clock=self.clock, sleep=self.sleep)

    @contextmanager
    def _reporting(self, outcome: str) -> Iterator[_Outcome]:
        """One public operation: its waits are reported together, and its end once, when it had waited (the block may
        change what the end says)."""
        self._report = WaitReport(self.progress, self.who, clock=self.clock, interval=self.progress_interval)
        said = _Outcome(outcome)
        try:
            yield said
        except RetryBudgetExhaustedError:
            raise  # its message says how long it waited and how many attempts: the end, said once
        except BaseException:
            self._report.finished("stopped")
            raise
        self._report.finished(said.text)

    def _timeouts(self, budget: Budget) -> dict[str, float]:
        """Per-call ARM timeouts: at most what is left of the budget."""
        remaining = max(1.0, budget.remaining)
        return {"connection_timeout": min(CONNECTION_TIMEOUT, remaining), "read_timeout": min(self.read_timeout, remaining)}

    def _attempt(self, call: Callable[[], T], budget: Budget) -> T:
        """One attempt, bounded by what is left of the budget, end to end. A new credential (the first, or after a
        token-side failure) signs in with a freshly fetched assertion."""
        fresh = self._api is None

        def run() -> T:
            if fresh:  # fetching the pipeline's token is part of the attempt, and of its bound
                self.source.prepare(max(1.0, min(self.read_timeout, budget.remaining)))
            try:
                return call()
            except AnswerNotConfirmedError as exc:
                raise TransientError(UnconfirmedAnswer(f"Microsoft's answer is not a link: {exc}")) from None

        return _within(budget.remaining, run)

    def _run(self, operation: str, call: Callable[[], T], budget: Budget) -> T:
        """Run one SDK call, retrying transient failures within ``budget``."""
        attempt = 0
        previous: Transient | None = None
        while True:
            attempt += 1
            self._report.attempted()
            self._token_response = self._arm_response = None
            try:
                return self._attempt(call, budget)
            except Exception as exc:  # noqa: BLE001 - classified below, re-raised as our own error
                delay, previous = self._after_failure(operation, exc, attempt, previous, budget)
            budget.sleep(delay)

    def _after_failure(
        self, operation: str, exc: Exception, attempt: int, previous: Transient | None, budget: Budget
    ) -> tuple[float, Transient]:
        """What a failed attempt means: raises our own error when it is permanent or the budget is spent; otherwise
        reports the retry and returns how long to wait before the next attempt, and what this one learned. One home
        for the retry rules of the blocking operations and the asynchronous read (:mod:`.aio`)."""
        from_arm = self._from_arm(exc) or self._arm_response is not None
        # The status of the last answer, for exceptions that lost it (azure-identity; a body that is not UTF-8).
        verdict = classify(exc, self.who, self._arm_response if from_arm else self._token_response)
        if not from_arm:
            # MSAL caches HTTP 400 token answers for 60 s per client application
            # (msal/throttled_http_client.py), so a retry with the same credential would
            # replay AADSTS700016 long after Entra caught up: start from a fresh one.
            self._forget_credential()
        if isinstance(verdict, PermanentLinkError):
            raise scrubbed(verdict, self._secrets()) from None
        verdict = _scrub_outcome(verdict, self._secrets())
        if isinstance(verdict, AssertionExpired) and isinstance(previous, AssertionExpired):
            raise expired_again(self.who, verdict) from None  # a fresh token did not help: permanent
        if isinstance(verdict, BudgetSpent) and previous is not None:
            # An attempt cut short by the end of the budget learned nothing; what the earlier ones learned
            # (the principal not replicated yet, a secret refused) is what the caller needs to decide on.
            verdict = previous
        limit = budget.seconds
        if verdict.propagation and self.propagation_timeout_seconds is not None:
            limit = min(limit, self.propagation_timeout_seconds)
        delay = (
            self.backoff.delay(attempt)
            if verdict.retry_after is None
            else self.backoff.after_retry_after(attempt, verdict.retry_after)
        )
        if budget.elapsed + delay + MIN_ATTEMPT_SECONDS > limit:  # no attempt starts with no time to finish
            raise RetryBudgetExhaustedError(operation, self.who, attempt, budget.elapsed, verdict) from None
        self.on_retry(
            f"{operation} for {self.who}: {verdict.cause}; retrying in {delay:.1f}s "
            f"(attempt {attempt}, {budget.elapsed:.0f}s of {limit:.0f}s)"
        )
        self._report.retrying(operation, verdict.cause, limit)
        return delay, verdict

    def _confirm(self, link: LinkState, partner_id: str | None) -> LinkState:
        """The answer names the partner ID asked for and the caller (the access token's tenant and object)."""
        claims = self._credential.claims if self._credential is not None else None
        if link.state.strip().lower() != "active":
            raise AnswerNotConfirmedError(f"its state is {link.state!r}, not Active")
        if partner_id is not None and link.partner_id != partner_id:
            raise AnswerNotConfirmedError(f"it names partner ID {link.partner_id}, not {partner_id}")
        if claims is not None and claims.tenant_id and link.tenant_id.lower() != claims.tenant_id.lower():
            raise AnswerNotConfirmedError(f"it names tenant {link.tenant_id}, not the caller's {claims.tenant_id}")
        if claims is not None and claims.object_id and link.object_id.lower() != claims.object_id.lower():
            raise AnswerNotConfirmedError(f"it names object {link.object_id}, not the caller's {claims.object_id}")
        return link

    def _get(self, budget: Budget) -> LinkState | None:
        from azure.core.exceptions import ResourceNotFoundError

        def call() -> LinkState | None:
            try:
                link = LinkState.from_response(self._client().partners.get(**self._timeouts(budget)))
            except ResourceNotFoundError:
                return None
            if link.state.strip().lower() == "deleted":
                return None
            return self._confirm(link, None)

        return self._run("reading the partner link", call, budget)

    def get(self) -> LinkState | None:
        """The identity's current link, or None when it has none (404 or state Deleted)."""
        with self._reporting("link read"):
            return self._get(self._budget())

    def link(self, partner_id: str, *, overwrite: bool = False, expected_current: str | None = None) -> LinkState:
        """Link the identity to ``partner_id``.

        Already linked to it: adopted as is. Linked to another ID: re-pointed with PATCH (as
        ``az managementpartner update`` does) only when ``overwrite`` is set or the current ID is
        ``expected_current`` (the one this stack itself linked); otherwise :class:`LinkConflictError`.
        The current link is read first because what PUT does on a link to another ID is not
        documented: it may fail, or it may re-point silently.
        """
        with self._reporting("linked"):
            return self._link(partner_id, overwrite, expected_current)

    def _link(self, partner_id: str, overwrite: bool, expected_current: str | None) -> LinkState:
        budget = self._budget()
        conflict: PermanentLinkError | None = None
        for _ in range(3):
            current = self._get(budget)
            if current is not None and current.partner_id == partner_id:
                return current
            if current is not None:
                if not (overwrite or current.partner_id == expected_current):
                    raise LinkConflictError(self.who, current.partner_id, partner_id)
                self._run(
                    "re-pointing the partner link",
                    lambda: self._confirm(
                        LinkState.from_response(self._client().partner.update(partner_id, **self._timeouts(budget))), partner_id
                    ),
                    budget,
                )
                return self._still_ours(partner_id, budget)
            try:
                self._run(
                    "creating the partner link",
                    lambda: self._confirm(
                        LinkState.from_response(self._client().partner.create(partner_id, **self._timeouts(budget))), partner_id
                    ),
                    budget,
                )
                return self._still_ours(partner_id, budget)
            except RequestRejectedError as exc:
                if exc.status != 409:
                    raise
                # A link appeared between GET and PUT (PUT refuses existing links): read again.
                conflict = exc
        assert conflict is not None
        raise conflict

    def _still_ours(self, partner_id: str, budget: Budget) -> LinkState:
        """The link read again after writing it: a write confirmed by its own answer can still have been followed
        by another writer's (two ``link`` runs at once, in any order). Success only when the link names
        ``partner_id`` now; otherwise the other writer's link is left as it is and the conflict reported."""
        again = self._get(budget)
        if again is None or again.partner_id != partner_id:
            raise ConcurrentWriteError(self.who, partner_id, again.partner_id if again is not None else None)
        return again

    def unlink(self, partner_id: str) -> bool:
        """Remove the link to ``partner_id``. Returns False when there was none (already unlinked)."""
        with self._reporting("unlinked"):
            return self._unlink(partner_id, self._budget())

    def unlink_if_named(self, partner_id: str | None) -> LinkState | None:
        """Read the identity's link and remove it only when it names ``partner_id``, both under one retry budget
        (``timeout_seconds`` in all) and one progress report.

        Returns the live link left in place (it names another partner ID, or ``partner_id`` is None: the caller can't
        tell which is its own); None when it was removed or there was none. No DELETE is sent before a read confirmed
        the link (its partner ID, and the caller's tenant and object): what DELETE does to a link naming another ID is
        not documented. A read that fails (throttled for the whole budget, an answer that is not a link) raises, and
        nothing is removed."""
        with self._reporting("unlinked") as said:
            budget = self._budget()
            live = self._get(budget)
            if live is None:
                return None
            if partner_id is None or live.partner_id != partner_id:
                said.text = "link read and left in place"
                return live
            self._unlink(live.partner_id, budget)
            return None

    def _unlink(self, partner_id: str, budget: Budget) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        def call() -> bool:
            try:
                self._client().partner.delete(partner_id, **self._timeouts(budget))
            except ResourceNotFoundError:
                return False
            return True

        return self._run("removing the partner link", call, budget)


def _scrub_outcome(outcome: Transient, secrets: list[str]) -> Transient:
    from dataclasses import replace

    return replace(outcome, cause=scrub(outcome.cause, secrets))
