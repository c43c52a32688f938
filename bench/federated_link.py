"""Benchmark: what a federated PAL link costs against the fake Azure (real azure-identity client-assertion
credential, GitHub Actions' token request stand-in). Requests and time for a create and a read on the happy path,
the time to link when the new federated credential takes D seconds to replicate, and what the link's state holds.

    python bench/federated_link.py --delays 20
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter

from partner_attribution.pal import CloudEndpoints, PartnerLinkClient, quiet_sdk_logging
from partner_attribution.pal.federation import find_token_source
from partner_attribution.pal.identity import ClientAssertionSource
from partner_attribution.testing import FakeAzure

GITHUB = "https://token.actions.githubusercontent.com"
SUBJECT = "repo:contoso-partner/landing-zone:ref:refs/heads/main"


def main() -> None:
    quiet_sdk_logging()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delays", type=float, nargs="*", default=[20])
    args = parser.parse_args()
    with FakeAzure() as azure:
        os.environ.update(azure.environment())
        endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)
        env = azure.github_actions_environment(SUBJECT)

        def client(app):  # type: ignore[no-untyped-def]
            source = ClientAssertionSource(
                app.tenant_id, app.client_id, find_token_source(env), audience="api://AzureADTokenExchange",
                trusted_issuer=GITHUB, trusted_subject=SUBJECT,
            )  # fmt: skip
            return PartnerLinkClient(source, endpoints, timeout_seconds=600, on_retry=lambda _m: None)

        app = azure.add_app()
        azure.add_federated_credential(app, GITHUB, SUBJECT)
        started = time.monotonic()
        client(app).link("1234567")
        create_s = time.monotonic() - started
        create = Counter(f"{r.target} {r.method}" for r in azure.requests)
        azure.clear_requests()
        started = time.monotonic()
        client(app).get()
        read_s = time.monotonic() - started
        read = Counter(f"{r.target} {r.method}" for r in azure.requests)
        print(json.dumps({"create_requests": sum(create.values()), "create": create, "create_s": round(create_s, 3),
                          "read_requests": sum(read.values()), "read": read, "read_s": round(read_s, 3)}))  # fmt: skip

        for delay in args.delays:
            app = azure.add_app()
            azure.add_federated_credential(app, GITHUB, SUBJECT, ready_after=delay)
            azure.clear_requests()
            started = time.monotonic()
            client(app).link("1234567")
            elapsed = time.monotonic() - started
            result = {
                "fic_replication_s": delay,
                "linked_after_s": round(elapsed, 2),
                "over_delay_s": round(elapsed - delay, 2),
                "token_attempts": len(azure.requests_to("token")),
                "pipeline_tokens": len(azure.requests_to("oidc")),
            }
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
