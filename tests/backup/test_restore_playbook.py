"""playbooks/restore.yml refuses, before it touches any cluster, without the confirmation or with a bad
target (the example inventory's kubeconfig names no reachable cluster: any cluster call would fail)."""

from __future__ import annotations

import pytest

from tests.manifests.playbook_runs import run_playbook


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"restore_target": "latest"}, "patroni_backup_restore_confirm=cncf (the foundation's name)"),
        (
            {"restore_target": "yesterday", "restore_confirm": "cncf"},
            "'yesterday' is not a restore target; expected 'latest' or a time with its offset",
        ),
    ],
)
def test_restore_refuses_before_anything_changes(extra: dict[str, str], expected: str) -> None:
    args = [arg for key, value in extra.items() for arg in ("-e", f"{key}={value}")]
    run = run_playbook(
        "playbooks/restore.yml", "-i", "inventories/multi_foundation_example", "-l", "localhost:cncf", *args
    )
    assert run.returncode != 0
    assert expected in run.output, run.output[-4000:]
    assert run.changed() == 0
