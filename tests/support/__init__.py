"""Helpers shared by the test tiers: real servers (PostgreSQL, kube-apiserver) started on 127.0.0.1."""
