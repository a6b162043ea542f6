"""Synthesises the CDK app once per test worker, offline, with cdk-nag on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App
from aws_cdk.assertions import Template

from stacks.config import ROOT
from stacks.packaging import LAYERS

ACCOUNT = "123456789012"


@dataclass
class Synthesized:
    templates: dict[str, Template]
    stacks: dict[str, object]
    outdir: Path

    def template(self, name: str) -> Template:
        return self.templates[name]

    def resources(self, name: str, kind: str) -> dict[str, dict]:
        found: dict[str, dict] = self.templates[name].find_resources(kind)
        return found

    def resolved(self, name: str, kind: str) -> dict[str, dict]:
        """:meth:`resources` with each ``Fn::ImportValue`` replaced by what the exporting stack
        exports (``{"Ref": "LakeBucket…"}``), so a reference to another stack of the region
        reads like one inside the stack."""
        exported = {
            output["Export"]["Name"]: output["Value"]
            for template in self.templates.values()
            for output in template.to_json().get("Outputs", {}).values()
            if "Export" in output
        }

        def resolve(value: object) -> object:
            if isinstance(value, dict):
                if set(value) == {"Fn::ImportValue"} and value["Fn::ImportValue"] in exported:
                    return exported[value["Fn::ImportValue"]]
                return {key: resolve(item) for key, item in value.items()}
            if isinstance(value, list):
                return [resolve(item) for item in value]
            return value

        resources = resolve(self.resources(name, kind))
        assert isinstance(resources, dict)
        return resources


def synthesize(context: dict[str, object], outdir: Path) -> Synthesized:
    import app as fluxo_app

    layer = outdir / "layer"
    for name in LAYERS:
        (layer / name / "python").mkdir(parents=True, exist_ok=True)
    full_context = {**_cdk_json_context(), "account": ACCOUNT, "layerPath": str(layer), **context}
    cdk_app = App(outdir=str(outdir / "cdk.out"), context=full_context)
    stacks = fluxo_app.build(cdk_app)
    cdk_app.synth()
    return Synthesized(
        templates={name: Template.from_stack(stack) for name, stack in stacks.items()},  # type: ignore[arg-type]
        stacks=stacks,
        outdir=outdir / "cdk.out",
    )


def _cdk_json_context() -> dict[str, object]:
    import json

    context: dict[str, object] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize({"stage": "dev"}, tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(
        {
            "stage": "prod",
            "corsOrigins": ["https://app.fluxo.example"],
            "alarmEmail": "oncall@fluxo.example",
        },
        tmp_path_factory.mktemp("prod"),
    )
