"""The preflight tier: broken inventories, made from the example inventories, each run through the real
`ansible-playbook ... --tags preflight`. Every run must fail at the validation task, before any change,
with a message that names the foundation, the project, the field and the bad value.

The runs are independent, so they are started together from a small thread pool (each is a separate
ansible-playbook process) and every test then reads its own run's result.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.ansible_playbook import REPO_ROOT as ROOT
from tests.support.ansible_playbook import PlaybookRun, run_playbook

EXAMPLES = ("local", "baremetal_example", "eks_example", "multi_foundation_example")
# Two at a time: the machine has two cores and ansible-playbook is CPU-bound while it starts.
WORKERS = int(os.environ.get("PREFLIGHT_TEST_WORKERS", "2"))
VALIDATE_TASK = "devstats.platform.preflight : Validate the inventory model"


class Inventory:
    """A copy of an example inventory in a temporary directory, edited through its YAML files."""

    def __init__(self, example: str, directory: Path) -> None:
        self.path = directory / example
        shutil.copytree(ROOT / "inventories" / example, self.path)

    def edit(self, relative: str, change: Callable[[Any], object]) -> None:
        """Loads one YAML file, lets `change` edit the data in place and writes it back."""
        path = self.path / relative
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    def project(self, foundation: str, name: str, /, **fields: Any) -> None:
        """Sets (or, with None, removes) fields of one project."""

        def change(data: dict) -> None:
            (project,) = [p for p in data["devstats_projects"] if p["name"] == name]
            for key, value in fields.items():
                if value is None:
                    project.pop(key, None)
                else:
                    project[key] = value

        self.edit(f"host_vars/{foundation}.yml", change)

    def foundation(self, foundation: str, /, **variables: Any) -> None:
        self.edit(f"host_vars/{foundation}.yml", lambda data: data.update(variables))

    def platform(self, **variables: Any) -> None:
        def change(data: dict) -> None:
            for key, value in variables.items():
                if value is None:
                    data.pop(key, None)
                else:
                    data[key] = value

        self.edit("group_vars/all/platform.yml", change)


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    example: str
    breaks: Callable[[Inventory], None]
    expected: tuple[str, ...]
    # True when `expected` lists every problem the run must report, no more.
    complete: bool = False
    # Changes to the AWS environment of the run (AWS_ENVIRONMENT); None removes a variable.
    aws: dict[str, str | None] = dataclasses.field(default_factory=dict)


def rename_foundation(old: str, new: str) -> Callable[[Inventory], None]:
    def change(inv: Inventory) -> None:
        inv.edit(
            "hosts.yml",
            lambda d: d["devstats_foundations"]["hosts"].update(
                {new: d["devstats_foundations"]["hosts"].pop(old)}
            ),
        )
        (inv.path / "host_vars" / f"{old}.yml").rename(inv.path / "host_vars" / f"{new}.yml")

    return change


def append_project(foundation: str, project: dict) -> Callable[[Inventory], None]:
    return lambda inv: inv.edit(
        f"host_vars/{foundation}.yml", lambda d: d["devstats_projects"].append(project)
    )


CNCF_K8S = "foundation 'cncf', project 'kubernetes' (#1), field"
CASES = [
    Case(
        "start_date not a date",
        "multi_foundation_example",
        lambda inv: inv.project("cncf", "kubernetes", name="k8s", start_date="2014-13-01"),
        (
            "foundation 'cncf', project 'k8s' (#1), field 'start_date': '2014-13-01' is not a date; "
            "expected YYYY-MM-DD or 'YYYY-MM-DD HH'",
        ),
    ),
    Case(
        "start_date in the future",
        "eks_example",
        lambda inv: inv.project("cdf", "tekton", start_date="2999-01-01 00"),
        ("foundation 'cdf', project 'tekton' (#2), field 'start_date': '2999-01-01 00' is in the future",),
    ),
    Case(
        "duplicate project name",
        "multi_foundation_example",
        lambda inv: inv.project("graphql", "graphiql", name="graphql", db="graphiql"),
        (
            "foundation 'graphql', project 'graphql' (#3), field 'name': 'graphql' is also the name "
            "of project #1; "
            "names must be unique within a foundation",
        ),
    ),
    Case(
        "duplicate db",
        "multi_foundation_example",
        lambda inv: inv.project("cdf", "tekton", db="jenkinsx"),
        ("foundation 'cdf', project 'tekton' (#4), field 'db': 'jenkinsx' is also the db of project #2",),
    ),
    Case(
        "project name not DNS-1123",
        "local",
        lambda inv: inv.project("example", "calico", name="Calico"),
        ("foundation 'example', project 'Calico' (#3), field 'name': 'Calico' is not a DNS-1123 label",),
    ),
    Case(
        "unknown project field",
        "multi_foundation_example",
        lambda inv: inv.project("cncf", "argo", schedule=None, schedul="40 */2 * * *"),
        (
            "foundation 'cncf', project 'argo' (#12), field 'schedul': unknown field (did you mean "
            "'schedule'?); "
            "allowed fields: archived, db, disabled, disk_size",
        ),
    ),
    Case(
        "bad cron schedule",
        "multi_foundation_example",
        lambda inv: inv.project("cncf", "argo", schedule="40 */2 * * SUN-SAT/0"),
        (
            "foundation 'cncf', project 'argo' (#12), field 'schedule': '40 */2 * * SUN-SAT/0' is "
            "not a valid cron "
            "expression: day of week step '0'",
        ),
    ),
    Case(
        "org not a GitHub login",
        "multi_foundation_example",
        lambda inv: inv.project("cncf", "kubernetes", orgs=["kubernetes", "kubernetes_sigs"]),
        (f"{CNCF_K8S} 'orgs': 'kubernetes_sigs' is not a GitHub login",),
    ),
    Case(
        "repo without owner",
        "multi_foundation_example",
        lambda inv: inv.project("cncf", "helm", repos=["helm"]),
        (
            "foundation 'cncf', project 'helm' (#10), field 'repos': 'helm' is not a repository; "
            "expected 'owner/name'",
        ),
    ),
    Case(
        "regexp does not compile",
        "multi_foundation_example",
        lambda inv: inv.project("cncf", "all", regexp="^(kubernetes|helm/"),
        (
            "foundation 'cncf', project 'all' (#15), field 'regexp': '^(kubernetes|helm/' is not a "
            "valid Python "
            "regular expression",
        ),
    ),
    Case(
        "no repositories",
        "local",
        lambda inv: inv.project("example", "prometheus", orgs=None),
        (
            "foundation 'example', project 'prometheus' (#2), field 'orgs': no repositories: "
            "expected at least one "
            "of 'orgs', 'repos' or 'regexp'",
        ),
    ),
    Case(
        "time zone",
        "local",
        lambda inv: inv.project("example", "kubernetes", schedule="0 * * * *", timezone="Europe/Berln"),
        (
            "foundation 'example', project 'kubernetes' (#1), field 'timezone': 'Europe/Berln' is "
            "not an IANA "
            "time zone; did you mean 'Europe/Berlin'?",
        ),
    ),
    Case(
        "disk size",
        "multi_foundation_example",
        lambda inv: inv.project("cncf", "kubernetes", disk_size="100GB"),
        (f"{CNCF_K8S} 'disk_size': '100GB' is not a Kubernetes quantity",),
    ),
    Case(
        "flag as a string",
        "multi_foundation_example",
        lambda inv: inv.project("cncf", "opentracing", archived="yes"),
        (
            "foundation 'cncf', project 'opentracing' (#3), field 'archived': 'yes' is a string, not "
            "a boolean; "
            "expected true or false",
        ),
    ),
    Case(
        "db not a PostgreSQL identifier",
        "multi_foundation_example",
        lambda inv: inv.project("graphql", "graphql-js", db="graphql-js"),
        (
            "foundation 'graphql', project 'graphql-js' (#2), field 'db': 'graphql-js' is not a "
            "PostgreSQL identifier",
        ),
    ),
    Case(
        "same domain in two foundations",
        "multi_foundation_example",
        lambda inv: inv.foundation("cdf", devstats_domain="devstats.cncf.io"),
        (
            "foundation 'cdf', field 'devstats_domain': 'devstats.cncf.io' is also the domain of "
            "foundation 'cncf'; "
            "domains must be unique across foundations",
        ),
    ),
    Case(
        "same namespace in two foundations",
        "multi_foundation_example",
        lambda inv: inv.foundation("graphql", devstats_namespace="devstats-cdf"),
        (
            "foundation 'cdf', field 'devstats_namespace': 'devstats-cdf' is also the namespace of "
            "foundation "
            "'graphql'",
        ),
    ),
    Case(
        "project host is another foundation's domain",
        "multi_foundation_example",
        lambda inv: inv.foundation("graphql", devstats_domain="helm.devstats.cncf.io"),
        (
            "foundation 'cncf', project 'helm' (#10), field 'name': host 'helm.devstats.cncf.io' is "
            "also the domain "
            "(home page) of foundation 'graphql'",
        ),
    ),
    Case(
        "domain not a DNS name",
        "local",
        lambda inv: inv.foundation("example", devstats_domain="https://devstats.example.org"),
        ("foundation 'example', field 'devstats_domain': 'https://devstats.example.org' is not a DNS name",),
    ),
    Case(
        "foundation reached over ssh",
        "eks_example",
        lambda inv: inv.edit(
            "hosts.yml", lambda d: d["devstats_foundations"]["hosts"]["cdf"].pop("ansible_connection")
        ),
        ("foundation 'cdf', field 'ansible_connection': is not set; expected local",),
    ),
    Case(
        "no projects",
        "local",
        lambda inv: inv.foundation("example", devstats_projects=[]),
        ("foundation 'example', field 'devstats_projects': is empty; expected at least one project",),
    ),
    Case(
        "foundation name",
        "local",
        rename_foundation("example", "Example_1"),
        ("foundation 'Example_1', field 'inventory_hostname': 'Example_1' is not a DNS-1123 label",),
    ),
    Case(
        "no foundations",
        "local",
        lambda inv: inv.edit("hosts.yml", lambda d: d.update(others=d.pop("devstats_foundations"))),
        ("group 'devstats_foundations', field 'hosts': has no hosts",),
    ),
    Case(
        "unknown target",
        "multi_foundation_example",
        lambda inv: inv.platform(platform_target="gke"),
        (
            "platform, field 'platform_target': 'gke' is not a known target; expected one of none, "
            "baremetal, eks, "
            "kubeconfig",
        ),
    ),
    Case(
        "kubeconfig target without a kubeconfig",
        "multi_foundation_example",
        lambda inv: inv.platform(platform_kubeconfig=None),
        ("platform, field 'platform_kubeconfig': is required with platform_target 'kubeconfig'",),
    ),
    Case(
        "kubeconfig target that would apply to the file's current context",
        "multi_foundation_example",
        lambda inv: inv.platform(platform_kubeconfig_context=None),
        ("platform, field 'platform_kubeconfig_context': is required with platform_target 'kubeconfig'",),
    ),
    Case(
        "bare metal with overlapping subnets and a context of its own",
        "baremetal_example",
        lambda inv: inv.platform(
            platform_service_subnet="10.244.0.0/24", platform_kubeconfig_context="admin"
        ),
        (
            "platform, field 'platform_kubeconfig_context': is only for platform_target 'kubeconfig'",
            "platform, field 'platform_service_subnet': '10.244.0.0/24' overlaps the pod subnet "
            "'10.244.0.0/16'",
        ),
    ),
    Case(
        "eks without a region",
        "eks_example",
        lambda inv: inv.platform(platform_eks_region=None, platform_eks_cluster_name="devstats.prod"),
        (
            "platform, field 'platform_eks_region': is required with platform_target 'eks'",
            "platform, field 'platform_eks_cluster_name': 'devstats.prod' is not an EKS cluster name",
        ),
    ),
    Case(
        "eks node group sizes",
        "eks_example",
        lambda inv: inv.platform(
            platform_eks_node_groups=[
                {
                    "name": "general",
                    "instance_type": "m6i.2xlarge",
                    "min_size": 3,
                    "max_size": 6,
                    "desired_size": 9,
                }
            ]
        ),
        (
            "platform, node group 'general' (#1), field 'desired_size': 9 is not between min_size 3 and "
            "max_size 6",
        ),
    ),
    Case(
        "bare metal without a control plane",
        "baremetal_example",
        lambda inv: inv.edit("hosts.yml", lambda d: d.update(kube_control_plane={"hosts": {}})),
        (
            "platform, field 'platform_target': 'baremetal' needs at least one host in the group "
            "'kube_control_plane'",
        ),
    ),
    Case(
        "misspelt platform variable",
        "local",
        lambda inv: inv.platform(platform_render_dri="/tmp/x"),
        ("platform, field 'platform_render_dri': unknown variable (did you mean 'platform_render_dir'?)",),
    ),
    Case(
        "platform variable in host_vars",
        "multi_foundation_example",
        lambda inv: inv.foundation("graphql", platform_target="none"),
        (
            "foundation 'graphql', field 'platform_target': 'none' differs from the platform's value "
            "('kubeconfig'); set platform_* variables only in group_vars/all",
        ),
    ),
    Case(
        "template that fails",
        "local",
        lambda inv: inv.project("example", "calico", start_date="{{ calico_start }}"),
        (
            "foundation 'example', project 'calico' (#3), field 'start_date': cannot be templated:",
            "calico_start",
        ),
    ),
    Case(
        "unknown ingress controller",
        "baremetal_example",
        lambda inv: inv.platform(platform_ingress_controller="nginx"),
        ("platform, field 'platform_ingress_controller': 'nginx' is not one of ingress-nginx, traefik",),
    ),
    Case(
        "unknown certificate issuer",
        "multi_foundation_example",
        lambda inv: inv.foundation("graphql", devstats_certificate_issuer="letsencrypt-prod"),
        (
            "foundation 'graphql', field 'devstats_certificate_issuer': 'letsencrypt-prod' is not one of "
            "production, staging, self-signed",
        ),
    ),
    Case(
        "project not a mapping",
        "eks_example",
        append_project("cdf", "screwdriver"),
        (
            "foundation 'cdf', project #3, field '*': 'screwdriver' is a string, not a mapping of "
            "project fields",
        ),
    ),
    Case(
        "eks subnets and a vpc of its own",
        "eks_example",
        lambda inv: inv.platform(platform_eks_subnet_ids=["subnet-0123456789abcdef0", "subnet-89abcdef"]),
        (
            "platform, field 'platform_eks_vpc_cidr': is set together with platform_eks_subnet_ids; expected "
            "either subnets of an existing VPC or the settings of a VPC this collection creates, not both",
            "platform, field 'platform_eks_nat_gateway': is set together with platform_eks_subnet_ids",
        ),
        complete=True,
    ),
    Case(
        "eks node group taint and disk",
        "eks_example",
        lambda inv: inv.platform(
            platform_eks_node_groups=[
                {
                    "name": "general",
                    "instance_type": "m6i.2xlarge",
                    "min_size": 3,
                    "max_size": 6,
                    "desired_size": 3,
                    "disk_size": 10,
                    "taints": [{"key": "dedicated", "value": "sync", "effect": "NO_SCHEDULE"}],
                }
            ]
        ),
        (
            "platform, node group 'general' (#1), field 'disk_size': 10 is not a disk size in GiB; "
            "expected a whole number from 20 to 16384",
            "platform, node group 'general' (#1), field 'taints': effect 'NO_SCHEDULE' is not one of "
            "NoSchedule, PreferNoSchedule, NoExecute",
        ),
        complete=True,
    ),
    Case(
        "eks endpoint and zones",
        "eks_example",
        lambda inv: inv.platform(
            platform_eks_endpoint_access="private",
            platform_eks_public_access_cidrs=["203.0.113.0/24"],
            platform_eks_availability_zones=["eu-west-1a", "us-east-1b"],
        ),
        (
            "platform, field 'platform_eks_public_access_cidrs': is set with platform_eks_endpoint_access "
            "'private'; a private endpoint has no public access",
            "platform, field 'platform_eks_availability_zones': 'us-east-1b' is not an availability zone of "
            "the region; expected e.g. 'eu-west-1a'",
        ),
        complete=True,
    ),
    Case(
        "eks without aws credentials",
        "eks_example",
        lambda inv: None,
        (
            "platform, field 'platform_aws_profile': no credentials found for the default AWS credential "
            "chain; expected them from the environment",
        ),
        complete=True,
        aws={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None},
    ),
    Case(
        "eks with an undefined aws profile",
        "eks_example",
        lambda inv: inv.platform(platform_aws_profile="devstats-prod"),
        (
            f"platform, field 'platform_aws_profile': AWS profile 'devstats-prod' is not defined in "
            f"{os.devnull} or {os.devnull}",
        ),
        complete=True,
    ),
]

MANY_ERRORS = Case(
    "many errors at once",
    "multi_foundation_example",
    lambda inv: (
        inv.project("cncf", "kubernetes", start_date="2014-13-01", orgs=["kubernetes", "k8s_sigs"]),
        inv.project("cncf", "prometheus", name="Prometheus"),
        inv.project("graphql", "graphiql", schedule="* * * *", timezone="Mars/Olympus"),
        inv.foundation("cdf", devstats_domain="devstats.graphql.org"),
        inv.platform(platform_target="gce"),
    ),
    (
        "foundation 'cncf', project 'kubernetes' (#1), field 'orgs': 'k8s_sigs' is not a GitHub login",
        "foundation 'cncf', project 'kubernetes' (#1), field 'start_date': '2014-13-01' is not a date",
        "foundation 'cncf', project 'Prometheus' (#2), field 'name': 'Prometheus' is not a DNS-1123 label",
        "foundation 'graphql', project 'graphiql' (#3), field 'schedule': '* * * *' has 4 fields",
        "foundation 'graphql', project 'graphiql' (#3), field 'timezone': 'Mars/Olympus' is not an "
        "IANA time zone",
        "foundation 'cdf', field 'devstats_domain': 'devstats.graphql.org' is also the domain of "
        "foundation 'graphql'",
        "platform, field 'platform_target': 'gce' is not a known target",
    ),
    complete=True,
)


# Preflight checks that AWS credentials can be found for eks inventories: every run gets fake keys and
# no AWS config files, so neither the developer's ~/.aws nor a missing one decides a test.
AWS_ENVIRONMENT: dict[str, str | None] = {
    "AWS_ACCESS_KEY_ID": "AKIAPREFLIGHTTEST001",
    "AWS_SECRET_ACCESS_KEY": "preflight/Test/Secret+Key/0123456789abcdefgh",
    "AWS_SESSION_TOKEN": None,
    "AWS_PROFILE": None,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def preflight_playbook(*args: str, cwd: Path = ROOT, aws: dict[str, str | None] | None = None) -> PlaybookRun:
    return run_playbook(*args, cwd=cwd, env={**AWS_ENVIRONMENT, **(aws or {})})


def broken_run(case: Case) -> Callable[[Path], PlaybookRun]:
    def run(directory: Path) -> PlaybookRun:
        inventory = Inventory(case.example, directory)
        case.breaks(inventory)
        return preflight_playbook(
            "-i", str(inventory.path), "playbooks/site.yml", "--tags", "preflight", aws=case.aws
        )

    return run


def example_run(example: str, *options: str) -> Callable[[Path], PlaybookRun]:
    return lambda directory: preflight_playbook(
        "-i", str(ROOT / "inventories" / example), "playbooks/site.yml", "--tags", "preflight", *options
    )


def from_elsewhere(directory: Path) -> PlaybookRun:
    """The collection's playbook by its FQCN, from a directory that is not the checkout."""
    return preflight_playbook(
        "-i",
        str(ROOT / "inventories" / "multi_foundation_example"),
        "devstats.platform.site",
        "--tags",
        "preflight",
        cwd=directory,
    )


