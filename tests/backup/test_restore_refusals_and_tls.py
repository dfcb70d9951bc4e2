"""playbooks/restore.yml refuses, before it touches any cluster, without the confirmation or with a bad
target (the example inventory's kubeconfig names no reachable cluster: any cluster call would fail);
the TLS files the role generates for the backups chain up to their CA and name the members."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from tests.support.ansible_playbook import run_playbook


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


def test_the_roles_tls_files_chain_up_and_name_the_members(tmp_path: Path) -> None:
    run = run_playbook(
        Path(__file__).parent / "playbooks" / "certificates.yml", "-e", f"certificates_dir={tmp_path}"
    )
    assert run.returncode == 0, run.output[-4000:]
    assert "PRIVATE KEY" not in run.output
    ca = tmp_path / "ca.crt"
    for side in ("server", "client"):
        verify = subprocess.run(
            ["openssl", "verify", "-CAfile", str(ca), str(tmp_path / f"{side}.crt")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
    server = x509.load_pem_x509_certificate((tmp_path / "server.crt").read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {
        *(f"devstats-postgres-{i}.devstats-postgres-members.devstats-cncf.svc" for i in range(3)),
        "*.devstats-postgres-members.devstats-cncf.svc",
    }
    client = x509.load_pem_x509_certificate((tmp_path / "client.crt").read_bytes())
    # The one identity the members' TLS servers admit (tls-server-auth).
    assert client.subject.rfc4514_string() == "CN=pgbackrest-backup"


def test_wrong_backup_settings_stop_the_role_naming_each(tmp_path: Path) -> None:
    run = run_playbook(
        "playbooks/patroni.yml",
        "-i",
        "inventories/local",
        "-e",
        f"platform_render_dir={tmp_path}",
        "-e",
        '{"patroni_backup_enabled": true, "patroni_backup_repo_type": "s3",'
        ' "patroni_backup_retention_diff": 0}',
    )
    assert run.returncode != 0
    assert "patroni_backup_s3_bucket: '' is not an S3 bucket name" in run.output, run.output[-3000:]
    assert "patroni_backup_retention_diff: 0 is not a whole number of 1 or more" in run.output
    assert not list(tmp_path.iterdir()), "files were written before the settings were checked"
