"""The Partner Admin Link as a Pulumi resource: a dynamic provider that links each principal *as itself*.

Inputs: ``partner_id``, ``tenant_id``, ``client_id``, ``cloud``, ``authority_host``, ``arm_endpoint``,
``overwrite_existing``, ``timeout_seconds``, and how the link signs in as the principal:

* ``credential_type`` omitted or ``"client_secret"``: ``client_secret`` (always secret);
* ``credential_type: "federated"``: no ``client_secret`` at all; ``token_audience``, ``trusted_issuer``,
  ``trusted_subject`` (optional): the pipeline's OIDC token is fetched afresh at each attempt
  (:mod:`partner_attribution.pal.federation`). Nothing secret is in the inputs, outputs or state.

Outputs: ``partner_id`` (live), ``partner_name``, ``tenant_id``, ``client_id``, ``object_id``, ``state``,
``linked_partner_id`` (the partner ID this stack linked; re-pointing any other needs ``overwrite_existing``; absent
from a state written by release 0.1: :func:`own_partner_id`).

A client secret also stays in the resource's state, encrypted as a Pulumi secret: ``pulumi refresh``
and ``pulumi destroy`` hand the provider only the state, and both must sign in as the principal.
It is never an output in clear text, never logged, never in an error message, and never in the
pickled provider (``__provider``), which holds only a reference to this module's class.

Behaviour (``docs/partner-link.md``):

* create: link; adopt a link to the same ID; refuse a link to another ID unless ``overwrite_existing``.
* read (refresh): the live link; none or ``state: Deleted`` reports the resource gone, so the next
  preview creates it again; another partner ID comes back as ``partner_id`` so the diff shows it.
* diff: ``partner_id`` changes update in place, ``tenant_id``/``client_id``/``cloud`` replace; a new
  secret alone is an update that calls nothing.
* delete: read the live link, and unlink it only when it names the stack's own partner ID (:func:`own_partner_id`);
  a link to another ID, or one the stack can't tell is its own, is left in place with a warning saying how to remove
  it by hand; already unlinked, or the principal already deleted, is success. The resource leaves the state.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import pulumi
import pulumi.dynamic as dynamic

from . import engine_values
from .azure_ids import GUID_PATTERN
from .engine_errors import answer_with_error, resource_name, serving_context
from .naming import PAL_LINK_MODULE, PAL_LINK_NAME
from .pal.client import LinkState, PartnerLinkClient
from .pal.errors import (
    ArmNotAware,
    CredentialRejectedError,
    FederationNotReplicated,
    NetworkProblem,
    PartnerLinkError,
    PermanentLinkError,
    PrincipalNotFound,
    RetryBudgetExhaustedError,
    SecretNotAccepted,
    ServerUnavailable,
    Throttled,
    Transient,
    UnconfirmedAnswer,
)
from .pal.federation import EXCHANGE_AUDIENCES, find_token_source
from .pal.identity import ClientAssertionSource, ClientSecretSource, CloudEndpoints, CredentialSource, quiet_sdk_logging
from .validators import CLOUDS, PARTNER_ID_PATTERN

UNKNOWN = engine_values.UNKNOWN_SENTINEL  # the engine's marker for unknown values in previews (engine_values.py)
DEFAULT_TIMEOUT_SECONDS = 600
READ_PROPAGATION_SECONDS = 60
"""A refresh waits at most this long for Entra to recognise a principal. The link was made with this
principal long ago, so 'application not found' at refresh means it was deleted, not that it is new."""

REPLACE_KEYS = ("tenant_id", "client_id", "cloud")
UPDATE_KEYS = (
    "partner_id",
    "client_secret",
    "overwrite_existing",
    "timeout_seconds",
    "authority_host",
    "arm_endpoint",
    "credential_type",
    "token_audience",
    "trusted_issuer",
    "trusted_subject",
)
CLIENT_SECRET, FEDERATED = "client_secret", "federated"
CREDENTIAL_TYPES = (CLIENT_SECRET, FEDERATED)
_DEFAULTS: dict[str, Any] = {
    "cloud": "public",
    "authority_host": None,
    "arm_endpoint": None,
    "overwrite_existing": False,
    "timeout_seconds": DEFAULT_TIMEOUT_SECONDS,
}
_FEDERATED_SETTINGS = ("credential_type", "token_audience", "trusted_issuer", "trusted_subject")
"""Inputs of a federated link only: a password link omits them, so an existing stack's inputs stay as they were."""


