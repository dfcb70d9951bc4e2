"""The node roles' templates, rendered by Ansible's own templating with the roles' defaults.

The containerd scenario runs Debian's containerd 1.6 for real; containerd 2.x cannot be installed
here (its release is on GitHub), so its configuration is checked here: both layouts parse as TOML
and carry the settings each major version reads where it reads them. The /etc/hosts block of
node_prereqs is checked for its address rules, which the scenario exercises only one of.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleError

from tests.support.ansible_playbook import VERSIONS
from tests.support.role_templates import ROLES, render, resolve


def containerd_config(version: str, **overrides: Any) -> dict[str, Any]:
    major = version.split(".", maxsplit=1)[0]
    text = render("containerd", f"config-v{major}.toml.j2", containerd_installed_version=version, **overrides)
    return tomllib.loads(text)


@pytest.mark.parametrize("version", ["1.6.20", "1.7.24"])
def test_containerd_1x_config(version: str) -> None:
    config = containerd_config(version)
    assert config["version"] == 2
    assert config["disabled_plugins"] == []
    assert config["grpc"]["address"] == "/run/containerd/containerd.sock"
    assert set(config["plugins"]) == {"io.containerd.grpc.v1.cri"}
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["sandbox_image"] == VERSIONS["versions_pause_image"]
    runc = cri["containerd"]["runtimes"]["runc"]
    assert runc["runtime_type"] == "io.containerd.runc.v2"
    assert runc["options"]["SystemdCgroup"] is True
    assert cri["containerd"]["default_runtime_name"] == "runc"
    assert cri["cni"] == {"bin_dir": "/opt/cni/bin", "conf_dir": "/etc/cni/net.d"}
    assert cri["registry"] == {"config_path": "/etc/containerd/certs.d"}


@pytest.mark.parametrize(("version", "bin_key"), [("2.0.5", "bin_dir"), ("2.2.1", "bin_dirs")])
def test_containerd_2x_config(version: str, bin_key: str) -> None:
    config = containerd_config(version)
    assert config["version"] == 3
    assert set(config["plugins"]) == {"io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"}
    images = config["plugins"]["io.containerd.cri.v1.images"]
    assert images["pinned_images"] == {"sandbox": VERSIONS["versions_pause_image"]}
    assert images["registry"] == {"config_path": "/etc/containerd/certs.d"}
    assert images["snapshotter"] == "overlayfs"
    runtime = config["plugins"]["io.containerd.cri.v1.runtime"]
    runc = runtime["containerd"]["runtimes"]["runc"]
    assert runc["runtime_type"] == "io.containerd.runc.v2"
    assert runc["options"]["SystemdCgroup"] is True
    expected_bin = ["/opt/cni/bin"] if bin_key == "bin_dirs" else "/opt/cni/bin"
    assert runtime["cni"] == {bin_key: expected_bin, "conf_dir": "/etc/cni/net.d"}
    # 1.x's plugin name is not read by 2.x: a leftover would be silently ignored.
    assert "io.containerd.grpc.v1.cri" not in render(
        "containerd", "config-v2.toml.j2", containerd_installed_version=version
    ).replace("# ", "")


def test_containerd_config_settings_follow_the_variables() -> None:
    config = containerd_config(
        "2.2.1", containerd_systemd_cgroup=False, containerd_pause_image="registry.example.org/pause:3.9"
    )
    runtime = config["plugins"]["io.containerd.cri.v1.runtime"]
    assert runtime["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is False
    assert (
        config["plugins"]["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"]
        == "registry.example.org/pause:3.9"
    )


def test_registry_hosts_toml() -> None:
    mirrors = {"key": "docker.io", "value": ["https://mirror.example.org", "https://b.example.org/v2"]}
    hosts = tomllib.loads(render("containerd", "hosts.toml.j2", item=mirrors))
    assert hosts["server"] == "https://registry-1.docker.io"
    assert list(hosts["host"]) == mirrors["value"]
    assert all(h == {"capabilities": ["pull", "resolve"]} for h in hosts["host"].values())
    other = tomllib.loads(
        render("containerd", "hosts.toml.j2", item={"key": "quay.io", "value": ["https://q.example"]})
    )
    assert other["server"] == "https://quay.io"


def test_crictl_yaml_points_at_the_socket() -> None:
    crictl = yaml.safe_load(render("containerd", "crictl.yaml.j2"))
    assert crictl["runtime-endpoint"] == crictl["image-endpoint"] == "unix:///run/containerd/containerd.sock"


def test_binaries_method_urls_and_pins() -> None:
    """The release files the binaries method asks release_downloads for, per architecture."""
    for arch, go_arch in (("x86_64", "amd64"), ("aarch64", "arm64")):
        facts = {"ansible_facts": {"architecture": arch}}
        version = VERSIONS["versions_containerd"]
        assert resolve("containerd", "containerd_release_url", **facts) == (
            f"https://github.com/containerd/containerd/releases/download/v{version}/containerd-{version}-linux-{go_arch}.tar.gz"
        )
        assert resolve("containerd", "containerd_runc_url", **facts).endswith(
            f"/v{VERSIONS['versions_runc']}/runc.{go_arch}"
        )
        assert resolve("containerd", "containerd_crictl_url", **facts).endswith(
            f"/crictl-v{VERSIONS['versions_crictl']}-linux-{go_arch}.tar.gz"
        )
        for name in ("containerd_release_sha256", "containerd_runc_sha256", "containerd_crictl_sha256"):
            assert re.fullmatch(r"[0-9a-f]{64}", resolve("containerd", name, **facts)), name
    assert VERSIONS["versions_containerd"].startswith("2.")


def test_binaries_method_service_unit_runs_the_installed_binary() -> None:
    unit = render("containerd", "containerd.service.j2", containerd_install_method="binaries")
    assert "ExecStart=/usr/local/bin/containerd --config /etc/containerd/config.toml" in unit
    assert "Delegate=yes" in unit and "KillMode=process" in unit


def hosts_block(
    hostvars: dict[str, dict[str, Any]], groups: dict[str, list[str]], **overrides: Any
) -> list[str]:
    text = render("node_prereqs", "hosts_block.j2", hostvars=hostvars, groups=groups, **overrides)
    return [line for line in text.splitlines() if line.strip()]


def test_hosts_block_uses_the_address_variable_or_the_facts() -> None:
    groups = {"kube_control_plane": ["cp1"], "kube_nodes": ["cp1", "w1", "w2"]}
    hostvars = {
        "cp1": {"ansible_host": "192.0.2.10", "ansible_facts": {"hostname": "cp1"}},
        # A name, not an address: the facts give the address.
        "w1": {
            "ansible_host": "w1.example.org",
            "ansible_facts": {"hostname": "worker-1", "default_ipv4": {"address": "10.0.0.5"}},
        },
        "w2": {"ansible_host": "2001:db8::12"},
    }
    assert hosts_block(hostvars, groups) == ["192.0.2.10 cp1", "10.0.0.5 w1 worker-1", "2001:db8::12 w2"]


def test_hosts_block_lists_each_node_once_in_order_and_skips_missing_groups() -> None:
    groups = {"kube_nodes": ["w2", "cp1", "w1"], "kube_control_plane": ["cp1"]}
    hostvars = {name: {"node_address": f"10.0.0.{i}"} for i, name in enumerate(["cp1", "w1", "w2"], 1)}
    lines = hosts_block(hostvars, groups, node_prereqs_hosts_address_variable="node_address")
    assert lines == ["10.0.0.1 cp1", "10.0.0.2 w1", "10.0.0.3 w2"]
    assert hosts_block(
        hostvars, {"kube_nodes": ["w1"]}, node_prereqs_hosts_address_variable="node_address"
    ) == ["10.0.0.2 w1"]


def test_hosts_block_fails_naming_a_node_without_address() -> None:
    with pytest.raises(AnsibleError, match="no address for w1"):
        hosts_block({"w1": {"ansible_host": "w1.example.org"}}, {"kube_nodes": ["w1"]})


def test_templates_directory_has_no_unrendered_template() -> None:
    """Every template of the two roles is used by a task (and so rendered by the scenarios or here)."""
    for role in ("containerd", "node_prereqs"):
        tasks = " ".join(p.read_text() for p in (ROLES / role / "tasks").glob("*.yml"))
        for template in (ROLES / role / "templates").iterdir():
            name = template.name
            used = name in tasks or (name.startswith("config-v") and "config-v{{" in tasks)
            assert used, f"{role}/templates/{name} is not used by any task"


def platform_supported(distribution: str, major: str, version: str) -> bool:
    """node_prereqs' platform check, its assert conditions evaluated in order as the assert module does."""
    tasks = yaml.safe_load((ROLES / "node_prereqs" / "tasks" / "main.yml").read_text())
    check = next(t for t in tasks if t["name"] == "Check that the platform is supported")
    facts = {
        "distribution": distribution,
        "distribution_major_version": major,
        "distribution_version": version,
    }
    for condition in check["ansible.builtin.assert"]["that"]:
        if not resolve("node_prereqs", f"({condition.strip()})", ansible_facts=facts):
            return False
    return True


@pytest.mark.parametrize(
    ("facts", "supported"),
    [
        (("Debian", "12", "12.12"), True),
        (("Debian", "13", "13.2"), True),
        (("Ubuntu", "24", "24.04"), True),
        (("Debian", "11", "11.11"), False),
        (("Ubuntu", "22", "22.04"), False),
        (("CentOS", "9", "9"), False),
    ],
)
def test_node_prereqs_platforms_are_decided_by_facts(facts: tuple[str, str, str], supported: bool) -> None:
    assert platform_supported(*facts) is supported
