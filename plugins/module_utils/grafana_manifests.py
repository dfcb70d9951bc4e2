# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The Kubernetes objects of a foundation's face: one Grafana per project and the foundation's home page.

Per project (disabled ones left out; archived ones keep their dashboards): a ConfigMap with Grafana's
provisioning files (the PostgreSQL data source named ``psql`` as DevStats dashboards expect it, and
the dashboard provider), ConfigMaps holding the dashboards (split to stay below Kubernetes' 1 MiB
object limit), a hardened Deployment of the official image, a Service, optionally a PVC for Grafana's
own state, and an Ingress for ``<project>.<domain>`` whose TLS certificate cert-manager requests from
the foundation's ClusterIssuer. Per foundation: a static home page (hardened unprivileged nginx)
listing the projects on ``<domain>``, and the NetworkPolicy that lets the ingress controller reach it.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from .grafana_dashboards import DashboardError, load_dashboard
from .pod_hardening import placement, restricted_pod_security

GRAFANA_PORT = 3000
HOME_PORT = 8080
GRAFANA_UID = 472
HOME_UID = 101
DATASOURCE_NAME = "psql"
DATASOURCE_TYPE = "grafana-postgresql-datasource"
PROVISIONING_DIR = "/etc/grafana/provisioning"
DASHBOARDS_DIR = "/var/lib/grafana-dashboards"
# Kubernetes refuses objects above 1 MiB; a ConfigMap of dashboards stays well below.
CONFIG_MAP_BUDGET = 900 * 1024


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _restricted_container(container: dict[str, Any]) -> dict[str, Any]:
    container["securityContext"] = {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    return container


def datasource_file(settings: Mapping[str, Any], database: str) -> dict[str, Any]:
    """Grafana's data source provisioning file: the project's database as the read-only user.

    The user and password come from environment variables that the Deployment fills from the patroni
    role's read-only Secret, so the ConfigMap holds no secret."""
    return {
        "apiVersion": 1,
        "prune": True,
        "datasources": [
            {
                "name": DATASOURCE_NAME,
                "uid": DATASOURCE_NAME,
                "type": DATASOURCE_TYPE,
                "access": "proxy",
                "orgId": 1,
                "url": f"{settings['database_host']}:{settings['database_port']}",
                "user": "$DEVSTATS_DB_USER",
                "isDefault": True,
                "editable": False,
                "jsonData": {
                    "database": database,
                    "sslmode": settings["sslmode"],
                    "postgresVersion": settings["postgres_version"],
                    "timescaledb": False,
                    "maxOpenConns": 10,
                    "maxIdleConns": 2,
                    "connMaxLifetime": 14400,
                },
                "secureJsonData": {"password": "$DEVSTATS_DB_PASSWORD"},
                "version": 1,
            }
        ],
    }


def dashboards_provider_file(folder: str) -> dict[str, Any]:
    """Grafana's dashboard provider file: the mounted dashboards, read-only in the UI."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "devstats",
                "orgId": 1,
                "folder": folder,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                "options": {"path": DASHBOARDS_DIR, "foldersFromFilesStructure": False},
            }
        ],
    }


def _chunks(files: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """Dashboard files packed into ConfigMap-sized groups, in order."""
    groups: list[dict[str, str]] = [{}]
    size = 0
    for name, content in files:
        if groups[-1] and size + len(content.encode()) > CONFIG_MAP_BUDGET:
            groups.append({})
            size = 0
        groups[-1][name] = content
        size += len(content.encode())
    return groups


def _labels(settings: Mapping[str, Any], component: str, instance: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": settings["pod_labels"]["app.kubernetes.io/name"],
        "app.kubernetes.io/part-of": settings["foundation"],
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/instance": instance,
    }


def _ingress(settings: Mapping[str, Any], name: str, labels: dict, host: str, port: int) -> dict:
    """An Ingress of `host` to the Service `name`, with a certificate from the foundation's issuer."""
    namespace, service = settings["namespace"], name
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {"cert-manager.io/cluster-issuer": settings["cluster_issuer"]},
        },
        "spec": {
            "ingressClassName": settings["ingress_class"],
            "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": service, "port": {"number": port}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def _service(name: str, namespace: str, labels: dict, selector: dict, port: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _grafana_env(settings: Mapping[str, Any], project: Mapping[str, Any], host: str) -> list[dict[str, Any]]:
    def secret(variable: str, name: str, key: str) -> dict[str, Any]:
        return {"name": variable, "valueFrom": {"secretKeyRef": {"name": name, "key": key}}}

    plain = {
        "GF_SERVER_DOMAIN": host,
        "GF_SERVER_ROOT_URL": f"https://{host}/",
        "GF_SERVER_HTTP_PORT": str(GRAFANA_PORT),
        "GF_PATHS_DATA": "/var/lib/grafana",
        "GF_PATHS_PROVISIONING": PROVISIONING_DIR,
        # As on the public DevStats sites: anyone may look, nobody signs up, only the admin edits.
        "GF_AUTH_ANONYMOUS_ENABLED": "true" if settings["anonymous"] else "false",
        "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
        "GF_USERS_ALLOW_SIGN_UP": "false",
        "GF_USERS_ALLOW_ORG_CREATE": "false",
        "GF_SECURITY_DISABLE_GRAVATAR": "true",
        "GF_SECURITY_COOKIE_SECURE": "true",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
        "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH": f"{DASHBOARDS_DIR}/{settings['home_dashboard']}",
        "GF_INSTANCE_NAME": f"{project['title']} DevStats",
    }
    return [
        *({"name": key, "value": value} for key, value in plain.items()),
        secret(
            "GF_SECURITY_ADMIN_USER", settings["admin_secret"].format(project=project["name"]), "username"
        ),
        secret(
            "GF_SECURITY_ADMIN_PASSWORD", settings["admin_secret"].format(project=project["name"]), "password"
        ),
        secret("DEVSTATS_DB_USER", settings["database_secret"], "username"),
        secret("DEVSTATS_DB_PASSWORD", settings["database_secret"], "password"),
    ]


def _grafana_deployment(
    settings: Mapping[str, Any], project: Mapping[str, Any], host: str, config_maps: list[str], checksum: str
) -> dict[str, Any]:
    name = f"{project['name']}-grafana"
    labels = _labels(settings, "dashboards", project["name"])
    selector = {key: labels[key] for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}
    state = (
        {"name": "state", "persistentVolumeClaim": {"claimName": name}}
        if settings["persistence_size"]
        else {"name": "state", "emptyDir": {}}
    )
    container = _restricted_container(
        {
            "name": "grafana",
            "image": settings["image"],
            "imagePullPolicy": settings["image_pull_policy"],
            "ports": [{"name": "http", "containerPort": GRAFANA_PORT, "protocol": "TCP"}],
            "env": _grafana_env(settings, project, host),
            "readinessProbe": {
                "httpGet": {"path": "/api/health", "port": "http"},
                "periodSeconds": 10,
                "timeoutSeconds": 3,
            },
            "livenessProbe": {
                "httpGet": {"path": "/api/health", "port": "http"},
                "initialDelaySeconds": 60,
                "periodSeconds": 20,
                "timeoutSeconds": 3,
                "failureThreshold": 6,
            },
            "resources": settings["resources"],
            "volumeMounts": [
                {"name": "state", "mountPath": "/var/lib/grafana"},
                {"name": "tmp", "mountPath": "/tmp"},
                {
                    "name": "provisioning",
                    "mountPath": f"{PROVISIONING_DIR}/datasources",
                    "subPath": "datasources",
                },
                {
                    "name": "provisioning",
                    "mountPath": f"{PROVISIONING_DIR}/dashboards",
                    "subPath": "dashboards",
                },
                {"name": "dashboards", "mountPath": DASHBOARDS_DIR, "readOnly": True},
            ],
        }
    )
    provisioning_items = [
        {"key": "datasources.yaml", "path": "datasources/datasources.yaml"},
        {"key": "dashboards.yaml", "path": "dashboards/dashboards.yaml"},
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": settings["namespace"], "labels": labels},
        "spec": {
            "replicas": 1,
            # One Grafana owns its state volume; the new pod starts when the old one is gone.
            "strategy": {"type": "Recreate"} if settings["persistence_size"] else {"type": "RollingUpdate"},
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": labels,
                    # The data source is read at start only: a changed file restarts Grafana.
                    "annotations": {"devstats.platform/provisioning-sha256": checksum},
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {**restricted_pod_security(GRAFANA_UID), "runAsGroup": 0},
                    "containers": [container],
                    "volumes": [
                        state,
                        {"name": "tmp", "emptyDir": {}},
                        {
                            "name": "provisioning",
                            "configMap": {"name": f"{name}-provisioning", "items": provisioning_items},
                        },
                        {
                            "name": "dashboards",
                            "projected": {"sources": [{"configMap": {"name": cm}} for cm in config_maps]},
                        },
                    ],
                    **placement(settings["node_selector"], settings["tolerations"]),
                },
            },
        },
    }