def imported_twice(directory: Path) -> PlaybookRun:
    """Two stage playbooks in one run both import preflight; the second import must not validate again."""
    playbook = directory / "two_stages.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {"name": "First stage", "ansible.builtin.import_playbook": "devstats.platform.preflight"},
                {"name": "Second stage", "ansible.builtin.import_playbook": "devstats.platform.preflight"},
                {
                    "name": "A later stage reads the model",
                    "hosts": "devstats_foundations",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Read the model",
                            "ansible.builtin.debug": {
                                "msg": "{{ preflight_foundations[inventory_hostname].projects "
                                "| map(attribute='db') }}"
                            },
                        }
                    ],
                },
            ]
        )
    )
    return preflight_playbook(
        "-i", str(ROOT / "inventories" / "multi_foundation_example"), str(playbook), cwd=directory
    )


def whole_site_on_a_broken_inventory(directory: Path) -> PlaybookRun:
    """Without --tags: the stages after preflight must not run (the local inventory would render)."""
    inventory = Inventory("local", directory)
    inventory.platform(platform_render_dir=str(directory / "manifests"))
    inventory.project("example", "kubernetes", start_date="2014-06-31")
    return preflight_playbook("-i", str(inventory.path), "playbooks/site.yml")


JOBS: dict[str, Callable[[Path], PlaybookRun]] = {
    **{case.id: broken_run(case) for case in [*CASES, MANY_ERRORS]},
    **{f"example {example}": example_run(example) for example in EXAMPLES},
    "check mode": example_run("multi_foundation_example", "--check"),
    "from elsewhere": from_elsewhere,
    "imported twice": imported_twice,
    "whole site": whole_site_on_a_broken_inventory,
    "ansible too old": example_run("local", "-e", "preflight_min_ansible_version=99.0.0"),
}


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every ansible-playbook run the selected tests of this module need, made at once; keyed by job."""
    needed = sorted(
        {
            item.callspec.params["job"]
            for item in request.session.items
            if item.module is request.module and hasattr(item, "callspec") and "job" in item.callspec.params
        }
    )
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {job: pool.submit(JOBS[job], tmp_path_factory.mktemp("run")) for job in needed}
        # A job that raised fails only its own tests: they re-raise it from the dict.
        results = {job: future.exception() or future.result() for job, future in futures.items()}
    slowest = max((run.seconds for run in results.values() if isinstance(run, PlaybookRun)), default=0.0)
    # The tier's time is worth seeing on every run, so it bypasses output capture.
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        reporter.write_line(
            f"\npreflight tier: {len(results)} ansible-playbook runs in {time.monotonic() - started:.1f} s "
            f"({WORKERS} at a time, slowest {slowest:.1f} s)"
        )
    return results


def assert_failed_before_any_change(run: PlaybookRun | BaseException) -> str:
    """The run failed at the validation task and changed nothing; returns the failure message."""
    if isinstance(run, BaseException):
        raise run
    assert run.returncode != 0, run.output[-4000:]
    failed = {
        host: result for host, result in run.task_results(VALIDATE_TASK).items() if result.get("failed")
    }
    assert list(failed) == ["localhost"], (run.output[-4000:], run.task_names())
    assert run.changed() == 0, run.stats
    assert run.task_names()[-1] == VALIDATE_TASK, run.task_names()
    return failed["localhost"]["msg"]


def assert_passed(run: PlaybookRun | BaseException) -> dict:
    """The run succeeded, validated once and changed nothing; returns the validation result."""
    if isinstance(run, BaseException):
        raise run
    assert run.returncode == 0, run.output[-4000:]
    assert run.changed() == 0 and run.failed() == 0, run.stats
    (result,) = run.task_results(VALIDATE_TASK).values()
    return result


@pytest.mark.parametrize("job", [case.id for case in [*CASES, MANY_ERRORS]])
def test_broken_inventory_fails_before_any_change_naming_what_is_wrong(
    job: str, runs: dict[str, Any]
) -> None:
    case = next(case for case in [*CASES, MANY_ERRORS] if case.id == job)
    message = assert_failed_before_any_change(runs[job])
    summary, *errors = message.splitlines()
    assert summary == f"preflight found {len(errors)} problem(s) in the inventory; nothing was changed:"
    for fragment in case.expected:
        assert any(fragment in error for error in errors), f"{fragment!r} not in:\n{message}"
    if case.complete:
        assert len(errors) == len(case.expected), message


def test_there_are_at_least_twenty_broken_inventories() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 20


@pytest.mark.parametrize("job", [f"example {example}" for example in EXAMPLES])
def test_every_example_inventory_passes(job: str, runs: dict[str, Any]) -> None:
    result = assert_passed(runs[job])
    assert result["msg"].startswith("the inventory is valid: ")
    foundations = result["foundations"]
    assert foundations and all(foundation["projects"] for foundation in foundations.values())


@pytest.mark.parametrize("job", ["check mode"])
def test_preflight_runs_in_check_mode(job: str, runs: dict[str, Any]) -> None:
    assert assert_passed(runs[job])["msg"] == "the inventory is valid: 3 foundation(s), 23 project(s)"


@pytest.mark.parametrize("job", ["from elsewhere"])
def test_site_is_callable_by_its_fqcn_from_another_directory(job: str, runs: dict[str, Any]) -> None:
    assert_passed(runs[job])


@pytest.mark.parametrize("job", ["imported twice"])
def test_a_second_import_skips_preflight_and_later_plays_read_the_model(
    job: str, runs: dict[str, Any]
) -> None:
    run = runs[job]
    assert_passed(run)
    assert run.task_names().count(VALIDATE_TASK) == 1
    model = run.task_results("Read the model")
    assert model["cncf"]["msg"][0] == "gha"
    assert model["graphql"]["msg"] == ["graphql", "graphqljs", "graphiql"]


@pytest.mark.parametrize("job", ["whole site"])
def test_the_whole_site_stops_at_preflight(job: str, runs: dict[str, Any], tmp_path_factory) -> None:
    message = assert_failed_before_any_change(runs[job])
    assert "field 'start_date': '2014-06-31' is not a date" in message
    rendered = list(tmp_path_factory.getbasetemp().glob("run*/manifests"))
    assert rendered == []


@pytest.mark.parametrize("job", ["ansible too old"])
def test_an_old_ansible_core_is_refused_before_anything_else(job: str, runs: dict[str, Any]) -> None:
    run = runs[job]
    assert run.returncode != 0
    (result,) = run.task_results("devstats.platform.preflight : Check the ansible-core version").values()
    assert result["failed"]
    assert "is too old: devstats.platform needs 99.0.0 or newer" in result["msg"]
    assert VALIDATE_TASK not in run.task_names()
