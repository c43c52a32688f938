"""``partner-attribution rehearse`` on a partner's own program outside the repository (scenario 10): the README's
component example beside other azure-native resources, run with ``up``, ``preview`` and ``destroy``."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import yaml

from .conftest import GITHUB_SUBJECT, rehearse

PROGRAM = """
import pulumi
from pulumi_azure_native import resources, storage
from partner_attribution import DeliveryPrincipal, DeliveryPrincipalArgs, RoleAssignmentArgs
from partner_attribution.args import LinkFederationArgs

group = resources.ResourceGroup("rg-app", location="westeurope")
account = storage.StorageAccount(
    "stapp",
    resource_group_name=group.name,
    sku=storage.SkuArgs(name="Standard_LRS"),
    kind="StorageV2",
)
delivery = DeliveryPrincipal(
    "app-delivery",
    DeliveryPrincipalArgs(
        partner_id=pulumi.Config().require("partnerId"),
        link_credential="federated",
        link_federation=LinkFederationArgs.github_actions("contoso-partner/landing-zone", branch="main"),
        role_assignments=[
            RoleAssignmentArgs(role="Contributor", scope=group.id, key="app-rg"),
            RoleAssignmentArgs(role="Reader", scope="/subscriptions/11111111-1111-4111-8111-111111111111"),
        ],
    ),
)
pulumi.export("deliveryClientId", delivery.client_id)
pulumi.export("storage", account.name)
"""


def test_rehearse_runs_a_consumer_program_up_preview_and_destroy(pulumi_bin: Path, tmp_path: Path) -> None:
    consumer = tmp_path / "landing-zone"
    consumer.mkdir()
    # The partner's project declares the plugin's folder: its virtualenv's bin, here this interpreter's.
    plugins = {"providers": [{"name": "partner-attribution", "path": str(Path(sys.executable).parent)}]}
    (consumer / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "landing-zone", "runtime": "python", "plugins": plugins}))
    (consumer / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    (consumer / "Pulumi.dev.yaml").write_text(
        yaml.safe_dump(
            {
                "encryptionsalt": "v1:abc:def",
                "config": {
                    "azure-native:location": "westeurope",
                    "landing-zone:partnerId": "1234567",
                    "landing-zone:apiKey": {"secure": "AAABAJ5x"},
                },
            }
        )
    )
    refused = rehearse(consumer, pulumi_bin, "up")
    assert refused.returncode == 2
    assert "landing-zone:apiKey" in refused.stderr and "--stand-in" in refused.stderr

    stand_in = ["--stand-in", "landing-zone:apiKey=not-the-real-key", "--pipeline-subject", GITHUB_SUBJECT]
    up = rehearse(consumer, pulumi_bin, "up", *stand_in)
    assert up.returncode == 0, up.stdout + up.stderr
    folder = consumer / ".partner-attribution-rehearsal"
    assert str(folder) in up.stderr, "the rehearsal does not say where its state is"
    fake = json.loads((folder / "fake-azure.json").read_text())
    outputs = json.loads((folder / "outputs.json").read_text())
    app = next(a for a in fake["apps"] if a["client_id"] == outputs["deliveryClientId"])
    links = [entry["link"] for entry in fake["links"] if entry["object_id"] == app["object_id"]]
    assert [(link["partnerId"], link["state"]) for link in links] == [("1234567", "Active")]
    assert outputs["storage"], "the other azure-native resources did not run"
    assert (consumer / "Pulumi.dev.yaml").read_text().count("AAABAJ5x") == 1, "the project's stack file was changed"

    same = rehearse(consumer, pulumi_bin, "preview", "--refresh", "--expect-no-changes", *stand_in)
    assert same.returncode == 0, same.stdout + same.stderr
    app_object = app["object_id"]
    state = json.loads((folder / "fake-azure.json").read_text())
    state["links"] = [entry for entry in state["links"] if entry["object_id"] != app_object]
    (folder / "fake-azure.json").write_text(json.dumps(state))
    drifted = rehearse(consumer, pulumi_bin, "preview", "--refresh", "--expect-no-changes", *stand_in)
    assert drifted.returncode == 7, drifted.stdout + drifted.stderr

    destroyed = rehearse(consumer, pulumi_bin, "destroy", *stand_in)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    after = json.loads((folder / "fake-azure.json").read_text())
    assert next(a for a in after["apps"] if a["client_id"] == outputs["deliveryClientId"])["deleted"]


YAML_PROGRAM = """name: yaml-landing-zone
runtime: yaml
resources:
  app:
    type: azuread:Application
    properties:
      displayName: yaml delivery
  sp:
    type: azuread:ServicePrincipal
    properties:
      clientId: ${app.clientId}
  group:
    type: azure-native:resources:ResourceGroup
outputs:
  clientId: ${app.clientId}
  objectId: ${sp.objectId}
"""


def test_rehearse_runs_a_yaml_program_through_the_yaml_host(pulumi_bin: Path, tmp_path: Path) -> None:
    consumer = tmp_path / "yaml-project"
    consumer.mkdir()
    (consumer / "Pulumi.yaml").write_text(YAML_PROGRAM)
    (consumer / "Pulumi.dev.yaml").write_text("config:\n  azure-native:location: westeurope\n")
    up = rehearse(consumer, pulumi_bin, "up")
    assert up.returncode == 0, up.stdout + up.stderr
    folder = consumer / ".partner-attribution-rehearsal"
    outputs = json.loads((folder / "outputs.json").read_text())
    fake = json.loads((folder / "fake-azure.json").read_text())
    app = next(a for a in fake["apps"] if a["client_id"] == outputs["clientId"])
    assert (app["object_id"], app["display_name"], app["service_principal"]) == (outputs["objectId"], "yaml delivery", True)
    same = rehearse(consumer, pulumi_bin, "preview", "--expect-no-changes")
    assert same.returncode == 0, same.stdout + same.stderr
    destroyed = rehearse(consumer, pulumi_bin, "destroy")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    after = json.loads((folder / "fake-azure.json").read_text())
    assert next(a for a in after["apps"] if a["client_id"] == outputs["clientId"])["deleted"]
