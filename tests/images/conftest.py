"""The images tier: the sync and Patroni images built from their real Dockerfiles with podman, then run.

No registry is reachable here: each Dockerfile is built FROM a Debian bookworm root filesystem made
offline (scripts/build-base-image) through its base-image build ARG, cached by its inputs
(tests/support/container_images.py), and tagged with its pin from roles/versions. Containers run on the
host network against servers the tests start on 127.0.0.1, under names unique to this run, and are
removed by the test that started them, also when it fails.
"""

from __future__ import annotations

import concurrent.futures
import shutil

import pytest

from tests.support.ansible_playbook import VERSIONS
from tests.support.container_images import PATRONI, SYNC, Podman, build_base_image, build_image
from tests.support.node_containers import podman_env, unique_name, write_containers_conf

# What the sync Dockerfile's python.org base brings, from Debian (the Patroni image installs its own):
# Python, its venv module and its headers (the build stage compiles the sync tool's C extension).
BASE_PACKAGES = ("python3", "python3-venv", "python3-dev")


@pytest.fixture(scope="session")
def podman_run(tmp_path_factory: pytest.TempPathFactory) -> Podman:
    if shutil.which("podman") is None or shutil.which("mmdebstrap") is None:
        pytest.fail("podman and mmdebstrap are needed: run make setup (requirements/apt.txt)")
    work = tmp_path_factory.mktemp("images")
    return Podman(podman_env(write_containers_conf(work)), work, unique_name("dsi"))


@pytest.fixture(scope="session")
def base_image(podman_run: Podman) -> str:
    return build_base_image(podman_run.env, "devstats-python", BASE_PACKAGES)


@pytest.fixture(scope="session")
def built_images(podman_run: Podman, base_image: str) -> dict[str, str]:
    """Both images, built side by side: their builds wait mostly on downloads, not on the two cores."""
    recipes = {"sync": SYNC, "patroni": PATRONI}
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(recipes)) as pool:
        futures = {
            key: pool.submit(
                build_image,
                podman_run.env,
                recipe,
                base_image,
                VERSIONS[f"versions_{key}_image"],
                podman_run.work,
            )
            for key, recipe in recipes.items()
        }
        built = {key: future.result() for key, future in futures.items()}
    for key, image in built.items():
        how = "cached" if image.cached else "built"
        print(f"\n{key} image: {how} in {image.seconds:.0f} s as {image.reference}, tagged {image.pinned}")
    return {key: image.reference for key, image in built.items()}


@pytest.fixture(scope="session")
def sync_image(built_images: dict[str, str]) -> str:
    return built_images["sync"]


@pytest.fixture(scope="session")
def patroni_image(built_images: dict[str, str]) -> str:
    return built_images["patroni"]