LinkDiagnostic = Literal["warning", "progress"]
"""What a line the provider tells the person deploying is: a ``warning`` (a link left in place, a principal gone), to
keep in the run's summary; or ``progress`` (waiting on Entra or the network, :mod:`.pal.progress`), routine, to show
while it lasts."""
ShowDiagnostic = Callable[[str, LinkDiagnostic], None]
"""Shows one line (the message, and what it is)."""

_DIAGNOSTICS: ContextVar[ShowDiagnostic | None] = ContextVar("partner_link_diagnostics", default=None)


@contextmanager
def diagnostics_to(show: ShowDiagnostic) -> Iterator[None]:
    """Within the block, the provider's warnings and progress lines on this thread (and task) go to ``show`` instead of
    stderr: the plugin's, whose stderr the CLI hides (:mod:`partner_attribution.plugin.engine_log`)."""
    token = _DIAGNOSTICS.set(show)
    try:
        yield
    finally:
        _DIAGNOSTICS.reset(token)


def _show(message: str, kind: LinkDiagnostic) -> None:
    """The dynamic provider's lines, warnings and progress alike, go to its stderr, which the engine shows; the
    plugin's where it says (:func:`diagnostics_to`)."""
    show = _DIAGNOSTICS.get()
    if show is not None:
        show(message, kind)
        return
    print(f"warning: {message}", file=sys.stderr, flush=True)


def _warn(message: str) -> None:
    _show(message, "warning")


def _progress(message: str) -> None:
    _show(message, "progress")


def _federated(props: dict[str, Any]) -> bool:
    return props.get("credential_type") == FEDERATED


def _source(props: dict[str, Any]) -> CredentialSource:
    """Sign in as the principal: with its client secret, or with the pipeline's OIDC token."""
    if not _federated(props):
        return ClientSecretSource(props["tenant_id"], props["client_id"], props["client_secret"])
    cloud = props.get("cloud") or "public"
    return ClientAssertionSource(
        props["tenant_id"],
        props["client_id"],
        find_token_source(),
        audience=props.get("token_audience") or EXCHANGE_AUDIENCES[cloud],
        trusted_issuer=props.get("trusted_issuer") or None,
        trusted_subject=props.get("trusted_subject") or None,
    )


def _endpoints(props: dict[str, Any]) -> CloudEndpoints:
    return CloudEndpoints.for_cloud(
        props.get("cloud") or "public", props.get("authority_host") or None, props.get("arm_endpoint") or None
    )


def _client(props: dict[str, Any], *, for_read: bool = False, transport: Any = None) -> PartnerLinkClient:
    return PartnerLinkClient(
        _source(props),
        _endpoints(props),
        timeout_seconds=float(props.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS),
        propagation_timeout_seconds=READ_PROPAGATION_SECONDS if for_read else None,
        progress=_progress,
        transport=transport,
    )


def _settings(props: dict[str, Any]) -> dict[str, Any]:
    settings = {key: props.get(key, default) for key, default in _DEFAULTS.items()}
    timeout = settings["timeout_seconds"]
    if isinstance(timeout, float) and timeout.is_integer():
        settings["timeout_seconds"] = int(timeout)  # gRPC numbers are doubles; keep what the program wrote
    return settings


