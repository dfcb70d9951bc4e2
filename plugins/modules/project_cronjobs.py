#!/usr/bin/python
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Ansible module devstats.platform.project_cronjobs: renders a foundation's per-project objects."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: project_cronjobs
short_description: Render the per-project Kubernetes objects of a DevStats foundation
version_added: "0.1.0"
description:
  - Builds, for each project of one foundation, a PersistentVolumeClaim for git clones, a provisioning
    Job, a sync CronJob and an affiliations CronJob, and returns them as manifests with a schedule table.
  - Pure rendering. The module never talks to a cluster; hand its O(resources) to the k8s_objects role
    (or M(kubernetes.core.k8s)) to render or apply them. It always reports C(changed=false).
  - Each project's generated schedule is a hash of its own name spread over the interval, so adding or
    removing a project never moves another one. A project's C(schedule) overrides it.
  - Archived projects get no sync CronJob; disabled projects get nothing.
  - Every value Kubernetes would reject (names and their length limits, cron expressions, time zones,
    resource quantities) fails the task with the foundation, the project and the field named.
  - Pods run as non-root with a read-only root filesystem (an emptyDir serves as scratch), no
    privilege escalation, all capabilities dropped, seccomp RuntimeDefault and no service-account token.
  - Secrets are referenced by name only; the module never sees a secret value.
author:
  - devstats.platform developers (@devstats)
