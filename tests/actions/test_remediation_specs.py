"""The executable remediations against the simulated account: refusals, the write, its verification,
parameter validation, and that each makes exactly the calls its declaration (the actions role) grants."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudwarden.actions import catalog, specs
from cloudwarden.actions.specs import ACTIONS, ActionRefused, InvalidAction, from_suggestion
from cloudwarden.aws import template
from cloudwarden.aws.session import CallLog, _install_call_log
from cloudwarden.diagnosis.faults import FAULTS
from cloudwarden.diagnosis.model import SuggestedAction
from cloudwarden.evidence.kinds import KINDS
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.patches import ecs_activity, recovery

ACCOUNT = "123456789012"
PARAMS: dict[str, dict[str, Any]] = {
    "restart_ecs_service": {"cluster": "prod", "service": "worker"},
    "reboot_rds_instance": {"db_instance_identifier": "orders-db"},
    "set_lambda_concurrency": {"function_name": "resizer", "reserved_concurrency": 40},
}


def _clients(sim: SimulatorClient, log: CallLog | None = None) -> specs.Clients:
    """Clients of the simulated account, each call recorded as its IAM action when `log` is given."""
    built: dict[str, Any] = {}

    def clients(service: str) -> Any:
        if service not in built:
            built[service] = SimulatorClient(sim.endpoint).client(service)
            if log is not None:
                _install_call_log(built[service], log)
        return built[service]

    return clients


def _later(minutes: int) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def _service(sim: SimulatorClient) -> None:
    """ECS service 'worker' in cluster 'prod': two tasks, at steady state for an hour."""
    ecs = sim.client("ecs")
    ecs.create_cluster(clusterName="prod")
    ecs.register_task_definition(
        family="worker",
        containerDefinitions=[{"name": "worker", "image": "registry.example/worker:1.0", "memory": 512}],
        cpu="256",
        memory="512",
    )
    ecs.create_service(
        cluster="prod", serviceName="worker", taskDefinition="worker:1", desiredCount=2, launchType="FARGATE"
    )
    at = datetime.now(UTC) - timedelta(hours=1)
    sim.inject(
        "ecs_service_steady",
        account_id=ACCOUNT,
        payload={"cluster": "prod", "service": "worker", "at": at.isoformat()},
    )


def _database(sim: SimulatorClient) -> None:
    sim.client("rds").create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-real-password-1",
    )


def _function(sim: SimulatorClient) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = sim.client("iam").create_role(RoleName="resizer-exec", AssumeRolePolicyDocument=json.dumps(trust))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    sim.client("lambda").create_function(
        FunctionName="resizer",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()},
    )


RESOURCES = {
    "restart_ecs_service": _service,
    "reboot_rds_instance": _database,
    "set_lambda_concurrency": _function,
}


@pytest.fixture
def clean_recovery(sim: SimulatorClient) -> Iterator[SimulatorClient]:
    """The simulated account, with time-based state (reboots) forgotten afterwards."""
    yield sim
    recovery.reset()


# ------------------------------------------------------------------------------ the registry


def test_every_remediation_is_executable_on_the_kind_its_proposals_name() -> None:
    assert set(ACTIONS) == set(catalog.REMEDIATIONS)
    for name, spec in ACTIONS.items():
        assert spec.kind in KINDS, name
        assert spec.params_model.model_config.get("extra") == "forbid"
        assert spec.remediation.permission.kind == "write"
        assert spec.title == catalog.REMEDIATIONS[name].title
    proposals = [f.remediation for f in FAULTS.values() if f.remediation is not None]
    assert {p.action for p in proposals} == set(ACTIONS)
    assert all(ACTIONS[p.action].kind == p.kind for p in proposals)


def test_the_actions_role_is_generated_from_these_declarations() -> None:
    _, writes = template.declared_actions()
    assert set(writes) == {action for spec in ACTIONS.values() for action in spec.permissions}


# ------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("restart_ecs_service", {"cluster": "prod"}, "service"),
        ("restart_ecs_service", {"cluster": "prod", "service": None}, "service"),
        ("restart_ecs_service", {"cluster": "prod", "service": "worker", "force": True}, "force"),
        ("restart_ecs_service", {"cluster": "prod", "service": "worker; rm -rf"}, "service"),
        ("reboot_rds_instance", {"db_instance_identifier": "1-orders"}, "db_instance_identifier"),
        ("reboot_rds_instance", {}, "db_instance_identifier"),
        (
            "set_lambda_concurrency",
            {"function_name": "resizer", "reserved_concurrency": 1001},
            "reserved_concurrency",
        ),
        (
            "set_lambda_concurrency",
            {"function_name": "resizer", "reserved_concurrency": -1},
            "reserved_concurrency",
        ),
        (
            "set_lambda_concurrency",
            {"function_name": "resizer", "reserved_concurrency": "many"},
            "reserved_concurrency",
        ),
        ("set_lambda_concurrency", {"function_name": "", "reserved_concurrency": 10}, "function_name"),
    ],
)
def test_invalid_parameters_are_refused_naming_the_field(
    name: str, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidAction) as refused:
        from_suggestion(name, params)
    assert refused.value.message.startswith(f"invalid parameters for {name}: {field}: ")
    assert refused.value.details == {"action": name, "fields": [field]}
    assert refused.value.code == "invalid_action"


def test_an_unknown_action_is_refused_naming_those_that_exist() -> None:
    with pytest.raises(
        InvalidAction, match="no action 'delete_database'; CloudWarden can run: reboot_rds_instance, "
    ):
        from_suggestion("delete_database", {"db_instance_identifier": "orders-db"})


def test_a_diagnosis_suggestion_resolves_to_its_spec_and_parameters() -> None:
    suggestion = SuggestedAction(
        name="set_lambda_concurrency",
        title=catalog.SET_LAMBDA_CONCURRENCY.title,
        params={"function_name": "resizer", "reserved_concurrency": 50},
    )
    spec, params = specs.resolve(suggestion)
    assert spec is ACTIONS["set_lambda_concurrency"]
    assert params.model_dump() == {"function_name": "resizer", "reserved_concurrency": 50}


# ------------------------------------------------------------------------------ ECS


def test_restart_refuses_a_missing_service_and_one_in_no_state_to_restart(sim: SimulatorClient) -> None:
    _service(sim)
    clients = _clients(sim)
    spec, params = from_suggestion("restart_ecs_service", PARAMS["restart_ecs_service"])
    spec.preconditions(clients, params)  # steady: nothing stands in the way

    refusals = {
        "ECS service billing does not exist in cluster prod": {"cluster": "prod", "service": "billing"},
        "ECS cluster staging does not exist": {"cluster": "staging", "service": "worker"},
    }
    for reason, other in refusals.items():
        with pytest.raises(ActionRefused, match=reason):
            spec.preconditions(clients, spec.validate(other))

    clients("ecs").update_service(cluster="prod", service="worker", forceNewDeployment=True)
    with pytest.raises(
        ActionRefused, match=r"ECS service worker is already rolling out deployment ecs-svc/\d+"
    ):
        spec.preconditions(clients, params)
    ecs_activity.tick(_later(2))
    clients("ecs").update_service(cluster="prod", service="worker", desiredCount=0)
    with pytest.raises(ActionRefused, match=r"ECS service worker runs no tasks \(desired count 0\)"):
        spec.preconditions(clients, params)
    clients("ecs").delete_service(cluster="prod", service="worker")
    with pytest.raises(ActionRefused, match="ECS service worker is INACTIVE, not ACTIVE"):
        spec.preconditions(clients, params)


def test_restart_starts_a_new_deployment_whose_rollout_verify_follows(sim: SimulatorClient) -> None:
    _service(sim)
    clients = _clients(sim)
    spec, params = from_suggestion("restart_ecs_service", PARAMS["restart_ecs_service"])
    before = clients("ecs").describe_services(cluster="prod", services=["worker"])["services"][0]

    result = spec.execute(clients, params)

    service = clients("ecs").describe_services(cluster="prod", services=["worker"])["services"][0]
    new_id = result.ids["deployment_id"]
    assert [(d["id"], d["status"]) for d in service["deployments"]] == [
        (new_id, "PRIMARY"),
        (before["deployments"][0]["id"], "ACTIVE"),
    ]
    assert service["deployments"][0]["taskDefinition"] == before["taskDefinition"]  # same revision
    assert (result.call, result.request["forceNewDeployment"]) == ("ecs:UpdateService", True)
    assert json.loads(json.dumps(result.as_dict()))["ids"] == {"deployment_id": new_id}
    assert spec.verify(clients, params, result) == specs.Verification(
        False, False, "the new deployment is rolling out: 0/2 tasks running"
    )

    ecs_activity.tick(_later(2))  # ECS completes the rollout

    done = specs.Verification(True, True, "the new deployment completed: 2/2 tasks running")
    assert spec.verify(clients, params, result) == done
    assert spec.verify(clients, params) == done  # a run that lost its result judges the service as it is
    clients("ecs").update_service(cluster="prod", service="worker", forceNewDeployment=True)
    replaced = spec.verify(clients, params, result)
    assert (replaced.done, replaced.succeeded) == (True, False)
    assert replaced.detail == f"deployment {new_id} was replaced by another before it completed"


# ------------------------------------------------------------------------------ RDS


def test_reboot_refuses_a_missing_or_stopped_instance(clean_recovery: SimulatorClient) -> None:
    sim = clean_recovery
    _database(sim)
    clients = _clients(sim)
    spec, params = from_suggestion("reboot_rds_instance", PARAMS["reboot_rds_instance"])
    spec.preconditions(clients, params)

    with pytest.raises(ActionRefused, match="RDS instance billing-db does not exist"):
        spec.preconditions(clients, spec.validate({"db_instance_identifier": "billing-db"}))
    clients("rds").stop_db_instance(DBInstanceIdentifier="orders-db")
    with pytest.raises(ActionRefused, match="RDS instance orders-db is stopped, not available"):
        spec.preconditions(clients, params)


def test_reboot_restarts_the_instance_and_verify_waits_until_it_is_available(
    clean_recovery: SimulatorClient,
) -> None:
    sim = clean_recovery
    _database(sim)
    clients = _clients(sim)
    spec, params = from_suggestion("reboot_rds_instance", PARAMS["reboot_rds_instance"])

    result = spec.execute(clients, params)

    assert result.ids["db_instance_arn"] == f"arn:aws:rds:us-east-1:{ACCOUNT}:db:orders-db"
    events = clients("rds").describe_events(SourceIdentifier="orders-db", SourceType="db-instance")["Events"]
    assert "DB instance restarted" in [e["Message"] for e in events]
    assert spec.verify(clients, params, result) == specs.Verification(
        False, False, "the instance is rebooting"
    )
    with pytest.raises(ActionRefused, match="RDS instance orders-db is rebooting, not available"):
        spec.preconditions(clients, params)  # a second reboot while the first runs makes no sense

    recovery.tick(_later(2))  # the reboot takes a minute

    assert spec.verify(clients, params, result) == specs.Verification(
        True, True, "the instance is available again"
    )


# ------------------------------------------------------------------------------ Lambda


def test_concurrency_refuses_a_missing_function_or_a_value_already_set(sim: SimulatorClient) -> None:
    clients = _clients(sim)
    spec, params = from_suggestion("set_lambda_concurrency", PARAMS["set_lambda_concurrency"])
    with pytest.raises(ActionRefused, match="Lambda function resizer does not exist"):
        spec.preconditions(clients, params)

    _function(sim)
    spec.preconditions(clients, params)
    clients("lambda").put_function_concurrency(FunctionName="resizer", ReservedConcurrentExecutions=40)
    with pytest.raises(ActionRefused, match="already has a reserved concurrency of 40: nothing to change"):
        spec.preconditions(clients, params)


def test_concurrency_is_set_and_verified(sim: SimulatorClient) -> None:
    _function(sim)
    clients = _clients(sim)
    spec, params = from_suggestion("set_lambda_concurrency", PARAMS["set_lambda_concurrency"])

    result = spec.execute(clients, params)

    assert (
        clients("lambda").get_function_concurrency(FunctionName="resizer")["ReservedConcurrentExecutions"]
        == 40
    )
    assert result.summary == "Set the reserved concurrency of Lambda function resizer to 40."
    assert spec.verify(clients, params, result) == specs.Verification(
        True, True, "the reserved concurrency is 40"
    )
    clients("lambda").put_function_concurrency(FunctionName="resizer", ReservedConcurrentExecutions=3)
    assert spec.verify(clients, params, result) == specs.Verification(
        True, False, "the reserved concurrency is 3, not 40"
    )


# ------------------------------------------------------------------------------ least privilege


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_action_makes_exactly_the_calls_it_declares(clean_recovery: SimulatorClient, name: str) -> None:
    sim = clean_recovery
    RESOURCES[name](sim)
    log = CallLog()
    clients = _clients(sim, log)
    spec, params = from_suggestion(name, PARAMS[name])

    spec.preconditions(clients, params)
    result = spec.execute(clients, params)
    spec.verify(clients, params, result)

    assert log.actions() == set(spec.permissions)
    assert {outcome for _, outcome in log.calls} == {"ok"}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_refusal_reads_only_what_is_declared_and_writes_nothing(sim: SimulatorClient, name: str) -> None:
    log = CallLog()
    spec, params = from_suggestion(name, PARAMS[name])

    with pytest.raises(ActionRefused, match="does not exist"):
        spec.preconditions(_clients(sim, log), params)

    assert log.actions() <= set(spec.permissions) - {ACTIONS[name].permissions[0]}
    assert log.count >= 1
