"""release_downloads: the checked plan (cache names, archive members) and the one failure message."""

from __future__ import annotations

import pytest

from plugins.module_utils.release_downloads import DownloadsError, failures, plan

SUM = "ab" * 32
OTHER = "cd" * 32


def test_a_file_is_cached_under_its_sum_and_installed_at_dest() -> None:
    [item] = plan(
        [
            {
                "url": "https://dl.example/v1/bin/kubeadm",
                "sha256": SUM.upper(),
                "dest": "/usr/local/bin/kubeadm",
            }
        ],
        "/c",
    )
    assert item["cache"] == f"/c/{SUM}-kubeadm"
    assert item["sha256"] == SUM
    assert item["mode"] == "0755"
    assert item["installs"] == [{"src": f"/c/{SUM}-kubeadm", "dest": "/usr/local/bin/kubeadm"}]


def test_archive_members_are_installed_by_file_name_into_dest() -> None:
    [item] = plan(
        [
            {
                "url": "http://127.0.0.1:8000/containerd-2.1.4-linux-amd64.tar.gz",
                "sha256": SUM,
                "dest": "/usr/local/bin",
                "extract": True,
                "members": ["bin/containerd", "bin/ctr"],
            }
        ],
        "/c",
    )
    unpacked = f"/c/{SUM}-containerd-2.1.4-linux-amd64.tar.gz.d"
    assert item["unpacked"] == unpacked
    assert item["installs"] == [
        {"src": f"{unpacked}/bin/containerd", "dest": "/usr/local/bin/containerd"},
        {"src": f"{unpacked}/bin/ctr", "dest": "/usr/local/bin/ctr"},
    ]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"url": "ftp://x/y", "sha256": SUM, "dest": "/a"}, "is not an http(s) URL"),
        ({"url": "https://x/y", "sha256": "abc", "dest": "/a"}, "is not 64 hex digits"),
        ({"url": "https://x/y", "sha256": SUM, "dest": "a"}, "is not an absolute path"),
        ({"url": "https://x/y", "sha256": SUM, "dest": "/a", "mode": 755}, "octal mode string"),
        ({"url": "https://x/y", "sha256": SUM, "dest": "/a", "extract": True}, "'members' must list"),
        ({"url": "https://x/y", "sha256": SUM, "dest": "/a", "members": ["b"]}, "only meaningful"),
        ({"url": "https://x/y", "sha256": SUM, "dest": "/a", "sha": SUM}, "unknown field(s) sha"),
        (
            {"url": "https://x/y", "sha256": SUM, "dest": "/a", "extract": True, "members": ["a/x", "b/x"]},
            "share a file name",
        ),
    ],
)
def test_a_bad_entry_is_named_before_anything_is_downloaded(entry: dict, problem: str) -> None:
    with pytest.raises(DownloadsError) as error:
        plan([{"url": "https://x/fine", "sha256": SUM, "dest": "/fine"}, entry], "/c")
    assert str(error.value).startswith("release_downloads_files #2")
    assert problem in str(error.value)


def test_two_entries_installing_one_path_are_refused() -> None:
    with pytest.raises(DownloadsError, match="more than one download installs /a"):
        plan(
            [
                {"url": "https://x/1", "sha256": SUM, "dest": "/a"},
                {"url": "https://x/2", "sha256": OTHER, "dest": "/a"},
            ],
            "/c",
        )


def test_failures_name_the_url_the_pinned_and_the_actual_sum() -> None:
    results = [
        {"item": {"url": "https://x/ok", "sha256": SUM}, "changed": True},
        {
            "item": {"url": "https://x/kubelet", "sha256": SUM},
            "failed": True,
            "msg": f"The checksum for /c/.tmp did not match {SUM}; it was {OTHER.upper()}.",
        },
        {
            "item": {"url": "https://x/gone", "sha256": SUM},
            "failed": True,
            "msg": "Request failed: HTTP Error 404",
        },
    ]
    assert failures(results) == [
        f"https://x/kubelet: sha256 mismatch, expected {SUM}, got {OTHER}",
        "https://x/gone: download failed: Request failed: HTTP Error 404",
    ]
    assert failures(results[:1]) == []
