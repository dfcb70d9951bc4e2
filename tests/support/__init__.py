"""Helpers shared by the test tiers: servers started on 127.0.0.1 (kube-apiserver, Patroni members, stand-ins
for GH Archive and the GitHub API) and what the sync tool reads and writes."""
