"""The remediations CloudWarden can run: parameters, preconditions, the call, its verification.

    spec, params = from_suggestion("restart_ecs_service", {"cluster": "shop", "service": "worker"})
    spec.preconditions(clients, params)          # ActionRefused("... is DRAINING, not ACTIVE")
    result = spec.execute(clients, params)       # the one write, through the actions role
    spec.verify(clients, params, result)         # Verification(done, succeeded, detail)

`clients(service)` returns a boto3 client of the account's actions role (`session_clients` builds
one from an AssumedSession). Each spec makes only the calls its remediation declares
(`catalog.py`, which generates the actions role): the write, and the reads its preconditions and
verification make. Refusals and invalid suggestions are errors a person can read; AWS errors
during the write (AccessDenied, throttling) are raised as botocore raises them, for the caller to
report.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cloudwarden.actions import catalog
from cloudwarden.errors import EXIT_USAGE, CloudWardenError, UsageError

if TYPE_CHECKING:
    from cloudwarden.aws.session import AssumedSession, CallLog


class Clients(Protocol):
    """Gives a boto3 client for an AWS service ("ecs", "rds", "lambda") of the actions role."""

    def __call__(self, service: str) -> Any: ...


class ActionRefused(CloudWardenError):
    """A precondition failed: the resource is missing, or in a state where the action makes no sense."""

    code = "action_refused"
    exit_code = EXIT_USAGE

    @property
    def reason(self) -> str:
        return self.message


class InvalidAction(UsageError):
    """A suggestion naming an action CloudWarden cannot run, or with parameters it refuses."""

    code = "invalid_action"


@dataclass(frozen=True)
class ExecutionResult:
    """What an action did: the write it made (as an IAM action), with what, and the ids AWS gave."""

    action: str
    call: str  # "ecs:UpdateService"
    request: dict[str, Any]
    summary: str  # one sentence for a person
    ids: dict[str, str] = field(default_factory=dict)  # {"deployment_id": "ecs-svc/..."}
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (what a proposal's result stores)."""
        return {**asdict(self), "at": self.at.isoformat()}


@dataclass(frozen=True)
class Verification:
    done: bool  # the effect is complete, or failed for good: no need to look again
    succeeded: bool
    detail: str


class ActionParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=ActionParams)


class ActionSpec(ABC, Generic[P]):
    """One executable remediation: its catalog declaration, parameter model and three steps."""

    def __init__(self, remediation: catalog.Remediation, params_model: type[P]) -> None:
        self.remediation = remediation
        self.params_model = params_model

    @property
    def name(self) -> str:
        return self.remediation.name

    @property
    def title(self) -> str:
        return self.remediation.title

    @property
    def kind(self) -> str:
        return self.remediation.kind

    @property
    def permissions(self) -> tuple[str, ...]:
        return self.remediation.permission.actions

    def validate(self, raw: Mapping[str, Any]) -> P:
        """The parameters, or an InvalidAction naming every field that is wrong."""
        try:
            return self.params_model.model_validate(dict(raw))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'parameters'}: {error['msg']}"
                for error in exc.errors()
            )
            raise InvalidAction(
                f"invalid parameters for {self.name}: {problems}",
                details={"action": self.name, "fields": [".".join(map(str, e["loc"])) for e in exc.errors()]},
            ) from None

    @abstractmethod
    def preconditions(self, clients: Clients, params: P) -> None:
        """Raise ActionRefused when the resource is missing or the action makes no sense now."""

    @abstractmethod
    def execute(self, clients: Clients, params: P) -> ExecutionResult:
        """Make the write."""

    @abstractmethod
    def verify(self, clients: Clients, params: P, result: ExecutionResult | None = None) -> Verification:
        """Has the write taken effect? Without `result` (a run that lost it), judge the current state."""


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# ------------------------------------------------------------------------------------------ ECS

_ECS_NAME = r"^[A-Za-z0-9][A-Za-z0-9:/_.-]*$"  # a name or an ARN


class RestartEcsServiceParams(ActionParams):
    cluster: str = Field(min_length=1, max_length=2048, pattern=_ECS_NAME, description="name or ARN")
    service: str = Field(min_length=1, max_length=2048, pattern=_ECS_NAME, description="name or ARN")


