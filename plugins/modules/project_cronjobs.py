#!/usr/bin/python
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Ansible module devstats.platform.project_cronjobs: renders a foundation's per-project objects."""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: project_cronjobs
short_description: Render the sync workloads of a DevStats foundation
version_added: "0.1.0"
description:
  - Builds the foundation's GH Archive hour cache (PersistentVolumeClaim C(gharchive-cache)) and its one
    ingest CronJob C(devstats-ingest), which downloads and scans each hour once for all projects
    (C(devstats-sync ingest --pending), a new project's whole history included); the affiliations
    CronJob C(devstats-affiliations) when the foundation names a source of gitdm files; and for each
    project a PersistentVolumeClaim for git clones, a provisioning Job (which waits for the history
    the ingest loads, then computes every metric) and a sync CronJob (git, GitHub API, postprocess,
    metrics; no download). Returns them as manifests with a schedule table.
  - Pure rendering. The module never talks to a cluster; hand RV(resources) to the k8s_objects role
    (or M(kubernetes.core.k8s)) to render or apply them. It always reports C(changed=false).
  - Its input is one foundation of preflight's model (the fact C(preflight_foundations)), in which
    every inventory value is already validated and every default filled in; the module does not check
    them again, and fails when O(foundation) is not such a model.
  - Each project's generated schedule is a hash of its own name spread over the foundation's interval,
    so adding or removing a project never moves another one. A project's C(schedule) overrides it.
  - Archived projects get no sync CronJob; disabled projects get nothing.
  - Pods run as non-root with a read-only root filesystem (an emptyDir serves as scratch), no
    privilege escalation, all capabilities dropped, seccomp RuntimeDefault and no service-account token.
  - Secrets are referenced by name only; the module never sees a secret value.
author:
  - devstats.platform developers (@devstats)
options:
  foundation:
    description:
      - One foundation of preflight's model, C(preflight_foundations[inventory_hostname]).
      - Read here are C(name) (label C(app.kubernetes.io/part-of)), C(namespace), C(time_zone),
        C(sync_interval), C(affiliations_interval), C(resources), C(storage_class),
        C(gharchive_cache_size), C(affiliations) and C(projects), of which each project's C(name),
        C(schedule), C(timezone), C(disk_size), C(resources), C(archived) and C(disabled).
    type: dict
    required: true
  image:
    description: The sync tool's image.
    type: str
    required: true
  image_pull_policy:
    description: Pull policy of every container.
    type: str
    choices: [Always, IfNotPresent, Never]
    required: true
  config_map:
    description: Name of the ConfigMap holding C(projects.yaml), mounted at C(/etc/devstats).
    type: str
    required: true
  database_secret:
    description:
      - Name of the Secret with the database credentials, keys C(username) and C(password)
        (a C(kubernetes.io/basic-auth) Secret such as the patroni role's application-user Secret).
      - They reach the containers as C(PGUSER) and C(PGPASSWORD).
    type: str
    required: true
  github_secret:
    description:
      - Name of the Secret with the GitHub tokens, key C(tokens) (comma-separated), as C(GITHUB_TOKENS).
      - Optional at run time; without it the sync tool skips the GitHub API step.
    type: str
    required: true
  database_host:
    description: PostgreSQL host the sync tool connects to (C(PGHOST)).
    type: str
    required: true
  database_port:
    description: PostgreSQL port (C(PGPORT)).
    type: int
    required: true
  pod_labels:
    description:
      - Labels of every pod (and object) besides C(app.kubernetes.io/instance) (the project) and
        C(app.kubernetes.io/component) (the job); NetworkPolicies select the pods by them.
    type: dict
    required: true
  node_selector:
    description: Node selector of every pod.
    type: dict
    required: true
  tolerations:
    description: Tolerations of every pod.
    type: list
    elements: dict
    required: true
  scratch_size:
    description: Size limit of the emptyDir mounted at C(/tmp).
    type: str
    default: 2Gi
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
  ingest_active_deadline_seconds:
    description: Longest an ingest Job may run.
    type: int
    default: 10800
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
  ingest_max_hours:
    description: Most hours one ingest run loads; a new project's years of history take several runs.
    type: int
    default: 720
  cache_keep_hours:
    description: Cached GH Archive hours older than this are removed once every project has them.
    type: int
    default: 48
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
    foundation: "{{ preflight_foundations[inventory_hostname] }}"
    image: ghcr.io/devstats/devstats-sync:0.1.0
    image_pull_policy: IfNotPresent
    config_map: devstats-projects
    database_secret: devstats-postgres-app
    github_secret: devstats-github
    database_host: devstats-postgres
    database_port: 5432
    pod_labels:
      app.kubernetes.io/name: devstats
      app.kubernetes.io/part-of: "{{ inventory_hostname }}"
    node_selector: {}
    tolerations: []
  register: devstats_rendered

- name: Show when each project syncs
  ansible.builtin.debug:
    msg: "{{ devstats_rendered.schedules | items2dict(key_name='project', value_name='sync') }}"
"""

RETURN = r"""
resources:
  description:
    - The manifests, the foundation's first (cache PVC, ingest CronJob, affiliations CronJob), then
      project by project (git PVC, provisioning Job, sync CronJob).
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
    timezone:
      description: The time zone of the sync schedule.
      type: str
  sample:
    - project: kubernetes
      archived: false
      sync: "38 * * * *"
      sync_source: generated
      timezone: Etc/UTC
foundation_schedules:
  description: When the foundation's CronJobs run.
  returned: always
  type: dict
  contains:
    ingest:
      description: The ingest CronJob's schedule (hourly, at a minute taken from the foundation's name).
      type: str
    affiliations:
      description: The affiliations CronJob's schedule; null without a source of affiliation files.
      type: str
  sample:
    ingest: "17 * * * *"
    affiliations: "43 6 * * *"
"""

# Ansible modules carry their documentation before the imports (ansible-test and ansible-doc read it there).
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.devstats.platform.plugins.module_utils.project_manifests import (  # noqa: E402
    DEFAULTS,
    RenderError,
    render_workloads,
)

_REQUIRED = {"required": True}
ARGUMENT_SPEC = {
    "foundation": {"type": "dict", **_REQUIRED},
    "image": {"type": "str", **_REQUIRED},
    "image_pull_policy": {"type": "str", "choices": ["Always", "IfNotPresent", "Never"], **_REQUIRED},
    "config_map": {"type": "str", **_REQUIRED},
    # Names of Secrets, not secret values.
    "database_secret": {"type": "str", "no_log": False, **_REQUIRED},
    "github_secret": {"type": "str", "no_log": False, **_REQUIRED},
    "database_host": {"type": "str", **_REQUIRED},
    "database_port": {"type": "int", **_REQUIRED},
    "pod_labels": {"type": "dict", **_REQUIRED},
    "node_selector": {"type": "dict", **_REQUIRED},
    "tolerations": {"type": "list", "elements": "dict", **_REQUIRED},
    **{
        key: {"type": "int" if isinstance(value, int) else "str", "default": value}
        for key, value in DEFAULTS.items()
    },
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    options = dict(module.params)
    foundation = options.pop("foundation")
    try:
        rendered = render_workloads(foundation, options)
    except RenderError as error:
        module.fail_json(msg=str(error))
    module.exit_json(changed=False, **rendered)


if __name__ == "__main__":
    main()
