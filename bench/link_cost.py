"""Benchmark: what one PAL link costs against the fake Azure. HTTP requests for a create and a read on
the happy path, and the time to link when Entra's replication is delayed by D seconds.

    python bench/link_cost.py --delays 5 20 60
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter

from partner_attribution.pal import ClientSecretSource, CloudEndpoints, PartnerLinkClient, quiet_sdk_logging
from partner_attribution.testing import FakeAzure


def main() -> None:
    quiet_sdk_logging()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delays", type=float, nargs="*", default=[5, 20, 60])
    args = parser.parse_args()
    with FakeAzure() as azure:
        os.environ.update(azure.environment())
        endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)

        def client(app, secret):  # type: ignore[no-untyped-def]
            source = ClientSecretSource(app.tenant_id, app.client_id, secret)
            return PartnerLinkClient(source, endpoints, timeout_seconds=600, on_retry=lambda _m: None)

        app = azure.add_app()
        secret = azure.add_secret(app)
        client(app, secret).link("1234567")
        create = Counter(f"{r.target} {r.method}" for r in azure.requests)
        azure.clear_requests()
        client(app, secret).get()
        read = Counter(f"{r.target} {r.method}" for r in azure.requests)
        print(
            json.dumps(
                {"create_requests": sum(create.values()), "create": create, "read_requests": sum(read.values()), "read": read}
            )
        )

        for delay in args.delays:
            app = azure.add_app(ready_after=delay)
            secret = azure.add_secret(app)
            azure.clear_requests()
            started = time.monotonic()
            client(app, secret).link("1234567")
            elapsed = time.monotonic() - started
            print(
                json.dumps(
                    {
                        "delay_s": delay,
                        "linked_after_s": round(elapsed, 2),
                        "over_delay_s": round(elapsed - delay, 2),
                        "ratio": round(elapsed / delay, 3),
                        "token_attempts": len(azure.requests_to("token")),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
