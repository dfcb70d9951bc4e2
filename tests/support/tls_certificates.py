"""A throwaway certificate authority issuing server and client certificates, for TLS between test servers.

Built on the certificate helpers of the control plane's PKI (kube_apiserver), so there is one way of
making test certificates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.support.kube_apiserver import _certificate, _key, _name, _pem, _write_key


@dataclass(frozen=True)
class CertificatePaths:
    ca: Path
    cert: Path
    key: Path


class CertificateAuthority:
    """Issues certificates signed by a CA created in `directory` (`ca.crt`), valid for two days."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._name = _name("devstats-test-backup-ca")
        self._key = _key()
        self.ca_file = directory / "ca.crt"
        self.ca_file.write_bytes(_pem(_certificate(self._name, self._key, None, ca=True)))

    def issue(
        self, name: str, common_name: str, names: tuple[str, ...] = (), client: bool = False
    ) -> CertificatePaths:
        """`<name>.crt` and `<name>.key` for `common_name`, with `names` as DNS names of a server."""
        key = _key()
        cert = _certificate(
            _name(common_name), key, (self._name, self._key), server_names=names, client=client
        )
        paths = CertificatePaths(self.ca_file, self.directory / f"{name}.crt", self.directory / f"{name}.key")
        paths.cert.write_bytes(_pem(cert))
        _write_key(paths.key, key)
        return paths
