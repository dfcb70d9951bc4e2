"""The backup tier's servers: a PostgreSQL member with the pgBackRest TLS server beside it, configured by
what the patroni role renders, and the backup jobs' commands run as its CronJobs would run them.

The role's rendered pgbackrest.conf files (member and job), the archive_command it puts into Patroni's
configuration and the CronJobs' commands are used as they are; only what a Pod would mount is mapped
onto local directories (data directory, socket, TLS files, repository, lock path) and the members'
DNS names onto localhost, as the HA tier's members map their volumes.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import yaml
from devstats_sync.embedded_postgres import PG_BIN_DIR, EmbeddedPostgres

from tests.support.ansible_playbook import run_playbook
from tests.support.kube_apiserver import free_port
from tests.support.moto_server import MotoServer, running_moto_server
from tests.support.tls_certificates import CertificateAuthority

NAMESPACE = "devstats-example"
NAME = "devstats-postgres"
MEMBER_HOST = f"{NAME}-0.{NAME}-members.{NAMESPACE}.svc"
BUCKET = "devstats-backups"
PASSPHRASE = "test-cipher-passphrase-not-secret"
S3_KEYS = {"PGBACKREST_REPO1_S3_KEY": "testing", "PGBACKREST_REPO1_S3_KEY_SECRET": "testing"}
# What the members and jobs mount, and where (the role's module_utils constants).
DATA_DIR = "/home/postgres/pgdata/pgroot/data"
SOCKET_DIR = "/var/run/postgresql"
CONFIG_DIR = "/etc/pgbackrest"
TLS_DIR = "/etc/pgbackrest-tls"
POSIX_REPO = "/var/lib/pgbackrest"
LOCK_DIR = "/tmp/pgbackrest"
RENDER_VARS: dict[str, Any] = {
    "platform_target": "none",
    "patroni_replicas": 1,
    "patroni_backup_enabled": True,
    "patroni_backup_dump_enabled": True,
    "patroni_backup_dump_retention": 2,
    "patroni_backup_retention_full": 2,
}


def _postgres() -> pwd.struct_passwd | None:
    return pwd.getpwnam("postgres") if os.geteuid() == 0 else None


def own(*paths: Path) -> None:
    """Hands paths to the user PostgreSQL and pgBackRest run as (the members' user in a Pod)."""
    user = _postgres()
    if user is not None:
        for path in paths:
            os.chown(path, user.pw_uid, user.pw_gid)


def render_patroni(directory: Path, extra_vars: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The patroni role's objects for the local inventory with backups on, by (kind, name)."""
    variables = directory / "vars.yml"
    variables.write_text(yaml.safe_dump({**RENDER_VARS, **extra_vars}))
    run = run_playbook(
        "playbooks/patroni.yml",
        "-i",
        "inventories/local",
        "-e",
        f"platform_render_dir={directory}",
        "-e",
        f"@{variables}",
    )
    assert run.returncode == 0, run.output[-6000:]
    objects = [yaml.safe_load(p.read_text()) for p in sorted((directory / "example").glob("patroni.*.yaml"))]
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


@dataclass
class Rendered:
    """What the role rendered for one repository type."""

    repo_type: str
    objects: dict[tuple[str, str], dict[str, Any]]

    def config(self, which: str) -> str:
        return str(self.objects[("ConfigMap", f"{NAME}-backup-{which}")]["data"]["pgbackrest.conf"])

    def cron_command(self, name: str) -> list[str]:
        """The command of a CronJob's last container (its init containers create the stanza)."""
        pod = self.objects[("CronJob", name)]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return list(pod["containers"][-1]["command"])

    def init_command(self, name: str) -> list[str]:
        pod = self.objects[("CronJob", name)]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return list(pod["initContainers"][0]["command"])

    def postgresql_parameters(self) -> dict[str, Any]:
        settings = yaml.safe_load(self.objects[("ConfigMap", f"{NAME}-settings")]["data"]["patroni.yml"])
        return dict(settings["bootstrap"]["dcs"]["postgresql"]["parameters"])


@dataclass
class BackupSite:
    """One member (PostgreSQL + pgBackRest TLS server) and the backup jobs' side, on 127.0.0.1."""

    rendered: Rendered
    root: Path
    env: dict[str, str]
    pg: EmbeddedPostgres = field(init=False)
    tls_port: int = field(init=False)
    mapping: dict[str, str] = field(init=False)
    server: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def local(self, text: str) -> str:
        """A rendered text with the Pod's paths, names and ports replaced by this site's."""
        for container_path in sorted(self.mapping, key=len, reverse=True):
            text = text.replace(container_path, self.mapping[container_path])
        return text

    def local_argv(self, argv: list[str]) -> list[str]:
        return [self.local(arg) for arg in argv]

    def run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        """A command as the jobs and members run it: the members' user, the Secrets' environment."""
        user = _postgres()
        done = subprocess.run(
            self.local_argv(argv),
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
        if check:
            assert done.returncode == 0, (
                f"{argv}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}\n"
                f"PostgreSQL's log:\n{self.server_log()}"
            )
        return done

    def server_log(self) -> str:
        logs = sorted(self.root.glob("*/server.log")) + sorted(self.root.glob("restored.log"))
        return "\n".join(log.read_text(errors="replace")[-2000:] for log in logs)

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = psycopg2.connect(self.pg.dsn())
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(query, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def pg_ctl(self, *args: str) -> None:
        self.run([str(PG_BIN_DIR / "pg_ctl"), *args, "-D", str(self.pg.data_dir)])

    def start_server(self) -> None:
        user = _postgres()
        log = (self.root / "pgbackrest-server.log").open("ab")
        self.server = subprocess.Popen(
            self.local_argv(["pgbackrest", f"--config={CONFIG_DIR}/pgbackrest.conf", "server"]),
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(10)
        self.pg.stop()


def _write_site_files(site: BackupSite, ca: CertificateAuthority) -> None:
    """The files a member and a job Pod get from their volumes: configuration and TLS Secret items."""
    member_dir = site.root / "member-config"
    job_dir = site.root / "job-config"
    for directory in (member_dir, job_dir, site.root / "repo", site.root / "lock"):
        directory.mkdir()
    (member_dir / "pgbackrest.conf").write_text(site.local(site.rendered.config("member")))
    # The jobs read their configuration at the same path as the members; here it lives apart.
    (job_dir / "pgbackrest.conf").write_text(site.local(site.rendered.config("job")))
    server = ca.issue("server", f"{NAME}-members", (MEMBER_HOST, "localhost"))
    client = ca.issue("client", "pgbackrest-backup", client=True)
    # As a Secret volume with fsGroup: root's files, readable by the members' group only.
    for path in (ca.ca_file, server.cert, server.key, client.cert, client.key):
        path.chmod(0o440)
        user = _postgres()
        if user is not None:
            os.chown(path, 0, user.pw_gid)
    own(site.root, member_dir, job_dir, site.root / "repo", site.root / "lock", ca.directory)


def job_argv(site: BackupSite, argv: list[str]) -> list[str]:
    """A job's command reading the job configuration (the same path in its Pod as a member's)."""
    return [
        a.replace(f"{CONFIG_DIR}/pgbackrest.conf", str(site.root / "job-config" / "pgbackrest.conf"))
        for a in argv
    ]


@pytest.fixture(scope="session")
def backup_root() -> Iterator[Path]:
    # The servers run as the postgres user: their directories live where that user can reach them.
    root = Path(tempfile.mkdtemp(prefix="devstats-backup-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def authority(backup_root: Path) -> CertificateAuthority:
    return CertificateAuthority(backup_root / "ca")


@pytest.fixture(scope="session")
def moto(backup_root: Path, authority: CertificateAuthority) -> Iterator[MotoServer]:
    """The S3 emulator over TLS (pgBackRest speaks only HTTPS to S3), with the bucket created."""
    tls = authority.issue("moto", "localhost", ("localhost",))
    with running_moto_server(backup_root / "moto", tls.cert, tls.key) as server:
        s3_client(server, authority).create_bucket(Bucket=BUCKET)
        yield server


def s3_client(server: MotoServer, authority: CertificateAuthority) -> Any:
    return server.client("s3", region_name="us-east-1", verify=str(authority.ca_file))


@pytest.fixture(scope="session")
def rendered_posix(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return Rendered("posix", render_patroni(tmp_path_factory.mktemp("render-posix"), {}))


@pytest.fixture(scope="session")
def rendered_s3(tmp_path_factory: pytest.TempPathFactory, moto: MotoServer) -> Rendered:
    s3 = {
        "patroni_backup_repo_type": "s3",
        "patroni_backup_s3_bucket": BUCKET,
        "patroni_backup_s3_endpoint": moto.host,
        "patroni_backup_s3_port": moto.port,
        "patroni_backup_s3_uri_style": "path",
    }
    return Rendered("s3", render_patroni(tmp_path_factory.mktemp("render-s3"), s3))


@pytest.fixture(params=["posix", "s3"])
def site(
    request: pytest.FixtureRequest,
    backup_root: Path,
    authority: CertificateAuthority,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[BackupSite]:
    """A member whose PostgreSQL archives WAL with the role's archive_command, its TLS server running."""
    rendered: Rendered = request.getfixturevalue(f"rendered_{request.param}")
    root = Path(tempfile.mkdtemp(prefix=f"site-{request.param}-", dir=backup_root))
    own(root)
    env = {"PGBACKREST_REPO1_CIPHER_PASS": PASSPHRASE}
    if request.param == "s3":
        # The store's certificate authority is public, as in a Pod's trust store.
        store_ca = root / "store-ca.crt"
        shutil.copyfile(authority.ca_file, store_ca)
        store_ca.chmod(0o644)
        env |= S3_KEYS | {"PGBACKREST_REPO1_STORAGE_CA_FILE": str(store_ca)}
    site = BackupSite(rendered, root, env)

    site.tls_port = free_port()
    site.mapping = {
        DATA_DIR: "",
        SOCKET_DIR: "",
        TLS_DIR: str(authority.directory),
        f"{CONFIG_DIR}/": str(root / "member-config") + "/",
        POSIX_REPO: str(root / "repo"),
        LOCK_DIR: str(root / "lock"),
        MEMBER_HOST: "localhost",
        "tls-server-address=*": "tls-server-address=127.0.0.1",
        "port=8432": f"port={site.tls_port}",
        # Each test's S3 repository under a path of its own, so tests do not share a stanza.
        f"repo1-path=/example/{NAME}": f"repo1-path=/{root.name}/{NAME}",
    }
    # archive_command runs in PostgreSQL's environment, as in the Patroni container.
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    parameters = {k: str(v) for k, v in rendered.postgresql_parameters().items() if k.startswith("archive")}
    site.pg = EmbeddedPostgres(
        settings={
            "wal_level": "replica",
            "max_wal_senders": "3",
            "full_page_writes": "on",
            **{k: site.local(v) for k, v in parameters.items() if k != "archive_command"},
            "archive_command": "",
        },
        base_dir=str(root),
    )
    try:
        site.pg.start()
        site.mapping[DATA_DIR] = str(site.pg.data_dir)
        site.mapping[SOCKET_DIR] = str(site.pg.socket_dir)
        site.mapping["pg1-port=5432"] = f"pg1-port={site.pg.port}"
        _write_site_files(site, authority)
        # The role's archive_command, now that the member's configuration file exists.
        command = site.local(str(parameters["archive_command"]))
        site.sql("alter system set archive_command = %s", (command,))
        site.sql("select pg_reload_conf()")
        site.start_server()
        yield site
    finally:
        site.stop()
        shutil.rmtree(root, ignore_errors=True)
