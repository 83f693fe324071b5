"""The remediation a hypothesis may propose: its fault spec's proposal, if the resource fits."""

from __future__ import annotations

from cloudwarden.actions.catalog import REMEDIATIONS
from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.model import SuggestedAction
from cloudwarden.diagnosis.spec import FaultSpec
from cloudwarden.evidence.model import Resource


def suggested_action(spec: FaultSpec, resource: Resource, ctx: Context) -> SuggestedAction | None:
    proposal = spec.remediation
    if proposal is None or resource.kind != proposal.kind:
        return None
    action = REMEDIATIONS[proposal.action]
    return SuggestedAction(name=action.name, title=action.title, params=proposal.params(resource, ctx))
