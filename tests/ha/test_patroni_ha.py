"""Patroni on a real kube-apiserver: election, failover without lost writes, switchover, restarts.

The tests share one cluster (session fixture `ha_cluster`) and run in file order; each leaves the
cluster healthy for the next.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import yaml

from tests.ha.conftest import FOUNDATION, INVENTORY_VARS, NAME, NAMESPACE, REPLICAS, HaCluster
from tests.support.patroni_members import Member

FAILOVER_LIMIT = 30.0


def connect(cluster: HaCluster, host: str, dbname: str = "postgres", user: str = "superuser") -> Any:
    return psycopg2.connect(
        host=host,
        port=5432,
        dbname=dbname,
        user=cluster.secret(f"{NAME}-{user}", "username"),
        password=cluster.secret(f"{NAME}-{user}", "password"),
        connect_timeout=3,
    )


def query(
    cluster: HaCluster, host: str, sql: str, dbname: str = "postgres", user: str = "superuser"
) -> list[Any]:
    conn = connect(cluster, host, dbname, user)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall()) if cur.description else []
    finally:
        conn.close()


def ip_of(cluster: HaCluster, name: str) -> str:
    return cluster.members[name].ip


def checksum(values: list[int]) -> str:
    return hashlib.md5(",".join(str(v) for v in sorted(values)).encode()).hexdigest()


class Writer(threading.Thread):
    """Inserts one row per transaction through the read-write Service's address, recording acks."""

    def __init__(self, cluster: HaCluster) -> None:
        super().__init__(daemon=True)
        self.cluster = cluster
        self.acknowledged: list[int] = []
        self.errors = 0
        self.halt = threading.Event()
        self.user = cluster.secret(f"{NAME}-superuser", "username")
        self.password = cluster.secret(f"{NAME}-superuser", "password")

    def run(self) -> None:
        value, conn = 0, None
        while not self.halt.is_set():
            try:
                if conn is None:
                    host = self.cluster.primary_ip()
                    if host is None:
                        time.sleep(0.2)
                        continue
                    conn = psycopg2.connect(
                        host=host,
                        port=5432,
                        dbname="postgres",
                        user=self.user,
                        password=self.password,
                        connect_timeout=2,
                        options="-c statement_timeout=10000",
                    )
                    conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO ha_writes (value) VALUES (%s)", (value + 1,))
                value += 1
                self.acknowledged.append(value)
            except (psycopg2.Error, AssertionError, OSError):
                self.errors += 1
                if conn is not None:
                    conn.close()
                conn = None
                value += 1  # an unacknowledged value is never reused
                time.sleep(0.1)
        if conn is not None:
            conn.close()


@contextmanager
def writing(cluster: HaCluster) -> Iterator[Writer]:
    writer = Writer(cluster)
    writer.start()
    try:
        yield writer
    finally:
        writer.halt.set()
        writer.join(30)


def assert_no_acknowledged_write_lost(cluster: HaCluster, leader: str, acknowledged: list[int]) -> None:
    rows = query(
        cluster,
        ip_of(cluster, leader),
        "SELECT value FROM ha_writes WHERE value = ANY(ARRAY[{}]::bigint[])".format(
            ",".join(map(str, acknowledged))
        ),
    )
    found = [r[0] for r in rows]
    assert len(found) == len(acknowledged), f"{len(acknowledged) - len(found)} acknowledged writes lost"
    assert checksum(found) == checksum(acknowledged)