def _credential_inputs(props: dict[str, Any]) -> dict[str, Any]:
    """The sign-in inputs as given: the secret of a password link, the trust of a federated one."""
    if _federated(props):
        return {key: props.get(key) for key in _FEDERATED_SETTINGS if props.get(key) is not None}
    return {"client_secret": props["client_secret"]}


def own_partner_id(state: Mapping[str, Any]) -> str | None:
    """The partner ID the stack linked or adopted, from a link's state (its outputs); None when it can't tell.

    The one rule of which link is the stack's to remove: ``linked_partner_id``, recorded since 0.2. A state written by
    release 0.1 has only ``partner_id``, which is not taken as the stack's own: a refresh by 0.1 to 0.3 that found the
    link re-pointed recorded the other partner's ID there, and the state keeps no sign of it. So destroy leaves a
    0.1-written link in place (with a warning), and re-pointing it asks for ``overwrite_existing`` once.

    What else the engine sends tells no more: Delete's old inputs (gRPC ``old_inputs``, which neither the SDK's
    dynamic provider host nor its experimental provider hands on) are the state's inputs, whose ``partner_id`` every
    refresh since 0.1 sets to the live link's, as it does the output's (:func:`_live_inputs`;
    ``reference/pulumi-engine/FACTS.md``)."""
    linked = state.get("linked_partner_id")
    return str(linked) if linked else None


def _left_in_place(state: Mapping[str, Any], found: str, ours: str | None) -> str:
    """The warning of a destroy that leaves a live link alone: whose link, why, and how to remove it by hand."""
    serving = serving_context()
    name = f" {resource_name(serving[1])!r}" if serving is not None and serving[1] else ""
    principal = f"service principal {state.get('client_id')}, tenant {state.get('tenant_id')}"
    if ours is None:
        why = (
            "and this stack can't tell whether that is its own partner ID: its state was written by release 0.1, "
            f"which did not record which partner ID the stack linked; if {found} is your own partner ID, remove the "
            "link by hand (below)"
        )
    else:
        why = f"not {ours}, the partner ID this stack linked (another partner's link, or one re-pointed outside Pulumi)"
    return (
        f"PAL link{name} ({principal}) left in place: it names partner ID {found}, {why}. The resource leaves the "
        "stack's state; the link itself stays. To remove it, sign in as that principal (AZURE_TENANT_ID, AZURE_CLIENT_ID and its "
        f"credential) and run `partner-attribution unlink --partner-id {found}`, or with the Azure CLI signed in as it: "
        f"`az managementpartner delete --partner-id {found}`."
    )


def _outputs(props: dict[str, Any], link: LinkState, linked_partner_id: str | None) -> dict[str, Any]:
    """``linked_partner_id`` is the partner ID this stack itself linked (or adopted): a refresh that finds the
    link re-pointed elsewhere changes ``partner_id``, never this, so an update can tell the partner's own
    change of ID from another partner's link."""
    outs = _settings(props)
    outs.update(
        tenant_id=props["tenant_id"],
        client_id=props["client_id"],
        **_credential_inputs(props),
        partner_id=link.partner_id,
        partner_name=link.partner_name,
        object_id=link.object_id,
        state=link.state,
        linked_partner_id=linked_partner_id,
    )
    return outs


def _live_inputs(props: dict[str, Any], link: LinkState) -> dict[str, Any]:
    """Inputs as they would have to be to match the live link. Returned by read, so the engine's
    property diff after a refresh shows ``partner_id: <live> => <configured>``."""
    inputs = {key: props.get(key) for key in ("tenant_id", "client_id")}
    inputs.update(_credential_inputs(props), **_settings(props), partner_id=link.partner_id)
    return inputs


def _link_id(props: dict[str, Any], link: LinkState) -> str:
    return f"{props['tenant_id']}/{link.object_id}"


T = TypeVar("T")
REQUIRED_TO_SIGN_IN = ("partner_id", "tenant_id", "client_id")


