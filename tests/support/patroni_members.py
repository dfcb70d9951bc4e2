"""Runs Patroni members as the Pods of a StatefulSet, doing what a kubelet would do for them.

The control plane of the HA tier has no kubelet: the StatefulSet controller creates Pod objects that
never run. A `Member` runs the container of such a Pod as a local process: the environment is
resolved from the container spec (fieldRefs from the Pod, secretKeyRefs from the Secrets, `$(VAR)`
expansion), every volume mount becomes a directory of the member, ConfigMap volumes are written as
files, and the ServiceAccount token is handed over as a kubeconfig. Each member gets its own
loopback address as its Pod IP. Processes run as the `postgres` user when the tests run as root
(PostgreSQL refuses to run as root), and a kill takes down every process of the member, as the end
of a container does.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import patroni

VENV_BIN = Path(sys.executable).parent
SITE_PACKAGES = Path(patroni.__file__).resolve().parents[1]
SYSTEM_PYTHON = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
_VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
SecretReader = Callable[[str, str], str]
ConfigMapReader = Callable[[str], dict[str, str]]


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: references to variables defined earlier are replaced."""
    return _VAR_REF.sub(lambda m: env.get(m.group(1), m.group(0)), value)


def resolve_env(
    container: dict[str, Any], pod: dict[str, Any], pod_ip: str, secret: SecretReader
) -> dict[str, str]:
    fields = {
        "metadata.name": pod["metadata"]["name"],
        "metadata.namespace": pod["metadata"]["namespace"],
        "status.podIP": pod_ip,
    }
    env: dict[str, str] = {}
    for var in container.get("env") or []:
        source = var.get("valueFrom") or {}
        if "fieldRef" in source:
            env[var["name"]] = fields[source["fieldRef"]["fieldPath"]]
        elif "secretKeyRef" in source:
            env[var["name"]] = secret(source["secretKeyRef"]["name"], source["secretKeyRef"]["key"])
        elif "value" in var:
            env[var["name"]] = expand(var["value"], env)
        else:
            raise ValueError(f"env {var['name']}: unsupported source {source}")
    return env


def _run_as() -> pwd.struct_passwd | None:
    return pwd.getpwnam("postgres") if os.geteuid() == 0 else None


@dataclass
class Member:
    """One Pod of the StatefulSet, run locally; see the module docstring."""

    pod: dict[str, Any]
    container: dict[str, Any]
    volumes: list[dict[str, Any]]
    ip: str
    root: Path
    kubeconfig: Path
    secret: SecretReader
    config_map: ConfigMapReader
    kube_context: str = "service-account"
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def name(self) -> str:
        return str(self.pod["metadata"]["name"])

    @property
    def log(self) -> Path:
        return self.root / "member.log"

    def _mounts(self) -> dict[str, Path]:
        """mountPath -> the member's directory standing in for the volume."""
        by_name = {v["name"]: v for v in self.volumes}
        mounts = {}
        for mount in self.container.get("volumeMounts") or []:
            directory = self.root / "volumes" / mount["name"]
            directory.mkdir(parents=True, exist_ok=True)
            source = by_name.get(mount["name"], {})
            if "configMap" in source:
                for key, text in self.config_map(source["configMap"]["name"]).items():
                    (directory / key).write_text(text)
            mounts[mount["mountPath"]] = directory
        return mounts

    def _map_paths(self, value: str, mounts: dict[str, Path]) -> str:
        for mount_path in sorted(mounts, key=len, reverse=True):
            if value == mount_path or value.startswith(mount_path.rstrip("/") + "/"):
                return str(mounts[mount_path]) + value[len(mount_path.rstrip("/")) :]
        return value

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        mounts = self._mounts()
        user = _run_as()
        if user is not None:
            for path in [self.root, *self.root.rglob("*"), self.kubeconfig]:
                os.chown(path, user.pw_uid, user.pw_gid)
        resolved = resolve_env(self.container, self.pod, self.ip, self.secret)
        env = {
            "PATH": f"{VENV_BIN}:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(self.root),
            # What the ServiceAccount token mount gives a real Pod.
            "KUBECONFIG": str(self.kubeconfig),
            "PATRONI_KUBERNETES_CONTEXT": self.kube_context,
            **{k: self._map_paths(v, mounts) for k, v in resolved.items()},
        }
        argv = [
            self._map_paths(a, mounts) for a in self.container["command"] + self.container.get("args", [])
        ]
        if user is not None:
            # The virtualenv's interpreter lives under /root, which the postgres user cannot enter:
            # run the same packages with the system's Python of the same minor version instead.
            env["PYTHONPATH"] = str(SITE_PACKAGES)
            argv = [SYSTEM_PYTHON, "-m", argv[0], *argv[1:]]
        else:
            argv[0] = shutil.which(argv[0], path=env["PATH"]) or argv[0]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                env=env,
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                user=user.pw_uid if user else None,
                group=user.pw_gid if user else None,
                extra_groups=[] if user else None,
            )

    def _processes(self) -> list[int]:
        """Every process of the member: Patroni's session, and PostgreSQL (its own sessions) by cwd."""
        pids = []
        data_root = (self.root / "volumes").resolve()
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                cwd = (proc / "cwd").readlink()
                in_group = self.process is not None and os.getpgid(int(proc.name)) == self.process.pid
                if in_group or cwd.is_relative_to(data_root):
                    pids.append(int(proc.name))
        return pids

    def kill(self) -> None:
        """SIGKILL every process of the member at once, as when its container is killed."""
        for pid in self._processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM to Patroni (it stops PostgreSQL and hands over), SIGKILL what is left after timeout."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        self.kill()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 400) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""
