"""Test helpers for partners' own test suites: a local HTTPS fake of Entra and the
ManagementPartner API (:class:`FakeAzure`). Needs the ``testing`` extra (trustme)."""

from .fake import FakeApp, FakeAzure, Fault, RecordedRequest

__all__ = ["FakeApp", "FakeAzure", "Fault", "RecordedRequest"]
