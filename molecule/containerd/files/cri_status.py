"""Asks a CRI runtime what `crictl version` and `crictl info` ask, over its socket, and prints JSON.

crictl is not packaged by Debian and its release cannot be downloaded here, so the verify step speaks
the two CRI calls itself: python3-grpcio from Debian carries them, and the two messages involved are
small enough to encode and decode by hand (protobuf wire format), without generated code.

Usage: cri_status.py [SOCKET]    (default /run/containerd/containerd.sock)
"""

from __future__ import annotations

import json
import sys

import grpc

SERVICE = "/runtime.v1.RuntimeService/"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of a protobuf message: varints as int, the rest as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            out.append((number, data[pos : pos + size]))
            pos += size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            out.append((number, data[pos : pos + width]))
            pos += width
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


def _text(value: int | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def version(channel: grpc.Channel) -> dict[str, str]:
    # VersionRequest{version = 1: string}; VersionResponse{version, runtime_name, runtime_version,
    # runtime_api_version = 1..4: string}
    call = channel.unary_unary(SERVICE + "Version")
    reply = call(b"\x0a\x02v1", timeout=10)
    names = {1: "version", 2: "runtime_name", 3: "runtime_version", 4: "runtime_api_version"}
    return {names[n]: _text(v) for n, v in fields(reply) if n in names}


def status(channel: grpc.Channel) -> dict[str, object]:
    # StatusRequest{verbose = 1: bool}; StatusResponse{status = 1: RuntimeStatus{conditions = 1:
    # RuntimeCondition{type = 1, status = 2: bool, reason = 3, message = 4}}, info = 2: map<string, string>}
    call = channel.unary_unary(SERVICE + "Status")
    reply = call(b"\x08\x01", timeout=10)
    conditions: list[dict[str, object]] = []
    info: dict[str, object] = {}
    for number, value in fields(reply):
        if number == 1 and isinstance(value, bytes):
            for inner, condition in fields(value):
                if inner == 1 and isinstance(condition, bytes):
                    parts = dict(fields(condition))
                    conditions.append(
                        {
                            "type": _text(parts.get(1, b"")),
                            "status": bool(parts.get(2, 0)),
                            "reason": _text(parts.get(3, b"")),
                            "message": _text(parts.get(4, b"")),
                        }
                    )
        elif number == 2 and isinstance(value, bytes):
            entry = dict(fields(value))
            text = _text(entry.get(2, b""))
            try:
                info[_text(entry.get(1, b""))] = json.loads(text)
            except ValueError:
                info[_text(entry.get(1, b""))] = text
    return {"conditions": conditions, "info": info}


def main() -> None:
    socket = sys.argv[1] if len(sys.argv) > 1 else "/run/containerd/containerd.sock"
    with grpc.insecure_channel(f"unix://{socket}") as channel:
        print(json.dumps({"version": version(channel), "status": status(channel)}))


if __name__ == "__main__":
    main()
