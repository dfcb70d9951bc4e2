"""Podman as this machine allows it, for tests that run Debian nodes with systemd as PID 1.

No Docker engine here, and podman's defaults do not work: the tests write their own containers.conf
(runc, lowered ulimits, cgroupfs) and point CONTAINERS_CONF at it. The node image is built offline by
scripts/build-base-image (mmdebstrap + podman import, cached by its inputs), so the first run takes a
few minutes and later ones none.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "devstats-platform"
# What a Kubernetes node image needs before any role runs: systemd as init, Python for Ansible (with
# apt bindings for the apt module), sshd (Ansible's way in), and the tools the roles expect on any
# Debian machine.
NODE_PACKAGES = (
    "openssh-server",
    "systemd",
    "systemd-sysv",
    "dbus",
    "python3",
    "python3-apt",
    "iproute2",
    "procps",
    "ca-certificates",
)
CONTAINERS_CONF = """\
# Written by the tests: podman's defaults do not work on this machine.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


def write_containers_conf(directory: Path) -> Path:
    path = directory / "containers.conf"
    path.write_text(CONTAINERS_CONF)
    return path


def podman_env(containers_conf: Path) -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(containers_conf)}


def build_node_image(env: dict[str, str], suite: str = "bookworm") -> str:
    """The reference of the Debian node image, built (once) if podman does not have it."""
    script = REPO_ROOT / "scripts" / "build-base-image"
    done = subprocess.run(
        [str(script), "devstats-node", suite, *NODE_PACKAGES],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout.strip().splitlines()[-1]


def unique_name(prefix: str) -> str:
    """A container or network name no other test run on this machine uses."""
    return f"{prefix}{secrets.token_hex(3)}"


def podman(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], env=env, capture_output=True, text=True, check=check)