def _require(props: dict[str, Any], operation: str) -> None:
    """Create, Read, Update and Delete get no unknown values from the host: one left out is named, not a KeyError."""
    missing = [key for key in REQUIRED_TO_SIGN_IN if key not in props]
    if not _federated(props) and "client_secret" not in props:
        missing.append("client_secret")
    if missing:
        raise PermanentLinkError(
            f"{operation}: the engine sent no value for {', '.join(missing)}: the resources they come from gave none. "
            "Check those resources' outputs (pulumi stack export), then run pulumi up again."
        )


_ADVICE: tuple[tuple[tuple[type[Transient], ...], str], ...] = (
    (
        (PrincipalNotFound, SecretNotAccepted, ArmNotAware, FederationNotReplicated),
        "Entra or Azure Resource Manager had not caught up with the principal within the budget: run pulumi up again, "
        "or raise linkTimeoutSeconds.",
    ),
    (
        (NetworkProblem,),
        "Check that this machine reaches {authority} and {arm} (proxy, firewall, DNS; HTTPS_PROXY and "
        "REQUESTS_CA_BUNDLE are honoured), then run pulumi up again.",
    ),
    ((Throttled, ServerUnavailable), "Microsoft's service was busy or failing: run pulumi up again later."),
    (
        (UnconfirmedAnswer,),
        "Microsoft's answers never confirmed the link: run pulumi up again; if that fails too, check the link with "
        "partner-attribution show.",
    ),
)


def _advice(exc: PartnerLinkError, props: dict[str, Any]) -> str:
    """What to do when waiting did not help (a permanent error's message already says it)."""
    if isinstance(exc, RetryBudgetExhaustedError):
        for kinds, advice in _ADVICE:
            if isinstance(exc.last, kinds):
                endpoints = _endpoints(props)
                return " " + advice.format(authority=endpoints.authority_host, arm=endpoints.arm_endpoint)
    return ""


def _answered(operation: str, props: dict[str, Any], call: Callable[[], T], answered: T) -> T:
    """Run one provider step; a link error answers the engine with one message (what failed, for which principal,
    what to do) and no Python stack frames (:mod:`.engine_errors`). ``answered`` is returned then: the engine never
    reads it. Outside the provider host the error is raised as it is."""
    try:
        return call()
    except PartnerLinkError as exc:
        serving = serving_context()
        name = resource_name(serving[1]) if serving else ""
        subject = f"PAL link {name!r}" if name else f"PAL link of service principal {props.get('client_id')}"
        if answer_with_error(f"{subject}: {operation} failed: {exc}{_advice(exc, props)}"):
            return answered
        raise


