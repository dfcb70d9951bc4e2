"""`make site` on the local inventory, as a new user runs it: preflight, render, the local pipeline.

The site playbook runs twice against a private render directory: the first run renders and loads
hours, the second must report changed=0 everywhere and still print the summary.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageStat

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


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # Gives plotly's scripts time to draw before the DOM is dumped or the screenshot taken.
    "--virtual-time-budget=15000",
)


def chromium(page: Path, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Headless Chromium (Debian's package) with a fresh profile, offline flags only."""
    return subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def preview_page(run: PlaybookRun) -> Path:
    line = next(line for line in summary_lines(run) if line.startswith("Dashboards: open "))
    return Path(line.split()[2])


def test_the_summary_names_the_dashboard_preview(runs: tuple[Path, PlaybookRun, PlaybookRun]) -> None:
    render_dir, first, second = runs
    page = preview_page(first)
    assert (
        page
        == preview_page(second)
        == (render_dir.parent / "preview" / "example" / "kubernetes.html").resolve()
    )
    assert page.stat().st_size > 1_000_000, "plotly.js is inlined: the page needs no network"
    assert "<script src=" not in page.read_text()


def test_the_preview_opens_in_headless_chromium_and_draws_every_panel(
    runs: tuple[Path, PlaybookRun, PlaybookRun], tmp_path: Path
) -> None:

    render_dir, first, _ = runs
    page = preview_page(first)
    dashboards = [
        json.loads(text)
        for path in sorted(
            (render_dir / "example").glob("grafana.configmap.*.kubernetes-grafana-dashboards*.yaml")
        )
        for text in yaml.safe_load(path.read_text())["data"].values()
    ]
    panels = sum(len(d["panels"]) for d in dashboards)
    dom = chromium(page, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = dom.stdout[dom.stdout.index("<body") : dom.stdout.index(">", dom.stdout.index("<body"))]
    assert f'data-panels="{panels}"' in body and f'data-drawn="{panels}"' in body, body
    assert "data-errors" not in body, body
    shot = tmp_path / "preview.png"
    done = chromium(page, tmp_path / "profile-shot", "--window-size=1200,2000", f"--screenshot={shot}")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    image = Image.open(shot).convert("L")
    # Not blank: ink on most of the page's rows and a real spread of grey levels.
    assert ImageStat.Stat(image).stddev[0] > 20
    assert len(image.getcolors(maxcolors=65536) or range(65537)) > 50
