# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# The work is done on the controller by the action plugin of the same name; this file documents it.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: validate_inventory
short_description: Validate the devstats.platform inventory model and fill in its defaults
description:
  - Reads the variables of every host in the group C(devstats_foundations) (one host per foundation)
    and the C(platform_*) variables of the host it runs on, and checks all of them against the
    inventory model described in C(docs/inventory.md) of the collection.
  - Every problem is collected and reported in one failure; each message names the foundation, the
    project (name and position, counted from 1), the field, the bad value and what is allowed.
  - On success it returns the normalized model, with the documented defaults filled in (namespace,
    database, title, time zone, flags).
  - Runs entirely on the controller and changes nothing. Run it once per play (O(ignore:run_once=true)).
  - With C(platform_target=eks) it also checks that AWS credentials can be found for
    C(platform_aws_profile) (or the default credential chain), without sending them anywhere.
  - The role C(devstats.platform.preflight) runs it and stores the result as facts.
version_added: "0.1.0"
options:
  check_aws_credentials:
    description:
      - Whether to check, for C(platform_target=eks), that AWS credentials can be found.
      - The render playbook turns it off, since rendering needs no cloud access.
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Nothing is ever changed, so check mode runs the same checks.
  diff_mode:
    support: none
  platform:
    platforms: all
    details: Runs on the controller only; the target host is never contacted.
author:
  - devstats.platform developers (@devstats)
seealso:
  - name: The inventory model
    description: Every variable and field, with the rules this module enforces.
    link: https://github.com/devstats/platform/blob/main/docs/inventory.md
"""

EXAMPLES = r"""
- name: Validate the inventory once, before anything changes
  devstats.platform.validate_inventory:
  run_once: true
  register: preflight_model

- name: List the database of every project
  ansible.builtin.debug:
    msg: "{{ item.value.projects | map(attribute='db') | list }}"
  loop: "{{ preflight_model.foundations | dict2items }}"
  loop_control:
    label: "{{ item.key }}"
"""

RETURN = r"""
msg:
  description: A one-line summary, or every problem found, one per line.
  returned: always
  type: str
  sample: "the inventory is valid: 3 foundation(s), 23 project(s)"
errors:
  description: Every problem found, each naming the foundation, project, field, value and what is allowed.
  returned: always
  type: list
  elements: str
  sample:
    - >-
      foundation 'cncf', project 'k8s' (#1), field 'start_date': '2014-13-01' is not a date;
      expected YYYY-MM-DD or 'YYYY-MM-DD HH'
foundations:
  description:
    - The foundations by name, with their defaults filled in. Each has C(name), C(namespace), C(prune),
      C(domain), C(time_zone), C(sync_interval), C(affiliations_interval), C(resources),
      C(project_disk_size), C(storage_class) and C(projects).
    - Each project has C(name), C(title), C(db), C(orgs), C(repos), C(exclude_repos), C(start_date),
      C(timezone), C(disk_size), C(resources) (the foundation's unless the project sets its own),
      C(archived), C(disabled) and C(host) (C(<name>.<domain>)); C(regexp), C(main_repo), C(schedule)
      and C(files_skip_pattern) only when the inventory sets them.
  returned: always
  type: dict
  sample:
    cncf:
      name: cncf
      domain: devstats.cncf.io
      namespace: devstats-cncf
      prune: false
      time_zone: Etc/UTC
      sync_interval: 1h
      affiliations_interval: 1d
      resources:
        requests:
          cpu: 250m
          memory: 512Mi
        limits:
          memory: 2Gi
      project_disk_size: 10Gi
      storage_class: ""
      projects:
        - name: kubernetes
          title: Kubernetes
          db: gha
          orgs: [kubernetes]
          repos: []
          exclude_repos: []
          start_date: "2014-06-01"
          timezone: Etc/UTC
          disk_size: 10Gi
          resources:
            requests:
              cpu: 250m
              memory: 512Mi
            limits:
              memory: 2Gi
          archived: false
          disabled: false
          host: kubernetes.devstats.cncf.io
platform:
  description:
    - The platform settings without their C(platform_) prefix, for example C(target), C(kubeconfig),
      C(eks_region), C(eks_cluster_name), C(eks_node_groups), C(render_dir), C(letsencrypt_email);
      only those the inventory sets, except C(render_dir), which defaults to C(build/manifests) beside
      the playbooks' directory, and for C(platform_target=eks) the EKS defaults of
      C(docs/inventory.md) (C(kubeconfig), C(eks_vpc_cidr), C(eks_nat_gateway), C(eks_endpoint_access),
      C(eks_public_access_cidrs)).
    - Each of C(eks_node_groups) has C(name), C(instance_types), C(min_size), C(max_size),
      C(desired_size), C(disk_size), C(capacity_type), C(ami_type), C(labels) and C(taints).
  returned: always
  type: dict
  sample:
    target: kubeconfig
    kubeconfig: ~/.kube/config
    letsencrypt_email: devstats-admins@example.org
"""
