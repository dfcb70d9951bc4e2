"""`make site` on the local inventory, as a new user runs it: preflight, render, the local pipeline.

The site playbook runs twice against a private render directory: the first run renders and loads
hours, the second must report changed=0 everywhere and still print the summary.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.ansible_playbook import PlaybookRun, run_playbook


def site(render_dir: Path) -> PlaybookRun:
    run = run_playbook(
        "-i", "inventories/local", "playbooks/site.yml", "-e", f"platform_render_dir={render_dir}"
    )
    assert run.returncode == 0, run.output[-8000:]
    return run


def summary_lines(run: PlaybookRun) -> list[str]:
    for name in run.task_names():
        if name.endswith("Summary of the local run"):
            return run.task_results(name)["example"]["msg"]
    raise AssertionError("the local run printed no summary")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PlaybookRun, PlaybookRun]:
    render_dir = tmp_path_factory.mktemp("site") / "manifests"
    return render_dir, site(render_dir), site(render_dir)


def test_first_run_renders_and_loads(runs: tuple[Path, PlaybookRun, PlaybookRun]) -> None:
    render_dir, first, _ = runs
    assert first.stats["example"]["changed"] > 0
    files = sorted(path.name for path in (render_dir / "example").iterdir())
    kustomization = yaml.safe_load((render_dir / "example" / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [name for name in files if name != "kustomization.yaml"]
    # Every project of the local inventory gets its sync CronJob; Patroni renders beside them.
    for project in ("kubernetes", "prometheus", "calico"):
        assert f"devstats.cronjob.devstats-example.{project}-sync.yaml" in files
    assert any(name.startswith("patroni.statefulset.") for name in files)
    first_summary = summary_lines(first)[0]
    assert first_summary.startswith("Project kubernetes: ")
    assert "hours loaded now" in first_summary


def test_second_run_changes_nothing(runs: tuple[Path, PlaybookRun, PlaybookRun]) -> None:
    _, _, second = runs
    assert second.changed() == 0, second.changed_items()
    assert "already up to date" in summary_lines(second)[0]
