"""GH Archive hour files: names, and fetching each hour once into a shared cache.

The base is ``https://data.gharchive.org/``, any other HTTP(S) base URL, or a local directory
(a path or ``file://`` URL), read in place. Downloads land in the cache under a temporary name and
are renamed only once complete, so concurrent syncs (one per foundation) and crashes never leave a
partial file under the real name; content that later proves corrupt is dropped with
:meth:`Archive.invalidate` and fetched again. Cached files are readable by all (modulo the umask), as
the shared cache volume's other readers need. A 429 or 503 with ``Retry-After`` waits that long.
"""

from __future__ import annotations

import email.utils
import http.client
import logging
import os
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_BASE_URL = "https://data.gharchive.org/"
# Longest wait a Retry-After may ask for before the download counts as failed for this run.
MAX_RETRY_AFTER = 600.0
log = logging.getLogger(__name__)


class ArchiveError(RuntimeError):
    pass


def hour_file_name(hour: datetime) -> str:
    """GH Archive's name for an hour: the hour is not zero-padded (``2024-01-02-5.json.gz``)."""
    return f"{hour:%Y-%m-%d}-{hour.hour}.json.gz"


def hour_of_file_name(name: str) -> datetime | None:
    """The hour a GH Archive file name stands for, or None for any other name."""
    stem, dot, rest = name.partition(".")
    if not dot or rest != "json.gz":
        return None
    day, _, hour = stem.rpartition("-")
    if not hour.isdigit() or not 0 <= int(hour) <= 23:
        return None
    try:
        return datetime.strptime(day, "%Y-%m-%d").replace(hour=int(hour))
    except ValueError:
        return None


def default_cache_dir() -> Path:
    env = os.environ.get("DEVSTATS_CACHE_DIR")
    if env:
        return Path(env)
    data_dir = os.environ.get("DEVSTATS_DATA_DIR")
    if data_dir:
        return Path(data_dir) / "gharchive"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "devstats-sync" / "gharchive"


class Archive:
    def __init__(
        self,
        base: str = DEFAULT_BASE_URL,
        *,
        cache_dir: Path | None = None,
        retries: int = 4,
        backoff: float = 1.0,
        timeout: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parsed = urllib.parse.urlparse(base)
        self.remote = parsed.scheme in ("http", "https")
        if parsed.scheme == "file":
            self.local_dir: Path | None = Path(urllib.parse.unquote(parsed.path))
        elif not self.remote:
            if parsed.scheme:
                raise ArchiveError(
                    f"archive URL {base!r}: only http, https, file URLs or a directory are supported"
                )
            self.local_dir = Path(base)
        else:
            self.local_dir = None
        if self.local_dir is not None and not self.local_dir.is_dir():
            raise ArchiveError(f"archive directory {self.local_dir} does not exist")
        self.base = base if base.endswith("/") else base + "/"
        self.cache_dir = cache_dir or default_cache_dir()
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.sleep = sleep

    def describe(self, hour: datetime) -> str:
        if self.local_dir is not None:
            return str(self.local_dir / hour_file_name(hour))
        return self.base + hour_file_name(hour)

    def fetch(self, hour: datetime) -> Path | None:
        """The local file of an hour, downloading it if needed; None when the archive has no such hour."""
        name = hour_file_name(hour)
        if self.local_dir is not None:
            path = self.local_dir / name
            return path if path.is_file() else None
        cached = self.cache_dir / name
        if cached.is_file():
            return cached
        return self._download(self.base + name, cached)

    def invalidate(self, hour: datetime) -> bool:
        """Drops a cached download found corrupt; True when fetching again may help."""
        if self.local_dir is not None:
            return False
        (self.cache_dir / hour_file_name(hour)).unlink(missing_ok=True)
        return True

    def cached_hours(self) -> dict[datetime, Path]:
        """The hours whose files this archive downloaded into its cache (none for a local directory)."""
        if self.local_dir is not None or not self.cache_dir.is_dir():
            return {}
        found = {}
        for path in self.cache_dir.iterdir():
            hour = hour_of_file_name(path.name)
            if hour is not None and path.is_file():
                found[hour] = path
        return found

    def _download(self, url: str, target: Path) -> Path | None:
        target.parent.mkdir(parents=True, exist_ok=True)
        attempt = 0
        while True:
            try:
                return self._download_once(url, target)
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    return None
                retryable = error.code == 429 or error.code >= 500
                problem = f"HTTP {error.code} {error.reason}"
                asked = retry_after(error.headers.get("Retry-After")) if error.headers else None
            except (urllib.error.URLError, OSError, http.client.HTTPException, ArchiveError) as error:
                retryable = True
                problem = str(getattr(error, "reason", None) or error)
                asked = None
            if asked is not None and asked > MAX_RETRY_AFTER:
                retryable = False
                problem += f", asked to retry after {asked:.0f}s"
            if not retryable or attempt >= self.retries:
                raise ArchiveError(f"cannot download {url}: {problem} (after {attempt + 1} attempt(s))")
            delay = asked if asked is not None else min(self.backoff * 2**attempt, 60.0)
            log.warning("download of %s failed (%s); retrying in %.1fs", url, problem, delay)
            self.sleep(delay)
            attempt += 1

    def _download_once(self, url: str, target: Path) -> Path:
        request = urllib.request.Request(url, headers={"User-Agent": "devstats-sync"})
        tmp_name = str(target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
        # Unlike mkstemp's 0600, the umask decides: other pods read the shared cache.
        fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with (
                os.fdopen(fd, "wb") as out,
                urllib.request.urlopen(request, timeout=self.timeout) as response,
            ):
                expected = response.headers.get("Content-Length")
                written = 0
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    written += len(chunk)
            if expected is not None and written != int(expected):
                raise ArchiveError(f"short download: {written} of {expected} bytes")
            Path(tmp_name).replace(target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return target


def retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number of seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
