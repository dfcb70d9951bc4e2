"""Generated events in the pre-2015 Timeline format, for hours before 2015-01-01."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def to_pre2015(event: dict[str, Any]) -> dict[str, Any]:
    """The Timeline shape of an event: no id, a login actor, ``repository`` and thin payloads."""
    owner, name = event["repo"]["name"].split("/", 1)
    payload = dict(event["payload"])
    if event["type"] == "PushEvent":
        payload = {
            "head": payload.get("head"),
            "ref": payload.get("ref"),
            "size": payload.get("size", 0),
            "shas": [
                [c["sha"], c["author"]["email"], c["message"], c["author"]["name"], True]
                for c in payload.get("commits", ())
            ],
        }
    elif event["type"] == "IssueCommentEvent":
        payload = {"comment_id": payload["comment"]["id"], "issue_id": payload["issue"]["id"]}
    elif event["type"] == "IssuesEvent":
        payload = {
            "action": payload["action"],
            "issue": payload["issue"]["id"],
            "number": payload["issue"]["number"],
        }
    elif event["type"] == "ForkEvent":
        payload = {}
    repository: dict[str, Any] = {
        "id": event["repo"]["id"],
        "name": name,
        "owner": owner,
        "fork": False,
        "url": f"https://github.com/{owner}/{name}",
        "created_at": "2012-01-01T00:00:00-08:00",
        "master_branch": "master",
        "private": False,
    }
    if "org" in event:
        repository["organization"] = owner
    created = datetime.strptime(event["created_at"], "%Y-%m-%dT%H:%M:%SZ") - timedelta(hours=8)
    return {
        "actor": event["actor"]["login"],
        "actor_attributes": {
            "login": event["actor"]["login"],
            "type": "User",
            "name": event["actor"]["login"].title(),
        },
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S-08:00"),
        "payload": payload,
        "public": True,
        "repository": repository,
        "type": event["type"],
        "url": f"https://github.com/{owner}/{name}",
    }