class RestartEcsService(ActionSpec[RestartEcsServiceParams]):
    """Force a new deployment: ECS replaces every task with a fresh one of the same revision."""

    def __init__(self) -> None:
        super().__init__(catalog.RESTART_ECS_SERVICE, RestartEcsServiceParams)

    def _service(self, clients: Clients, p: RestartEcsServiceParams) -> dict[str, Any]:
        try:
            found = clients("ecs").describe_services(cluster=p.cluster, services=[p.service])
        except ClientError as exc:
            if _error_code(exc) == "ClusterNotFoundException":
                raise ActionRefused(f"ECS cluster {p.cluster} does not exist") from None
            raise
        services: list[dict[str, Any]] = found.get("services") or []
        if not services:
            raise ActionRefused(f"ECS service {p.service} does not exist in cluster {p.cluster}")
        return services[0]

    def preconditions(self, clients: Clients, params: RestartEcsServiceParams) -> None:
        service = self._service(clients, params)
        name, status = params.service, service.get("status")
        if status != "ACTIVE":
            raise ActionRefused(f"ECS service {name} is {status}, not ACTIVE: there is nothing to restart")
        if not service.get("desiredCount"):
            raise ActionRefused(
                f"ECS service {name} runs no tasks (desired count 0): there is nothing to restart"
            )
        deployments = service.get("deployments") or []
        rolling = [
            d for d in deployments if d.get("status") != "PRIMARY" or d.get("rolloutState") == "IN_PROGRESS"
        ]
        if rolling:
            primary: dict[str, Any] = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
            raise ActionRefused(
                f"ECS service {name} is already rolling out deployment {primary.get('id', '?')} "
                f"({len(deployments)} deployments): restarting now would interrupt it"
            )

    def execute(self, clients: Clients, params: RestartEcsServiceParams) -> ExecutionResult:
        request = {"cluster": params.cluster, "service": params.service, "forceNewDeployment": True}
        answer = clients("ecs").update_service(**request)
        primary: dict[str, Any] = next(
            (d for d in answer["service"].get("deployments", []) if d.get("status") == "PRIMARY"), {}
        )
        deployment_id = str(primary.get("id", ""))
        return ExecutionResult(
            action=self.name,
            call="ecs:UpdateService",
            request=request,
            summary=f"Started deployment {deployment_id} of ECS service {params.service}: "
            "its tasks are being replaced by fresh ones.",
            ids={"deployment_id": deployment_id} if deployment_id else {},
        )

    def verify(
        self, clients: Clients, params: RestartEcsServiceParams, result: ExecutionResult | None = None
    ) -> Verification:
        try:
            service = self._service(clients, params)
        except ActionRefused as gone:
            return Verification(True, False, gone.message)
        deployments = service.get("deployments") or []
        wanted = result.ids.get("deployment_id") if result else None
        if wanted:
            deployment = next((d for d in deployments if d.get("id") == wanted), None)
        else:
            deployment = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
        if deployment is None or deployment.get("status") != "PRIMARY":
            return Verification(
                True, False, f"deployment {wanted} was replaced by another before it completed"
            )
        state = deployment.get("rolloutState")
        running, desired = int(deployment.get("runningCount", 0)), int(deployment.get("desiredCount", 0))
        if state == "FAILED":
            reason = deployment.get("rolloutStateReason") or "no reason given"
            return Verification(True, False, f"the new deployment failed: {reason}")
        settled = state == "COMPLETED" or (state is None and len(deployments) == 1)
        if settled and running >= desired:
            return Verification(
                True, True, f"the new deployment completed: {running}/{desired} tasks running"
            )
        return Verification(
            False, False, f"the new deployment is rolling out: {running}/{desired} tasks running"
        )


# ------------------------------------------------------------------------------------------ RDS

# The statuses from which an instance does not come back to "available" on its own.
_RDS_STUCK = ("failed", "stopped", "storage-full", "incompatible-", "inaccessible-encryption-credentials")


class RebootRdsInstanceParams(ActionParams):
    db_instance_identifier: str = Field(min_length=1, max_length=63, pattern=r"^[A-Za-z][A-Za-z0-9-]*$")


class RebootRdsInstance(ActionSpec[RebootRdsInstanceParams]):
    """Reboot the instance: every connection is closed, the engine restarts."""

    def __init__(self) -> None:
        super().__init__(catalog.REBOOT_RDS_INSTANCE, RebootRdsInstanceParams)

    def _status(self, clients: Clients, p: RebootRdsInstanceParams) -> str:
        try:
            found = clients("rds").describe_db_instances(DBInstanceIdentifier=p.db_instance_identifier)
        except ClientError as exc:
            if _error_code(exc) in ("DBInstanceNotFound", "DBInstanceNotFoundFault"):
                raise ActionRefused(f"RDS instance {p.db_instance_identifier} does not exist") from None
            raise
        return str(found["DBInstances"][0]["DBInstanceStatus"])

    def preconditions(self, clients: Clients, params: RebootRdsInstanceParams) -> None:
        status = self._status(clients, params)
        if status != "available":
            raise ActionRefused(
                f"RDS instance {params.db_instance_identifier} is {status}, not available: "
                "it cannot be rebooted now"
            )

    def execute(self, clients: Clients, params: RebootRdsInstanceParams) -> ExecutionResult:
        request = {"DBInstanceIdentifier": params.db_instance_identifier}
        answer = clients("rds").reboot_db_instance(**request)["DBInstance"]
        return ExecutionResult(
            action=self.name,
            call="rds:RebootDBInstance",
            request=request,
            summary=f"Rebooting RDS instance {params.db_instance_identifier}: its connections are closed "
            "and it restarts.",
            ids={"db_instance_arn": str(answer.get("DBInstanceArn", ""))},
        )

    def verify(
        self, clients: Clients, params: RebootRdsInstanceParams, result: ExecutionResult | None = None
    ) -> Verification:
        try:
            status = self._status(clients, params)
        except ActionRefused as gone:
            return Verification(True, False, gone.message)
        if status == "available":
            return Verification(True, True, "the instance is available again")
        if status.startswith(_RDS_STUCK):
            return Verification(True, False, f"the instance is {status}")
        return Verification(False, False, f"the instance is {status}")


