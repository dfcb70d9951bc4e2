"""The service's face as rendered: ingress controller and cert-manager charts, ClusterIssuers, one
Grafana per project with its data source, dashboards and TLS Ingress, the home page; hardened pods."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.ansible_playbook import REPO_ROOT, VERSIONS, render

INVENTORY = "multi_foundation_example"
# Grafana's provisioning formats (grafana.com/docs/grafana/latest/administration/provisioning/): the
# keys a data source entry, a dashboard provider and their files may have.
DATASOURCE_FILE_KEYS = {"apiVersion", "datasources", "deleteDatasources", "prune"}
DATASOURCE_KEYS = {
    "name", "type", "access", "orgId", "uid", "url", "user", "database", "basicAuth", "basicAuthUser",
    "withCredentials", "isDefault", "jsonData", "secureJsonData", "version", "editable",
}  # fmt: skip
POSTGRES_JSON_DATA_KEYS = {
    "database", "sslmode", "maxOpenConns", "maxIdleConns", "maxIdleConnsAuto", "connMaxLifetime",
    "postgresVersion", "timescaledb", "tlsAuth", "tlsAuthWithCACert", "tlsConfigurationMethod",
    "tlsSkipVerify",
}  # fmt: skip
PROVIDER_FILE_KEYS = {"apiVersion", "providers"}
PROVIDER_KEYS = {
    "name", "orgId", "folder", "folderUid", "type", "disableDeletion", "updateIntervalSeconds",
    "allowUiUpdates", "options",
}  # fmt: skip
SSL_MODES = {"disable", "require", "verify-ca", "verify-full"}


def objects(directory: Path) -> list[dict[str, Any]]:
    return [
        yaml.safe_load(path.read_text())
        for path in sorted(directory.glob("*.yaml"))
        if path.name != "kustomization.yaml"
    ]


def by(manifests: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)]


def inventory_foundations() -> dict[str, dict[str, Any]]:
    directory = REPO_ROOT / "inventories" / INVENTORY
    return {path.stem: yaml.safe_load(path.read_text()) for path in (directory / "host_vars").glob("*.yml")}


@pytest.fixture(scope="module")
def face(rendered: dict[str, Path]) -> Path:
    return rendered[INVENTORY]


def test_every_active_project_has_a_grafana_with_datasource_dashboards_and_tls(face: Path) -> None:
    for foundation, variables in inventory_foundations().items():
        manifests = objects(face / foundation)
        namespace = f"devstats-{foundation}"
        for project in variables["devstats_projects"]:
            name = f"{project['name']}-grafana"
            host = f"{project['name']}.{variables['devstats_domain']}"
            (deployment,) = by(manifests, "Deployment", name)
            (service,) = by(manifests, "Service", name)
            (ingress,) = by(manifests, "Ingress", name)
            (provisioning,) = by(manifests, "ConfigMap", f"{name}-provisioning")
            (dashboards,) = by(manifests, "ConfigMap", f"{name}-dashboards")
            assert deployment["metadata"]["namespace"] == namespace
            assert (
                deployment["spec"]["template"]["spec"]["containers"][0]["image"]
                == VERSIONS["versions_grafana_image"]
            )
            assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
            rule = ingress["spec"]["rules"][0]
            assert rule["host"] == host
            assert rule["http"]["paths"][0]["backend"]["service"] == {"name": name, "port": {"number": 3000}}
            assert ingress["spec"]["ingressClassName"] == "nginx"
            assert ingress["spec"]["tls"] == [{"hosts": [host], "secretName": f"{name}-tls"}]
            assert ingress["metadata"]["annotations"] == {
                "cert-manager.io/cluster-issuer": "letsencrypt-production"
            }
            (datasource,) = yaml.safe_load(provisioning["data"]["datasources.yaml"])["datasources"]
            assert datasource["jsonData"]["database"] == project.get("db", project["name"].replace("-", "_"))
            assert {f"{d}.json" for d in ("devstats-activity", "devstats-top-contributors")} <= set(
                dashboards["data"]
            )
            for text in dashboards["data"].values():
                assert json.loads(text)["panels"]


def test_provisioning_files_follow_grafanas_documented_formats(face: Path) -> None:
    manifests = objects(face / "cncf")
    (config,) = by(manifests, "ConfigMap", "kubernetes-grafana-provisioning")
    datasources = yaml.safe_load(config["data"]["datasources.yaml"])
    assert set(datasources) <= DATASOURCE_FILE_KEYS and datasources["apiVersion"] == 1
    (datasource,) = datasources["datasources"]
    assert set(datasource) <= DATASOURCE_KEYS
    assert set(datasource["jsonData"]) <= POSTGRES_JSON_DATA_KEYS
    assert datasource["jsonData"]["sslmode"] in SSL_MODES
    # DevStats dashboards name their data source psql; the credentials come from the environment.
    assert datasource["name"] == datasource["uid"] == "psql"
    assert datasource["type"] == "grafana-postgresql-datasource"
    assert datasource["url"] == "devstats-postgres:5432"
    assert datasource["user"] == "$DEVSTATS_DB_USER"
    assert datasource["secureJsonData"] == {"password": "$DEVSTATS_DB_PASSWORD"}
    providers = yaml.safe_load(config["data"]["dashboards.yaml"])
    assert set(providers) <= PROVIDER_FILE_KEYS and providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert set(provider) <= PROVIDER_KEYS and provider["type"] == "file"
    (deployment,) = by(manifests, "Deployment", "kubernetes-grafana")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert provider["options"]["path"] in mounts
    env = {e["name"]: e for e in container["env"]}
    assert env["DEVSTATS_DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "devstats-postgres-readonly",
        "key": "password",
    }
    assert env["GF_AUTH_ANONYMOUS_ENABLED"]["value"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"]["value"] == "Viewer"
    assert env["GF_USERS_ALLOW_SIGN_UP"]["value"] == "false"
    assert (
        env["GF_SECURITY_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "kubernetes-grafana-admin"
    )


def test_every_pod_is_hardened(face: Path) -> None:
    for foundation in inventory_foundations():
        for deployment in by(objects(face / foundation), "Deployment"):
            pod = deployment["spec"]["template"]["spec"]
            where = deployment["metadata"]["name"]
            assert pod["automountServiceAccountToken"] is False, where
            assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
            assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            for container in pod["containers"]:
                context = container["securityContext"]
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["allowPrivilegeEscalation"] is False and context["privileged"] is False
                assert context["capabilities"] == {"drop": ["ALL"]}
                assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
                assert container["readinessProbe"]["httpGet"] and container["livenessProbe"]["httpGet"]
                if container["name"] == "grafana":
                    assert container["readinessProbe"]["httpGet"]["path"] == "/api/health"


def test_the_home_page_lists_the_foundations_projects_on_its_domain(face: Path) -> None:
    manifests = objects(face / "graphql")
    (page,) = by(manifests, "ConfigMap", "devstats-home")
    for host in (
        "graphql.devstats.graphql.org",
        "graphql-js.devstats.graphql.org",
        "graphiql.devstats.graphql.org",
    ):
        assert f'href="https://{host}/"' in page["data"]["index.html"]
    (ingress,) = by(manifests, "Ingress", "devstats-home")
    assert ingress["spec"]["rules"][0]["host"] == "devstats.graphql.org"
    assert ingress["spec"]["tls"][0]["hosts"] == ["devstats.graphql.org"]
    (policy,) = by(manifests, "NetworkPolicy", "devstats-home-from-ingress")
    peer = policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert peer == {"kubernetes.io/metadata.name": "ingress-nginx"}


def test_devstats_network_policies_read_the_ingress_and_grafana_names(face: Path) -> None:
    (policy,) = by(objects(face / "cdf"), "NetworkPolicy", "grafana-from-ingress")
    (deployment, *_) = [
        d for d in by(objects(face / "cdf"), "Deployment") if d["metadata"]["name"].endswith("-grafana")
    ]
    rule = policy["spec"]["ingress"][0]
    assert rule["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "ingress-nginx"
    }
    assert rule["ports"] == [{"protocol": "TCP", "port": 3000}]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()


def test_cluster_issuers_and_charts(face: Path) -> None:
    cluster = objects(face / "cluster")
    issuers = {i["metadata"]["name"]: i["spec"] for i in by(cluster, "ClusterIssuer")}
    assert set(issuers) == {"letsencrypt-production", "letsencrypt-staging", "devstats-self-signed"}
    assert issuers["devstats-self-signed"] == {"selfSigned": {}}
    for name, server in (
        ("letsencrypt-production", "https://acme-v02.api.letsencrypt.org/directory"),
        ("letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"),
    ):
        acme = issuers[name]["acme"]
        assert acme["server"] == server
        assert acme["email"] == "devstats-admins@example.org"
        assert acme["privateKeySecretRef"] == {"name": f"{name}-account-key"}
        assert acme["solvers"] == [{"http01": {"ingress": {"ingressClassName": "nginx"}}}]
    charts = {
        path.parent.name: yaml.safe_load(path.read_text())["helmCharts"]
        for path in (face / "cluster" / "charts").glob("*/kustomization.yaml")
    }
    assert set(charts) == {"ingress-nginx", "cert-manager"}
    ((nginx,), (cert_manager,)) = charts["ingress-nginx"], charts["cert-manager"]
    assert nginx["version"] == VERSIONS["versions_ingress_nginx_chart"]
    assert (
        nginx["namespace"] == "ingress-nginx" and nginx["valuesInline"]["controller"]["kind"] == "DaemonSet"
    )
    assert cert_manager["version"] == VERSIONS["versions_cert_manager_chart"]
    assert cert_manager["valuesInline"]["crds"] == {"enabled": True, "keep": True}
    (namespace,) = by(cluster, "Namespace", "ingress-nginx")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_switching_to_traefik_is_one_variable_and_moves_every_ingress(tmp_path: Path) -> None:
    render(
        "local",
        tmp_path,
        "-e",
        "platform_ingress_controller=traefik",
        "-e",
        "devstats_certificate_issuer=staging",
    )
    manifests = objects(tmp_path / "example")
    ingresses = by(manifests, "Ingress")
    assert len(ingresses) == 4  # three projects and the home page
    for ingress in ingresses:
        assert ingress["spec"]["ingressClassName"] == "traefik"
        assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt-staging"}
    (policy,) = by(manifests, "NetworkPolicy", "grafana-from-ingress")
    assert policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "traefik"
    }
    cluster = objects(tmp_path / "cluster")
    for issuer in by(cluster, "ClusterIssuer"):
        if "acme" in issuer["spec"]:
            assert issuer["spec"]["acme"]["solvers"][0]["http01"]["ingress"]["ingressClassName"] == "traefik"
    assert by(cluster, "Namespace", "traefik") and not by(cluster, "Namespace", "ingress-nginx")
    (chart,) = yaml.safe_load(
        (tmp_path / "cluster" / "charts" / "traefik" / "kustomization.yaml").read_text()
    )["helmCharts"]
    assert (
        chart["version"] == VERSIONS["versions_traefik_chart"]
        and chart["repo"] == "https://traefik.github.io/charts"
    )
