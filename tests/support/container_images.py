"""The repository's own container images (sync_tool/Dockerfile, images/patroni/Dockerfile), built by podman.

No registry is reachable here, so each Dockerfile is built FROM a Debian bookworm root filesystem made
offline by scripts/build-base-image, passed through the Dockerfile's base-image build ARG; everything
else in the Dockerfile runs as a real user's build runs it. A build is cached under a tag made of its
inputs (the Dockerfile, the base image and every file of the context it copies), so a second run on
the same machine reuses the image and a change of any input builds a new one. A lock keeps concurrent
test runs from building the same image twice. The built image is also tagged with its pinned name from
roles/versions, ready to push.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.node_containers import CACHE, REPO_ROOT, podman

# Local leftovers that are not inputs (.dockerignore keeps them out of the build context, too).
_NOT_INPUTS = ("__pycache__", ".pyc", ".egg-info", ".so")


@dataclass(frozen=True)
class Recipe:
    """How to build one image: its Dockerfile, context, the paths it copies and its base-image ARG."""

    name: str
    dockerfile: Path
    context: Path
    copies: tuple[str, ...]
    base_arg: str


SYNC = Recipe(
    "devstats-sync",
    REPO_ROOT / "sync_tool" / "Dockerfile",
    REPO_ROOT,
    ("requirements/constraints.txt", "sync_tool"),
    "PYTHON_IMAGE",
)
PATRONI = Recipe(
    "patroni",
    REPO_ROOT / "images" / "patroni" / "Dockerfile",
    REPO_ROOT / "images" / "patroni",
    (),
    "DEBIAN_IMAGE",
)


@dataclass(frozen=True)
class Built:
    reference: str
    pinned: str
    seconds: float
    cached: bool


def build_base_image(
    env: dict[str, str], name: str, packages: tuple[str, ...], suite: str = "bookworm"
) -> str:
    """The reference of a Debian base image made offline (scripts/build-base-image, cached there)."""
    script = REPO_ROOT / "scripts" / "build-base-image"
    done = subprocess.run(
        [str(script), name, suite, *packages], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout.strip().splitlines()[-1]


def _context_files(recipe: Recipe) -> Iterator[Path]:
    for copied in recipe.copies:
        root = recipe.context / copied
        paths = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in paths:
            if path.is_file() and not any(part.endswith(_NOT_INPUTS) for part in path.parts):
                yield path


def input_key(recipe: Recipe, base: str) -> str:
    digest = hashlib.sha256()
    digest.update(recipe.dockerfile.read_bytes())
    digest.update(f"{base}\n".encode())
    for path in _context_files(recipe):
        digest.update(f"{path.relative_to(recipe.context)}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _host_trust_mounts(work: Path) -> list[str]:
    """A volume that lets pip inside the build trust what pip on this host trusts.

    Some machines reach PyPI through a TLS-intercepting proxy whose CA only the host knows (PIP_CERT).
    A home directory holding that CA bundle and a pip.conf naming it is bind-mounted read-only over
    /root, the build user's home that every Debian image has, so RUN steps see it and no image layer
    keeps a trace of it (a mount at a new path would leave an empty mount point behind).
    """
    bundle = os.environ.get("PIP_CERT")
    if not bundle or not Path(bundle).is_file():
        return []
    pip_dir = work / "home" / ".config" / "pip"
    pip_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bundle, pip_dir / "ca-certificates.crt")
    (pip_dir / "pip.conf").write_text("[global]\ncert = /root/.config/pip/ca-certificates.crt\n")
    return [f"--volume={work / 'home'}:/root:ro"]


def build_image(env: dict[str, str], recipe: Recipe, base: str, pinned: str, work: Path) -> Built:
    """Builds the recipe FROM base unless an image of the same inputs exists; tags it `pinned` too."""
    reference = f"localhost/{recipe.name}-build:{input_key(recipe, base)}"
    start = time.monotonic()
    cached = podman(env, "image", "exists", reference, check=False).returncode == 0
    if not cached:
        CACHE.mkdir(parents=True, exist_ok=True)
        with (CACHE / f"image-build-{recipe.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if podman(env, "image", "exists", reference, check=False).returncode != 0:
                done = subprocess.run(
                    [
                        "nice",
                        "-n",
                        "10",
                        "podman",
                        "build",
                        "--network=host",
                        "--pull=never",
                        *_host_trust_mounts(work / recipe.name),
                        f"--build-arg={recipe.base_arg}={base}",
                        "--file",
                        str(recipe.dockerfile),
                        "--tag",
                        reference,
                        str(recipe.context),
                    ],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    raise RuntimeError(
                        f"podman build of {recipe.name} failed:\n{done.stdout[-6000:]}{done.stderr[-3000:]}"
                    )
    podman(env, "tag", reference, pinned)
    return Built(reference, pinned, time.monotonic() - start, cached)


@dataclass(frozen=True)
class Podman:
    env: dict[str, str]
    work: Path
    run: str

    def name(self, what: str) -> str:
        return f"{self.run}-{what}"


@contextlib.contextmanager
def container(podman_run: Podman, what: str, *args: str) -> Iterator[str]:
    """A detached container named for this run; removed on exit whatever happened."""
    name = podman_run.name(what)
    try:
        podman(podman_run.env, "run", "--detach", "--name", name, *args)
        yield name
    finally:
        podman(podman_run.env, "rm", "--force", "--time", "5", name, check=False)


def run_container(
    podman_run: Podman, what: str, *args: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Runs a container to its end and returns its result; removed on exit whatever happened."""
    name = podman_run.name(what)
    try:
        return subprocess.run(
            ["podman", "run", "--name", name, *args],
            env=podman_run.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    finally:
        podman(podman_run.env, "rm", "--force", "--time", "5", name, check=False)


def logs(podman_run: Podman, name: str) -> str:
    done = podman(podman_run.env, "logs", "--tail", "60", name, check=False)
    return done.stdout + done.stderr


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise TimeoutError(f"{what} after {timeout:.0f} s")