class PartnerAdminLinkProvider(dynamic.ResourceProvider):
    """Dynamic provider for :class:`PartnerAdminLink`. Holds no state: pickled by reference.

    Every method takes what the engine really sends (:mod:`.engine_values`): unknown values at any depth in a
    preview's Check and Diff, secrets wrapped or not, keys left out."""

    serialize_as_secret_always = False  # the pickle carries no secret, so it need not be one
    transport: Any = None
    """An azure-core transport every link of this process sends with (the plugin's: one connection pool, one OpenID
    discovery per tenant; each link still signs in as its own principal, with its own token); None: each link opens
    its own connections (the dynamic provider, whose instance is pickled)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        failures: list[dynamic.CheckFailure] = []
        # As given (secrets stay wrapped, unknowns unknown), with the defaults: what the engine stores as inputs.
        inputs = {**_DEFAULTS, **{k: v for k, v in news.items() if v is not None}}
        values = engine_values.plain(inputs)

        def known(key: str) -> bool:
            return engine_values.known(inputs, key)

        def quoted(key: str) -> str:
            return engine_values.shown(inputs, key)

        if known("partner_id") and not PARTNER_ID_PATTERN.fullmatch(str(values["partner_id"])):
            failures.append(
                dynamic.CheckFailure(
                    "partner_id", f"{quoted('partner_id')} is not a numeric Microsoft partner ID (4 to 10 digits)"
                )
            )
        for key in ("tenant_id", "client_id"):
            if key not in inputs:
                failures.append(dynamic.CheckFailure(key, "required"))
            elif known(key) and not GUID_PATTERN.fullmatch(str(values[key])):
                failures.append(dynamic.CheckFailure(key, f"{quoted(key)} is not a GUID"))
        if "partner_id" not in inputs:
            failures.append(dynamic.CheckFailure("partner_id", "required"))
        credential_type = values.get("credential_type", CLIENT_SECRET)
        if "credential_type" in inputs and not known("credential_type"):
            pass  # unknown in a preview: which secret rules apply is decided when it is known
        elif known("credential_type") and credential_type not in CREDENTIAL_TYPES:
            failures.append(
                dynamic.CheckFailure("credential_type", f"{quoted('credential_type')}: use one of {', '.join(CREDENTIAL_TYPES)}")
            )
        elif credential_type == FEDERATED and "client_secret" in inputs:
            failures.append(dynamic.CheckFailure("client_secret", "a federated link has no client secret; remove it"))
        elif credential_type != FEDERATED and "client_secret" not in inputs:
            failures.append(dynamic.CheckFailure("client_secret", "required (or set credential_type to federated)"))
        if known("cloud") and values["cloud"] not in CLOUDS:
            failures.append(dynamic.CheckFailure("cloud", f"{quoted('cloud')}: use one of {', '.join(CLOUDS)}"))
        for key in ("trusted_issuer", "authority_host", "arm_endpoint"):
            if known(key) and not str(values[key]).startswith("https://"):
                failures.append(dynamic.CheckFailure(key, f"{quoted(key)}: must be an https:// URL"))
        if known("timeout_seconds"):
            timeout = values["timeout_seconds"]
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
                failures.append(
                    dynamic.CheckFailure("timeout_seconds", f"{quoted('timeout_seconds')}: use a positive number of seconds")
                )
        if known("overwrite_existing") and not isinstance(values["overwrite_existing"], bool):
            failures.append(dynamic.CheckFailure("overwrite_existing", "use true or false"))
        return dynamic.CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        old_values, new_values = engine_values.plain(olds), engine_values.plain(news)

        def changed(key: str) -> bool:
            if engine_values.contains_unknown(news.get(key)):
                return True  # not known until the preview's inputs exist: it may change, so the preview says it may
            return new_values.get(key, _DEFAULTS.get(key)) != old_values.get(key, _DEFAULTS.get(key))

        replaces = [key for key in REPLACE_KEYS if changed(key)]
        updates = [key for key in UPDATE_KEYS if changed(key)]
        return dynamic.DiffResult(changes=bool(replaces or updates), replaces=replaces, stables=[], delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        secret = engine_values.secret_keys(props)
        values = engine_values.plain(props)

        def link() -> dynamic.CreateResult:
            _require(values, "linking")
            quiet_sdk_logging()
            link = _client(values, transport=self.transport).link(
                str(values["partner_id"]), overwrite=bool(values.get("overwrite_existing"))
            )
            outs = _outputs(values, link, link.partner_id)
            return dynamic.CreateResult(_link_id(values, link), engine_values.rewrap(outs, secret))

        return _answered(f"linking to partner ID {values.get('partner_id')}", values, link, dynamic.CreateResult("", {}))

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        secret = engine_values.secret_keys(props)
        values = engine_values.plain(props)

        def read() -> dynamic.ReadResult:
            _require(values, "reading the link")
            quiet_sdk_logging()
            return self._read(id_, values, secret)

        return _answered("reading the link (refresh)", values, read, dynamic.ReadResult(id_, {}))

    def _read(self, id_: str, props: dict[str, Any], secret: frozenset[str]) -> dynamic.ReadResult:
        try:
            link = _client(props, for_read=True, transport=self.transport).get()
        except CredentialRejectedError as exc:
            raise PermanentLinkError(
                f"the PAL link of {props['client_id']} can't be verified: {exc} To rotate it, change the "
                "principal's credential.rotatedOn date in the stack configuration and run pulumi up."
            ) from None
        except RetryBudgetExhaustedError as exc:
            if not isinstance(exc.last, (PrincipalNotFound, SecretNotAccepted)):
                raise  # e.g. ARM kept answering 401: an error to look at, not a deleted principal
            if isinstance(exc.last, SecretNotAccepted):
                raise PermanentLinkError(
                    f"the PAL link of {props['client_id']} can't be verified: Entra rejects the stored client "
                    "secret (AADSTS7000215: revoked or replaced outside Pulumi). To rotate it, change the "
                    "principal's credential.rotatedOn date in the stack configuration and run pulumi up."
                ) from None
            _warn(
                f"principal {props['client_id']} is not in tenant {props['tenant_id']} (deleted?): its PAL link is gone with it"
            )
            return dynamic.ReadResult("", {})
        if link is None:
            return dynamic.ReadResult("", {})
        # What this stack linked: kept across refreshes (absent from a state written by 0.1: own_partner_id).
        outs = _outputs(props, link, own_partner_id(props))
        live_inputs = _live_inputs(props, link)
        return dynamic.ReadResult(id_, engine_values.rewrap(outs, secret), engine_values.rewrap(live_inputs, secret))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        secret = engine_values.secret_keys(news)
        old_values, new_values = engine_values.plain(olds), engine_values.plain(news)

        def update() -> dynamic.UpdateResult:
            _require(new_values, "updating the link")
            quiet_sdk_logging()
            return dynamic.UpdateResult(engine_values.rewrap(self._update(old_values, new_values), secret))

        return _answered(
            f"re-pointing the link to partner ID {new_values.get('partner_id')}", new_values, update, dynamic.UpdateResult({})
        )

    def _update(self, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        linked = own_partner_id(olds)
        switched = any(news.get(key) != olds.get(key) for key in _FEDERATED_SETTINGS)
        if str(news["partner_id"]) == str(olds.get("partner_id")) and not switched:
            # A rotated secret or a changed setting: nothing to tell Microsoft.
            kept = LinkState(
                partner_id=str(olds["partner_id"]),
                partner_name=olds.get("partner_name"),
                tenant_id=olds["tenant_id"],
                object_id=olds["object_id"],
                state=olds.get("state") or "Active",
            )
            return _outputs(news, kept, linked)  # unchanged (None for a 0.1 state)
        # A switch between password and federated (or to another trust) proves itself: the link signs in with the
        # new credential and confirms the link before Pulumi deletes the old password, which it does only after its
        # dependents are updated; a switch that can't sign in stops `up` here, and the old state stays usable.
        # Re-pointing needs overwrite_existing unless the live link is the one this stack itself made: a link that
        # a refresh found pointing at another partner is never taken over by `pulumi up --refresh`.
        link = _client(news, transport=self.transport).link(
            str(news["partner_id"]),
            overwrite=bool(news.get("overwrite_existing")),
            expected_current=linked,
        )
        return _outputs(news, link, link.partner_id)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        values = engine_values.plain(props)

        def delete() -> None:
            _require(values, "removing the link")
            quiet_sdk_logging()
            self._delete(values)

        _answered("removing the link (destroy)", values, delete, None)

    def _delete(self, props: dict[str, Any]) -> None:
        # Remove only the stack's own link. The live link is read first: what DELETE /partners/{id} does when the
        # link names another ID is not documented (the spec: "Delete the management partner for the objectId and
        # tenantId", reference/spec/), so another partner's link is never sent a DELETE at all.
        ours = own_partner_id(props)
        try:
            left = _client(props, transport=self.transport).unlink_if_named(ours)
            if left is not None:
                _warn(_left_in_place(props, left.partner_id, ours))
        except RetryBudgetExhaustedError as exc:
            if not isinstance(exc.last, PrincipalNotFound):
                raise
            _warn(
                f"principal {props['client_id']} no longer exists in tenant {props['tenant_id']}; "
                "its PAL link went with it. Removing the link from the stack."
            )


@dataclass(frozen=True)
class PartnerAdminLinkArgs:
    """Inputs of :class:`PartnerAdminLink`."""

    partner_id: pulumi.Input[str]
    """Associated Partner ID to link the principal to."""
    tenant_id: pulumi.Input[str]
    client_id: pulumi.Input[str]
    client_secret: pulumi.Input[str] | None = None
    """The password a ``client_secret`` link signs in with; always stored as a Pulumi secret."""
    cloud: str = "public"
    authority_host: str | None = None
    """Override of the Entra authority (private clouds, tests)."""
    arm_endpoint: str | None = None
    """Override of the Azure Resource Manager endpoint (private clouds, tests)."""
    overwrite_existing: bool = False
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    """Retry budget of one operation."""
    credential_type: str = CLIENT_SECRET
    """``client_secret`` (sign in with ``client_secret``) or ``federated`` (sign in with the pipeline's OIDC token,
    :mod:`partner_attribution.pal.federation`; no secret anywhere)."""
    token_audience: str | None = None
    """Audience of the pipeline token (federated); default: the token-exchange audience of ``cloud``."""
    trusted_issuer: str | None = None
    """Issuer the principal's federated credential trusts: a token from another issuer fails at once, named."""
    trusted_subject: str | None = None
    """Subject the principal's federated credential trusts."""


