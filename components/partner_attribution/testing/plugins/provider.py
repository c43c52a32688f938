"""What both fake provider plugins share: the deploying identity's sign-in at the fake Azure, its HTTPS calls,
values in and out of Pulumi's property values, and the generic resource (inputs become outputs, an ID is made).

A plugin is a :class:`pulumi.provider.experimental.provider.Provider` served by the SDK's gRPC host
(``pulumi.provider.experimental.server.main``): the engine starts it through a ``pulumi-resource-<name>``
launcher (:mod:`.launchers`). It finds the fake through ``PARTNER_ATTRIBUTION_FAKE_AZURE_URL`` and trusts its CA
through ``REQUESTS_CA_BUNDLE``.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    InvokeRequest,
    InvokeResponse,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from ...plugin.values import property_diffs

T = TypeVar("T")
FAKE_URL_VARIABLE = "PARTNER_ATTRIBUTION_FAKE_AZURE_URL"
"""The fake Azure's base URL (``FakeAzure.base_url``), given to the plugins by whoever started the engine."""


class FakeAzureError(RuntimeError):
    """The fake Azure refused a request; the message is its status, code and message, as the real providers show."""


class _Unknown:
    """An input the engine does not know yet (a preview)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


def plain(value: PropertyValue) -> Any:
    """A property value as plain Python: secrets unwrapped, unknowns as :data:`UNKNOWN`, numbers as sent."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {k: plain(v) for k, v in inner.items()}
    if isinstance(inner, Sequence) and not isinstance(inner, str):
        return [plain(v) for v in inner]
    return inner


def plain_map(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    return {k: plain(v) for k, v in values.items()}


def has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def wrap(value: Any, secret: bool = False) -> PropertyValue:
    """Plain Python back into a property value; integers become numbers (gRPC's only number type)."""
    if isinstance(value, PropertyValue):
        return value
    if isinstance(value, dict):
        return PropertyValue({k: wrap(v) for k, v in value.items() if v is not UNKNOWN}, is_secret=secret)
    if isinstance(value, list):
        return PropertyValue([wrap(v) for v in value], is_secret=secret)
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return PropertyValue(value, is_secret=secret)


def wrap_map(values: Mapping[str, Any], secrets: Sequence[str] = ()) -> dict[str, PropertyValue]:
    """Known values only: FACTS.md, a computed value in a preview's Create answer can't be marshalled by the
    SDK 3.272 host; a value left out is unknown to the program in a preview."""
    return {k: wrap(v, k in secrets) for k, v in values.items() if not has_unknown(v)}


@dataclass
class TypeBehaviour:
    """How a resource type diffs: which inputs replace it, which outputs the provider computes."""

    replaces: frozenset[str] = frozenset()
    """Inputs whose change replaces the resource (all of them with ``replace_all``)."""
    replace_all: bool = False
    computed: frozenset[str] = frozenset()
    """Outputs that are not inputs (never compared in a diff)."""
    secrets: frozenset[str] = frozenset()
    """Outputs the provider marks secret."""


THROTTLED_ATTEMPTS = 20
"""How often a fake plugin's request is sent when the fake keeps answering 429."""
CONCURRENT_CALLS = 64
"""Worker threads of a fake plugin: its blocking HTTPS calls run there, never on the provider's event loop, so the
engine's concurrent resource operations are served side by side (the fakes are not the deployment's bottleneck)."""


@dataclass
class FakeAzureSession:
    """The deploying identity signed in at the fake Azure (client credentials), for Graph and ARM calls."""

    base_url: str
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    _token: str | None = field(default=None, repr=False)
    _http: requests.Session = field(default_factory=requests.Session, repr=False)
    _signing_in: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _send(self, send: Callable[[], requests.Response]) -> requests.Response:
        """One request, sent again after each 429's ``Retry-After`` (as the real providers' clients do), at most
        :data:`THROTTLED_ATTEMPTS` times."""
        for _ in range(THROTTLED_ATTEMPTS - 1):
            answer = send()
            if answer.status_code != 429:
                return answer
            time.sleep(float(answer.headers.get("Retry-After") or 1))
        return send()

    def token(self) -> str:
        with self._signing_in:  # the plugin's worker threads share one sign-in
            return self._signed_in_token()

    def _signed_in_token(self) -> str:
        if self._token is None:
            answer = self._send(
                lambda: self._http.post(
                    f"{self.base_url}/{self.tenant_id}/oauth2/v2.0/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.client_id,
                        "client_secret": self.client_secret,
                        "scope": "https://management.azure.com/.default",
                    },
                    timeout=30,
                )
            )
            if answer.status_code != 200:
                raise FakeAzureError(
                    f"the deploying identity {self.client_id} could not sign in to tenant {self.tenant_id}: "
                    f"{answer.status_code} {answer.json().get('error_description', '')[:200]}"
                )
            self._token = str(answer.json()["access_token"])
        return self._token

    def call(self, method: str, path: str, body: Any = None, *, missing_ok: bool = False) -> dict[str, Any] | None:
        """One request; None for a 404 when ``missing_ok``; :class:`FakeAzureError` for any other failure."""
        answer = self._send(
            lambda: self._http.request(
                method,
                f"{self.base_url}{path}",
                json=body,
                headers={"Authorization": f"Bearer {self.token()}"},
                timeout=30,
            )
        )
        if answer.status_code == 404 and missing_ok:
            return None
        if answer.status_code >= 400:
            try:
                error = answer.json().get("error", {})
            except ValueError:
                error = {}
            message = error.get("message", answer.text[:200])
            raise FakeAzureError(f"{method} {path.split('?')[0]}: {answer.status_code} {error.get('code', '')}: {message}")
        return answer.json() if answer.content else {}


