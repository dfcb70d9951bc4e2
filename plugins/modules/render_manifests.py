# -*- coding: utf-8 -*-
# Copyright: devstats.platform developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
# The work is done on the controller by the action plugin of the same name; this file documents it.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: render_manifests
short_description: Write one component's Kubernetes objects into a foundation's render directory
description:
  - The render mode of the role C(devstats.platform.k8s_objects), in one step on the controller.
  - Writes each object to C(<directory>/<file>) when the file's bytes differ from the object's YAML
    (keys sorted, so equal objects give equal files), through a temporary file and a rename.
  - Removes the files of this component (names starting with C(<component>.)) whose objects it no
    longer renders, so a GitOps tool never deploys a removed object.
  - Writes C(kustomization.yaml) listing every file of the directory that holds an object of the
    foundation (by the ownership label C(devstats.platform/owner)); other files are left alone, not
    listed, and named in a warning.
  - The directory is created when missing. Nothing is written in check mode; the result is the same.
version_added: "0.1.0"
options:
  directory:
    description: The foundation's render directory.
    type: path
    required: true
  foundation:
    description: The foundation the objects belong to (the first part of their ownership label).
    type: str
    required: true
  component:
    description: The component rendering the objects (the prefix of its file names).
    type: str
    required: true
  objects:
    description:
      - The component's objects as the filter C(devstats.platform.k8s_render_files) returns them, after
        C(devstats.platform.k8s_owned) labelled them; each entry needs C(file) and C(manifest).
    type: list
    elements: dict
    required: true
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
    details: The same plan is computed and reported; nothing is written or removed.
  diff_mode:
    support: full
    details: One diff per written, removed or relisted file; a Secret's content is never shown.
  platform:
    platforms: posix
    details: Writes on the controller, where the render directory is; the target host is never contacted.
author:
  - devstats.platform developers (@devstats)
"""

EXAMPLES = r"""
- name: Render a ConfigMap of the component 'example' for the foundation 'cncf'
  devstats.platform.render_manifests:
    directory: build/manifests/cncf
    foundation: cncf
    component: example
    objects: >-
      {{ [configmap] | devstats.platform.k8s_owned('cncf', 'example')
         | devstats.platform.k8s_render_files('example') }}
  vars:
    configmap:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings, namespace: devstats-cncf}
      data: {answer: "42"}
"""

RETURN = r"""
directory:
  description: The render directory.
  returned: always
  type: str
  sample: build/manifests/cncf
written:
  description: The files written (or, in check mode, that would be), in the order of the objects.
  returned: always
  type: list
  elements: str
  sample: [example.configmap.devstats-cncf.settings.yaml]
removed:
  description: The component's files of objects it no longer renders, removed (or to be removed).
  returned: always
  type: list
  elements: str
  sample: [example.configmap.devstats-cncf.old.yaml]
stray:
  description: Files in the directory that hold no object of the foundation; not listed, not touched.
  returned: always
  type: list
  elements: str
  sample: [notes.yaml]
"""