def project_objects(
    settings: Mapping[str, Any], project: Mapping[str, Any], dashboards: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Every object of one project's Grafana; `dashboards` are (file name, JSON text) pairs."""
    name = f"{project['name']}-grafana"
    namespace = settings["namespace"]
    host = project["host"]
    labels = _labels(settings, "dashboards", project["name"])
    selector = {key: labels[key] for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}
    provisioning = {
        "datasources.yaml": yaml_text(datasource_file(settings, project["db"])),
        "dashboards.yaml": yaml_text(dashboards_provider_file(settings["folder"])),
    }
    chunks = _chunks(sorted(dashboards))
    config_maps = [f"{name}-dashboards" + (f"-{i}" if i else "") for i in range(len(chunks))]
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{name}-provisioning", "namespace": namespace, "labels": labels},
            "data": provisioning,
        },
        *(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": cm, "namespace": namespace, "labels": labels},
                "data": chunk,
            }
            for cm, chunk in zip(config_maps, chunks, strict=True)
        ),
    ]
    if settings["persistence_size"]:
        claim = {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": settings["persistence_size"]}},
        }
        if settings["storage_class"]:
            claim["storageClassName"] = settings["storage_class"]
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": claim,
            }
        )
    checksum = _sha(json.dumps(provisioning, sort_keys=True))
    objects += [
        _grafana_deployment(settings, project, host, config_maps, checksum),
        _service(name, namespace, labels, selector, GRAFANA_PORT),
        _ingress(settings, name, labels, host, GRAFANA_PORT),
    ]
    return objects


