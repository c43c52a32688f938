"""A local HTTPS fake of Entra ID and the ManagementPartner API (:class:`FakeAzure`)."""

from .model import FakeApp, FakeSecret, Fault, RecordedRequest
from .server import FakeAzure

__all__ = ["FakeApp", "FakeAzure", "FakeSecret", "Fault", "RecordedRequest"]