def wait_for_rows(cluster: HaCluster, host: str, minimum: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query(cluster, host, "SELECT count(*) FROM ha_writes")[0][0] >= minimum:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {minimum} rows on {host} after {timeout} s")


def test_role_objects_applied_and_statefulset_created_pods(ha_cluster: HaCluster) -> None:
    assert ha_cluster.first_apply is not None
    assert "No member of devstats-hatest/devstats-postgres runs yet" in ha_cluster.first_apply.output
    statefulset = ha_cluster.get(f"/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets/{NAME}")
    assert statefulset["metadata"]["labels"]["app.kubernetes.io/part-of"] == FOUNDATION
    for index in range(REPLICAS):
        pod = ha_cluster.pod(f"{NAME}-{index}")
        assert pod["spec"]["serviceAccountName"] == NAME
    read_write = ha_cluster.get(f"/api/v1/namespaces/{NAMESPACE}/services/{NAME}")
    assert read_write["spec"]["selector"]["role"] == "primary"
    read_only = ha_cluster.get(f"/api/v1/namespaces/{NAMESPACE}/services/{NAME}-ro")
    assert read_only["spec"]["selector"]["role"] == "replica"
    ha_cluster.get(f"/apis/networking.k8s.io/v1/namespaces/{NAMESPACE}/networkpolicies/{NAME}")


def test_one_leader_and_two_streaming_replicas(ha_cluster: HaCluster) -> None:
    leader, view = ha_cluster.wait_healthy(timeout=120)
    assert len(view) == REPLICAS
    assert ha_cluster.pod(leader)["metadata"]["labels"]["role"] == "primary"
    for member in view:
        if member["name"] != leader:
            assert ha_cluster.pod(member["name"])["metadata"]["labels"]["role"] == "replica"
    assert ha_cluster.primary_ip() == ip_of(ha_cluster, leader)
    replication = query(
        ha_cluster, ip_of(ha_cluster, leader), "SELECT state, sync_state FROM pg_stat_replication"
    )
    assert sorted(r[0] for r in replication) == ["streaming", "streaming"]
    assert "sync" in {r[1] for r in replication}
    # The members work with the role's minimal RBAC rules: nothing was refused.
    for member in ha_cluster.members.values():
        assert "Permission denied" not in member.log.read_text(), member.tail()
    query(ha_cluster, ip_of(ha_cluster, leader), "SELECT 1")
    conn = connect(ha_cluster, ip_of(ha_cluster, leader))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE ha_writes (id bigserial PRIMARY KEY, value bigint NOT NULL UNIQUE)")
    conn.close()


def test_playbook_creates_users_and_databases(ha_cluster: HaCluster) -> None:
    output = ha_cluster.playbook().output
    leader, _ = ha_cluster.wait_healthy()
    host = ip_of(ha_cluster, leader)
    databases = {
        r[0]: r[1]
        for r in query(ha_cluster, host, "SELECT d.datname, pg_get_userbyid(d.datdba) FROM pg_database d")
    }
    app_user = ha_cluster.secret(f"{NAME}-app", "username")
    assert databases.get("demo_project") == app_user, output
    assert databases["gha_other"] == app_user
    assert query(ha_cluster, host, "SELECT extname FROM pg_extension WHERE extname = 'hll'", "demo_project")
    query(ha_cluster, host, "CREATE TABLE IF NOT EXISTS t (x int)", "demo_project", user="app")
    assert query(ha_cluster, host, "SELECT count(*) FROM t", "demo_project", user="readonly") == [(0,)]


def _set_parameters(ha_cluster: HaCluster, **changes: Any) -> None:
    host_vars = ha_cluster.inventory / "host_vars" / f"{FOUNDATION}.yml"
    data = yaml.safe_load(host_vars.read_text())
    data["patroni_postgresql_parameters"].update(changes)
    host_vars.write_text(yaml.safe_dump(data))


def _settings(ha_cluster: HaCluster, name: str) -> set[str]:
    return {query(ha_cluster, m.ip, f"SHOW {name}")[0][0] for m in ha_cluster.members.values()}


def test_parameter_change_through_patroni_restart_only_when_allowed_then_nothing_changes(
    ha_cluster: HaCluster,
) -> None:
    assert INVENTORY_VARS["patroni_postgresql_parameters"]["shared_buffers"] == "32MB"
    _set_parameters(ha_cluster, work_mem="8MB", shared_buffers="48MB")
    output = ha_cluster.playbook().output
    assert "needs a restart for: shared_buffers" in output
    assert "not restarted" in output
    assert _settings(ha_cluster, "work_mem") == {"8MB"}
    assert _settings(ha_cluster, "shared_buffers") == {"32MB"}

    leader_before, _ = ha_cluster.wait_healthy()
    run = ha_cluster.playbook("-e", "patroni_restart_allowed=true")
    assert _settings(ha_cluster, "shared_buffers") == {"48MB"}
    leader_after, view = ha_cluster.wait_healthy()
    assert leader_after == leader_before
    assert not any(m.get("pending_restart") for m in view)
    # The restarts went replicas first, the leader last.
    restarted = [name for name in run.task_names() if name.startswith("devstats.platform.patroni : Restart ")]
    assert restarted[-1] == f"devstats.platform.patroni : Restart {leader_before}", restarted
    assert ha_cluster.playbook().changed() == 0


def test_leader_killed_under_writes_new_leader_no_acknowledged_write_lost(ha_cluster: HaCluster) -> None:
    old_leader, _ = ha_cluster.wait_healthy()
    with writing(ha_cluster) as writer:
        wait_for_rows(ha_cluster, ip_of(ha_cluster, old_leader), 50)
        killed_at = time.monotonic()
        acked_before_kill = len(writer.acknowledged)
        ha_cluster.members[old_leader].kill()
        new_leader = None
        while time.monotonic() - killed_at < FAILOVER_LIMIT:
            new_leader = ha_cluster.leader()
            if new_leader and new_leader != old_leader:
                break
            time.sleep(0.2)
        failover_seconds = time.monotonic() - killed_at
        assert new_leader and new_leader != old_leader, (
            f"no new leader within {FAILOVER_LIMIT} s\n{ha_cluster.logs()}"
        )
        print(f"failover: new leader {new_leader} after {failover_seconds:.1f} s")
        # Writes go on through the read-write Service, now pointing at the new leader.
        deadline = time.monotonic() + 30
        while len(writer.acknowledged) < acked_before_kill + 50 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(writer.acknowledged) >= acked_before_kill + 50, "no writes accepted after the failover"
    assert ha_cluster.primary_ip() == ip_of(ha_cluster, new_leader)

    ha_cluster.members[old_leader].start()
    leader, view = ha_cluster.wait_healthy(timeout=120)
    assert leader == new_leader
    assert {m["name"]: m["role"] for m in view}[old_leader] != "leader"
    assert ha_cluster.pod(old_leader)["metadata"]["labels"]["role"] == "replica"
    assert_no_acknowledged_write_lost(ha_cluster, new_leader, writer.acknowledged)
    print(f"acknowledged writes: {len(writer.acknowledged)}, failed attempts: {writer.errors}")


def test_graceful_switchover(ha_cluster: HaCluster) -> None:
    old_leader, view = ha_cluster.wait_healthy()
    # In synchronous mode only the synchronous standby may take over without losing a commit.
    candidate = next(m["name"] for m in view if m["role"] == "sync_standby")
    request = urllib.request.Request(
        f"http://{ip_of(ha_cluster, old_leader)}:8008/switchover",
        data=json.dumps({"leader": old_leader, "candidate": candidate}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with writing(ha_cluster) as writer:
        wait_for_rows(ha_cluster, ip_of(ha_cluster, old_leader), 20)
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
        leader, _ = ha_cluster.wait_healthy()
        assert leader == candidate
        acked = len(writer.acknowledged)
        deadline = time.monotonic() + 30
        while len(writer.acknowledged) < acked + 20 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert ha_cluster.primary_ip() == ip_of(ha_cluster, candidate)
    assert ha_cluster.pod(candidate)["metadata"]["labels"]["role"] == "primary"
    assert_no_acknowledged_write_lost(ha_cluster, candidate, writer.acknowledged)


def test_restart_of_all_members(ha_cluster: HaCluster) -> None:
    leader, _ = ha_cluster.wait_healthy()
    before = query(ha_cluster, ip_of(ha_cluster, leader), "SELECT count(*), sum(value) FROM ha_writes")
    threads = [threading.Thread(target=Member.stop, args=(m,)) for m in ha_cluster.members.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not any(m.running() for m in ha_cluster.members.values())
    for member in ha_cluster.members.values():
        member.start()
    leader, _ = ha_cluster.wait_healthy(timeout=120)
    assert (
        query(ha_cluster, ip_of(ha_cluster, leader), "SELECT count(*), sum(value) FROM ha_writes") == before
    )
    assert ha_cluster.primary_ip() == ip_of(ha_cluster, leader)