def home_page(foundation: Mapping[str, Any], title: str) -> str:
    """The foundation's home page: its projects, each a link to its dashboards."""
    items = "\n".join(
        f'      <li><a href="https://{html.escape(p["host"])}/">{html.escape(p["title"])}</a>'
        + (" (archived)" if p.get("archived") else "")
        + "</li>"
        for p in foundation["projects"]
        if not p.get("disabled")
    )
    heading = html.escape(title)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8">\n'
        f"    <title>{heading}</title>\n"
        '    <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "    <style>body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}"
        "li{margin:.4em 0}</style>\n  </head>\n  <body>\n"
        f"    <h1>{heading}</h1>\n    <p>Community activity dashboards of each project:</p>\n"
        f"    <ul>\n{items}\n    </ul>\n  </body>\n</html>\n"
    )


_NGINX_CONF = """worker_processes 1;
pid /tmp/nginx.pid;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  client_body_temp_path /tmp/client_body;
  proxy_temp_path /tmp/proxy;
  fastcgi_temp_path /tmp/fastcgi;
  uwsgi_temp_path /tmp/uwsgi;
  scgi_temp_path /tmp/scgi;
  server_tokens off;
  access_log /dev/stdout;
  error_log /dev/stderr warn;
  server {
    listen 8080;
    root /usr/share/nginx/html;
    location = /healthz { access_log off; return 200 "ok\\n"; }
    location / { try_files $uri /index.html; }
  }
}
"""


def home_objects(settings: Mapping[str, Any], foundation: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The foundation's home page on <domain>: ConfigMap, Deployment, Service, Ingress, NetworkPolicy."""
    name = "devstats-home"
    namespace = settings["namespace"]
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": settings["foundation"],
        "app.kubernetes.io/component": "home-page",
    }
    selector = {"app.kubernetes.io/name": name}
    page = home_page(foundation, settings["home_title"])
    data = {"index.html": page, "nginx.conf": _NGINX_CONF}
    container = _restricted_container(
        {
            "name": "nginx",
            "image": settings["home_image"],
            "imagePullPolicy": settings["image_pull_policy"],
            "ports": [{"name": "http", "containerPort": HOME_PORT, "protocol": "TCP"}],
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 20},
            "resources": settings["home_resources"],
            "volumeMounts": [
                {"name": "tmp", "mountPath": "/tmp"},
                {"name": "site", "mountPath": "/usr/share/nginx/html/index.html", "subPath": "index.html"},
                {"name": "site", "mountPath": "/etc/nginx/nginx.conf", "subPath": "nginx.conf"},
            ],
        }
    )
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {"devstats.platform/site-sha256": _sha(page + _NGINX_CONF)},
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(HOME_UID),
                    "containers": [container],
                    "volumes": [
                        {"name": "tmp", "emptyDir": {}},
                        {"name": "site", "configMap": {"name": name}},
                    ],
                    **placement(settings["node_selector"], settings["tolerations"]),
                },
            },
        },
    }
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"{name}-from-ingress", "namespace": namespace, "labels": labels},
        "spec": {
            "podSelector": {"matchLabels": selector},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": settings["ingress_namespace"]}
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": HOME_PORT}],
                }
            ],
        },
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "data": data,
        },
        deployment,
        _service(name, namespace, labels, selector, HOME_PORT),
        _ingress(settings, name, labels, foundation["domain"], HOME_PORT),
        policy,
    ]


def yaml_text(document: Any) -> str:
    """A provisioning file's text: JSON, which is YAML too, with a stable key order."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def own_dashboards(directory: str, project: str) -> list[tuple[str, str]] | None:
    """The JSON files of `<directory>/<project>/`, each checked to be a dashboard and kept unchanged;
    None when the foundation keeps no dashboards for this project."""
    folder = os.path.join(directory, project)
    if not os.path.isdir(directory):
        raise DashboardError(f"devstats_dashboards_dir {directory}: not a directory")
    if not os.path.isdir(folder):
        return None
    files = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(folder, name)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        load_dashboard(text, path)
        files.append((name, text))
    if not files:
        raise DashboardError(f"{folder}: no dashboard (*.json) in the project's directory")
    return files


def foundation_objects(
    foundation: Mapping[str, Any], settings: Mapping[str, Any], default_dashboards: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Every Grafana and the home page of a foundation (preflight's model of it)."""
    objects = home_objects(settings, foundation)
    for project in foundation["projects"]:
        if project.get("disabled"):
            continue
        dashboards = None
        if foundation.get("dashboards_dir"):
            dashboards = own_dashboards(foundation["dashboards_dir"], project["name"])
        objects += project_objects(settings, project, dashboards or default_dashboards)
    return objects