def resource_type(urn: str) -> str:
    """The resource's own type token: a URN's type is its parents' types and its own, joined by ``$``."""
    return urn.split("::")[-2].split("$")[-1]


class FakeAzureProvider(Provider):
    """A provider plugin whose resources of :attr:`behaviours` live in the fake Azure (``backed`` types) and
    whose other types are generic: inputs become outputs and an ID is made."""

    package = ""
    """The plugin's name: ``azuread`` or ``azure-native``."""
    behaviours: Mapping[str, TypeBehaviour] = {}

    def __init__(self) -> None:
        self.settings: dict[str, Any] = {}
        self._session: FakeAzureSession | None = None
        self._session_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(CONCURRENT_CALLS, thread_name_prefix=f"fake-{self.package or 'plugin'}")

    async def _blocking(self, call: Callable[..., T], *args: Any) -> T:
        """Run a blocking call (HTTPS to the fake) on a worker thread, so the event loop keeps serving other calls."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, call, *args)

    # -- configuration -------------------------------------------------------------------------------
    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        """Remember the settings and report them to the fake (tests check CUA's partnerId, the credentials)."""
        settings = plain_map(request.args)
        for key, value in request.variables.items():  # "<package>:config:<key>", the older form
            settings.setdefault(key.rsplit(":", 1)[-1], value)
        self.settings = {k: v for k, v in settings.items() if v is not None and v is not UNKNOWN}
        base = os.environ.get(FAKE_URL_VARIABLE)
        if base:
            report = json.dumps({"settings": self.settings, "environment": self._credential_environment()})
            answer = await self._blocking(
                lambda: requests.post(f"{base}/_fake/providers/{self.package}/configuration", data=report, timeout=30)
            )
            answer.raise_for_status()
        return ConfigureResponse(accept_secrets=True, supports_preview=True, accept_outputs=True, accept_resources=True)

    @staticmethod
    def _credential_environment() -> dict[str, str]:
        return {
            k: v for k, v in os.environ.items() if k in ("ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID", "ARM_USE_OIDC")
        }

    def session(self) -> FakeAzureSession:
        """The deploying identity: the provider's clientId/clientSecret/tenantId settings, else ARM_* (as the
        real providers read them)."""
        with self._session_lock:  # the worker threads share one sign-in
            return self._signed_in()

    def _signed_in(self) -> FakeAzureSession:
        if self._session is None:
            base = os.environ.get(FAKE_URL_VARIABLE)
            if not base:
                raise FakeAzureError(
                    f"{FAKE_URL_VARIABLE} is not set: this fake {self.package} plugin has no fake Azure to talk to"
                )
            client_id = self.settings.get("clientId") or os.environ.get("ARM_CLIENT_ID")
            secret = self.settings.get("clientSecret") or os.environ.get("ARM_CLIENT_SECRET")
            tenant = self.settings.get("tenantId") or os.environ.get("ARM_TENANT_ID")
            if not (client_id and secret and tenant):
                raise FakeAzureError(
                    f"the fake {self.package} plugin has no deploying identity: set ARM_CLIENT_ID, ARM_CLIENT_SECRET "
                    "and ARM_TENANT_ID (or the provider's clientId, clientSecret and tenantId)"
                )
            self._session = FakeAzureSession(base.rstrip("/"), str(tenant), str(client_id), str(secret))
        return self._session

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        """A permissive schema read from the package's Python SDK (what the YAML host needs; :mod:`.schema`)."""
        from .schema import schema

        return GetSchemaResponse(schema=schema(self.package))

    # -- resources -----------------------------------------------------------------------------------
    def behaviour(self, type_token: str) -> TypeBehaviour:
        return self.behaviours.get(type_token, TypeBehaviour())

    async def check(self, request: CheckRequest) -> CheckResponse:
        return CheckResponse(inputs=request.new_inputs)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        behaviour = self.behaviour(resource_type(request.urn))
        olds = plain_map(request.old_state)
        news = plain_map(request.new_inputs)
        ignored = set(request.ignore_changes)
        keys = (set(olds) | set(news)) - behaviour.computed - ignored
        changed = sorted(k for k in keys if news.get(k) is UNKNOWN or has_unknown(news.get(k)) or olds.get(k) != news.get(k))
        replaces = [k for k in changed if behaviour.replace_all or k in behaviour.replaces]
        detailed = property_diffs(changed, olds, news, replaces)
        return DiffResponse(changes=bool(changed), replaces=replaces, diffs=changed, detailed_diff=detailed)

    async def create(self, request: CreateRequest) -> CreateResponse:
        inputs = plain_map(request.properties)
        if request.preview:
            return CreateResponse(resource_id="", properties=wrap_map(inputs))
        resource_id, outputs = await self._blocking(self.create_resource, resource_type(request.urn), request.name, inputs)
        return CreateResponse(
            resource_id=resource_id, properties=wrap_map(outputs, sorted(self.behaviour(resource_type(request.urn)).secrets))
        )

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        olds = plain_map(request.olds)
        news = plain_map(request.news)
        computed = {k: v for k, v in olds.items() if k in self.behaviour(resource_type(request.urn)).computed}
        if request.preview:
            return UpdateResponse(properties=wrap_map({**computed, **news}))
        outputs = await self._blocking(self.update_resource, resource_type(request.urn), request.resource_id, olds, news)
        return UpdateResponse(
            properties=wrap_map({**computed, **outputs}, sorted(self.behaviour(resource_type(request.urn)).secrets))
        )

    async def read(self, request: ReadRequest) -> ReadResponse:
        state = plain_map(request.properties)
        live = await self._blocking(self.read_resource, resource_type(request.urn), request.resource_id, state)
        if live is None:
            return ReadResponse(resource_id=None)
        return ReadResponse(
            resource_id=request.resource_id,
            properties=wrap_map(live, sorted(self.behaviour(resource_type(request.urn)).secrets)),
            inputs=request.inputs,
        )

    async def delete(self, request: DeleteRequest) -> None:
        await self._blocking(self.delete_resource, resource_type(request.urn), request.resource_id, plain_map(request.properties))

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        answer = await self._blocking(self.invoke_function, request.tok, plain_map(request.args))
        return InvokeResponse(return_value=wrap_map(answer))

    # -- what each plugin backs ------------------------------------------------------------------------
    def create_resource(self, type_token: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A generic resource: its inputs are its outputs; its ID is made up."""
        return f"/fake/{type_token}/{name}-{uuid.uuid4().hex[:8]}", dict(inputs)

    def update_resource(self, type_token: str, resource_id: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        return dict(news)

    def read_resource(self, type_token: str, resource_id: str, state: dict[str, Any]) -> dict[str, Any] | None:
        return state

    def delete_resource(self, type_token: str, resource_id: str, state: dict[str, Any]) -> None:
        return None

    def invoke_function(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        raise FakeAzureError(f"the fake {self.package} plugin does not implement the function {token}")