options:
  foundation:
    description:
      - The foundation's name, a DNS-1123 label of at most 30 characters.
      - Label C(app.kubernetes.io/part-of) of every object.
    type: str
    required: true
  namespace:
    description: Namespace of the objects. Defaults to C(devstats-<foundation>).
    type: str
  projects:
    description:
      - The foundation's projects as the inventory lists them (C(devstats_projects)).
      - Read here are C(name) (DNS-1123 label, at most 39 characters), C(schedule), C(timezone),
        C(disk_size), C(resources), C(archived) and C(disabled); other fields are left to the
        projects config and ignored.
    type: list
    elements: dict
    required: true
  image:
    description: The sync tool's image.
    type: str
    required: true
  image_pull_policy:
    description: Pull policy of every container.
    type: str
    choices: [Always, IfNotPresent, Never]
    default: IfNotPresent
  config_map:
    description: Name of the ConfigMap holding C(projects.yaml), mounted at C(/etc/devstats).
    type: str
    default: devstats-projects
  database_secret:
    description:
      - Name of the Secret with the database credentials, keys C(username) and C(password)
        (a C(kubernetes.io/basic-auth) Secret such as the patroni role's application-user Secret).
      - They reach the containers as C(PGUSER) and C(PGPASSWORD).
    type: str
    default: devstats-postgres-app
  github_secret:
    description:
      - Name of the Secret with the GitHub tokens, key C(tokens) (comma-separated), as C(GITHUB_TOKENS).
      - Optional at run time; without it the sync tool skips the GitHub API step.
    type: str
    default: devstats-github
  database_host:
    description: PostgreSQL host the sync tool connects to (C(PGHOST)).
    type: str
    default: devstats-postgres
  database_port:
    description: PostgreSQL port (C(PGPORT)).
    type: int
    default: 5432
  sync_interval:
    description:
      - How often each project syncs; generated sync schedules are spread over it.
      - Minutes dividing an hour (C(15m), C(30m)), hours dividing a day (C(1h), C(2h), C(6h)), C(1d) or C(7d).
    type: str
    default: 1h
  affiliations_interval:
    description: How often each project's affiliations are refreshed; same forms as O(sync_interval).
    type: str
    default: 1d
  time_zone:
    description: IANA time zone of the generated schedules and of overrides without their own C(timezone).
    type: str
    default: Etc/UTC
  resources:
    description: Default container resources (C(requests), C(limits)); a project's C(resources) replaces them.
    type: dict
    default:
      requests:
        cpu: 250m
        memory: 512Mi
      limits:
        memory: 2Gi
  volume_size:
    description: Size of each project's git-clone volume unless the project sets C(disk_size).
    type: str
    default: 10Gi
  storage_class:
    description: StorageClass of the git-clone volumes; omitted means the cluster's default class.
    type: str
  scratch_size:
    description: Size limit of the emptyDir mounted at C(/tmp).
    type: str
    default: 2Gi
  node_selector:
    description: Node selector of every pod.
    type: dict
    default: {}
  tolerations:
    description: Tolerations of every pod.
    type: list
    elements: dict
    default: []
  run_as_user:
    description: UID (and GID, fsGroup) the pods run as; must not be 0.
    type: int
    default: 10001
  starting_deadline_seconds:
    description: How late a CronJob may still start a missed run.
    type: int
    default: 600
  successful_jobs_history_limit:
    description: Finished Jobs each CronJob keeps.
    type: int
    default: 3
  failed_jobs_history_limit:
    description: Failed Jobs each CronJob keeps.
    type: int
    default: 3
  backoff_limit:
    description: Retries of each Job.
    type: int
    default: 2
  sync_active_deadline_seconds:
    description: Longest a sync Job may run.
    type: int
    default: 10800
  affiliations_active_deadline_seconds:
    description: Longest an affiliations Job may run.
    type: int
    default: 7200
  provision_active_deadline_seconds:
    description: Longest a provisioning Job may run (a full history takes days for large projects).
    type: int
    default: 604800
  ttl_seconds_after_finished:
    description: Finished Jobs are deleted after this many seconds.
    type: int
    default: 86400
attributes:
  check_mode:
    support: full
    description: The module only renders; check mode returns the same result.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  platform:
    support: full
    platforms: all
    description: Runs anywhere Python runs; it needs no cluster access.
notes:
  - The provisioning Job is idempotent work (the sync tool resumes where it stopped), so a Job
    re-created after O(ttl_seconds_after_finished) only checks and exits.
seealso:
  - module: kubernetes.core.k8s
"""

EXAMPLES = r"""
- name: Render the per-project objects of the foundation
  devstats.platform.project_cronjobs:
    foundation: cncf
    projects:
      - name: kubernetes
        orgs: [kubernetes]
        start_date: "2014-06-01"
      - name: prometheus
        orgs: [prometheus]
        start_date: "2015-01-01"
        schedule: "20 */2 * * *"
    image: ghcr.io/devstats/devstats-sync:0.1.0
    sync_interval: 2h
    storage_class: gp3
  register: devstats_rendered

- name: Show when each project syncs
  ansible.builtin.debug:
    msg: "{{ devstats_rendered.schedules | items2dict(key_name='project', value_name='sync') }}"
"""

RETURN = r"""
resources:
  description: The manifests, project by project (PVC, provisioning Job, sync CronJob, affiliations CronJob).
  returned: always
  type: list
  elements: dict
  sample:
    - apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: kubernetes-git
        namespace: devstats-cncf
schedules:
  description: One row per rendered project.
  returned: always
  type: list
  elements: dict
  contains:
    project:
      description: The project's name.
      type: str
    archived:
      description: Whether the project is archived (no sync CronJob).
      type: bool
    sync:
      description: The sync CronJob's schedule; null for archived projects.
      type: str
    sync_source:
      description: C(generated) or C(override); null for archived projects.
      type: str
    affiliations:
      description: The affiliations CronJob's schedule.
      type: str
    timezone:
      description: The time zone of the sync schedule.
      type: str
  sample:
    - project: kubernetes
      archived: false
      sync: "38 * * * *"
      sync_source: generated
      affiliations: "20 8 * * *"
      timezone: Etc/UTC
"""

# Ansible modules carry their documentation before the imports (ansible-test and ansible-doc read it there).
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.devstats.platform.plugins.module_utils.k8s_validation import (  # noqa: E402
    ValidationError,
)
from ansible_collections.devstats.platform.plugins.module_utils.project_manifests import (  # noqa: E402
    render_projects,
)

_ARGUMENT_SPEC = {
    "foundation": {"type": "str", "required": True},
    "namespace": {"type": "str"},
    "projects": {"type": "list", "elements": "dict", "required": True},
    "image": {"type": "str", "required": True},
    "image_pull_policy": {
        "type": "str",
        "choices": ["Always", "IfNotPresent", "Never"],
        "default": "IfNotPresent",
    },
    "config_map": {"type": "str", "default": "devstats-projects"},
    # Names of Secrets, not secret values.
    "database_secret": {"type": "str", "default": "devstats-postgres-app", "no_log": False},
    "github_secret": {"type": "str", "default": "devstats-github", "no_log": False},
    "database_host": {"type": "str", "default": "devstats-postgres"},
    "database_port": {"type": "int", "default": 5432},
    "sync_interval": {"type": "str", "default": "1h"},
    "affiliations_interval": {"type": "str", "default": "1d"},
    "time_zone": {"type": "str", "default": "Etc/UTC"},
    "resources": {
        "type": "dict",
        "default": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
    },
    "volume_size": {"type": "str", "default": "10Gi"},
    "storage_class": {"type": "str"},
    "scratch_size": {"type": "str", "default": "2Gi"},
    "node_selector": {"type": "dict", "default": {}},
    "tolerations": {"type": "list", "elements": "dict", "default": []},
    "run_as_user": {"type": "int", "default": 10001},
    "starting_deadline_seconds": {"type": "int", "default": 600},
    "successful_jobs_history_limit": {"type": "int", "default": 3},
    "failed_jobs_history_limit": {"type": "int", "default": 3},
    "backoff_limit": {"type": "int", "default": 2},
    "sync_active_deadline_seconds": {"type": "int", "default": 10800},
    "affiliations_active_deadline_seconds": {"type": "int", "default": 7200},
    "provision_active_deadline_seconds": {"type": "int", "default": 604800},
    "ttl_seconds_after_finished": {"type": "int", "default": 86400},
}


def main():
    module = AnsibleModule(argument_spec=_ARGUMENT_SPEC, supports_check_mode=True)
    params = dict(module.params)
    projects = params.pop("projects")
    try:
        rendered = render_projects(params, projects)
    except ValidationError as error:
        module.fail_json(msg=str(error))
    module.exit_json(changed=False, **rendered)


if __name__ == "__main__":
    main()