# --------------------------------------------------------------------------------------- Lambda


class SetLambdaConcurrencyParams(ActionParams):
    function_name: str = Field(min_length=1, max_length=140, pattern=r"^[A-Za-z0-9:_.-]+$")
    reserved_concurrency: int = Field(ge=0, le=1000)


class SetLambdaConcurrency(ActionSpec[SetLambdaConcurrencyParams]):
    """Set the function's reserved concurrency (the most instances it may run at once)."""

    def __init__(self) -> None:
        super().__init__(catalog.SET_LAMBDA_CONCURRENCY, SetLambdaConcurrencyParams)

    def _current(self, clients: Clients, p: SetLambdaConcurrencyParams) -> int | None:
        value = clients("lambda").get_function_concurrency(FunctionName=p.function_name)
        reserved = value.get("ReservedConcurrentExecutions")
        return None if reserved is None else int(reserved)

    def preconditions(self, clients: Clients, params: SetLambdaConcurrencyParams) -> None:
        name = params.function_name
        try:
            config = clients("lambda").get_function_configuration(FunctionName=name)
        except ClientError as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                raise ActionRefused(f"Lambda function {name} does not exist") from None
            raise
        state = config.get("State")
        if state in ("Pending", "Failed"):
            raise ActionRefused(f"Lambda function {name} is {state}: its concurrency cannot be set now")
        if config.get("LastUpdateStatus") == "InProgress":
            raise ActionRefused(f"Lambda function {name} is being updated: try again when the update ends")
        current = self._current(clients, params)
        if current == params.reserved_concurrency:
            raise ActionRefused(
                f"Lambda function {name} already has a reserved concurrency of {current}: nothing to change"
            )

    def execute(self, clients: Clients, params: SetLambdaConcurrencyParams) -> ExecutionResult:
        request = {
            "FunctionName": params.function_name,
            "ReservedConcurrentExecutions": params.reserved_concurrency,
        }
        answer = clients("lambda").put_function_concurrency(**request)
        return ExecutionResult(
            action=self.name,
            call="lambda:PutFunctionConcurrency",
            request=request,
            summary=f"Set the reserved concurrency of Lambda function {params.function_name} to "
            f"{answer.get('ReservedConcurrentExecutions', params.reserved_concurrency)}.",
        )

    def verify(
        self, clients: Clients, params: SetLambdaConcurrencyParams, result: ExecutionResult | None = None
    ) -> Verification:
        try:
            current = self._current(clients, params)
        except ClientError as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return Verification(True, False, f"Lambda function {params.function_name} no longer exists")
            raise
        if current == params.reserved_concurrency:
            return Verification(True, True, f"the reserved concurrency is {current}")
        shown = "not set" if current is None else str(current)
        return Verification(
            True, False, f"the reserved concurrency is {shown}, not {params.reserved_concurrency}"
        )


# ------------------------------------------------------------------------------------- registry

ACTIONS: dict[str, ActionSpec[Any]] = {
    spec.name: spec for spec in (RestartEcsService(), RebootRdsInstance(), SetLambdaConcurrency())
}


class Suggestion(Protocol):
    """What the diagnosis proposes (`diagnosis.model.SuggestedAction`): an action and its parameters."""

    @property
    def name(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Any]: ...


def from_suggestion(name: str, params: Mapping[str, Any]) -> tuple[ActionSpec[Any], ActionParams]:
    """The spec and its validated parameters, or an InvalidAction naming what is wrong."""
    spec = ACTIONS.get(name)
    if spec is None:
        raise InvalidAction(
            f"no action {name!r}; CloudWarden can run: {', '.join(sorted(ACTIONS))}",
            details={"action": name},
        )
    return spec, spec.validate(params)


def resolve(suggestion: Suggestion) -> tuple[ActionSpec[Any], ActionParams]:
    """A diagnosis's suggested action as a spec and validated parameters (InvalidAction if not)."""
    return from_suggestion(suggestion.name, suggestion.params)


def session_clients(
    session: AssumedSession, *, call_log: CallLog | None = None, region: str | None = None
) -> Clients:
    """Clients of an assumed session (the account's actions role), one per service, built on use."""
    built: dict[str, Any] = {}

    def clients(service: str) -> Any:
        if service not in built:
            built[service] = session.client(service, call_log=call_log, region=region)
        return built[service]

    return clients