class PartnerAdminLink(dynamic.Resource, module=PAL_LINK_MODULE, name=PAL_LINK_NAME):
    """The PAL link of one service principal, made by signing in as that principal."""

    partner_id: pulumi.Output[str]
    """The partner ID the principal is linked to (after a refresh: the live one)."""
    partner_name: pulumi.Output[str | None]
    tenant_id: pulumi.Output[str]
    client_id: pulumi.Output[str]
    object_id: pulumi.Output[str]
    """Object ID of the linked principal, as the ManagementPartner API reports it."""
    state: pulumi.Output[str]
    """``Active`` once linked."""

    def __init__(self, name: str, args: PartnerAdminLinkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.credential_type not in CREDENTIAL_TYPES:
            raise ValueError(f"credential_type {args.credential_type!r}: use one of {', '.join(CREDENTIAL_TYPES)}")
        if (args.client_secret is None) != (args.credential_type == FEDERATED):
            raise ValueError("give client_secret for a client_secret link, and none for a federated one")
        credential: dict[str, Any]
        if args.credential_type == FEDERATED:
            credential = {
                "credential_type": FEDERATED,
                "token_audience": args.token_audience,
                "trusted_issuer": args.trusted_issuer,
                "trusted_subject": args.trusted_subject,
            }
        else:
            # Exactly the inputs a 0.1 link had: an existing stack's link sees no change on upgrade.
            credential = {"client_secret": pulumi.Output.secret(cast(pulumi.Input[str], args.client_secret))}
        props: dict[str, Any] = {
            "partner_id": args.partner_id,
            "tenant_id": args.tenant_id,
            "client_id": args.client_id,
            **credential,
            "cloud": args.cloud,
            "authority_host": args.authority_host,
            "arm_endpoint": args.arm_endpoint,
            "overwrite_existing": args.overwrite_existing,
            "timeout_seconds": args.timeout_seconds,
            "partner_name": None,
            "object_id": None,
            "state": None,
        }
        secret_outputs = [] if args.credential_type == FEDERATED else ["client_secret"]
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=secret_outputs))
        super().__init__(PartnerAdminLinkProvider(), name, props, opts)
