"""A real Kubernetes control plane for tests: etcd + kube-apiserver 1.20.2 (+ kube-controller-manager).

The binaries are built once, offline, from Debian bookworm's `kubernetes` source package by
`scripts/build-kube-binaries` (several minutes the first time, then cached in
`~/.cache/devstats-platform/kubernetes-1.20.2/bin`); `etcd` is Debian's etcd-server. Everything
listens on 127.0.0.1 on free ports, lives in a temporary directory and is stopped when the context
exits, also when the test fails. RBAC is on (authorization mode RBAC only, no anonymous access).

Usage::

    from tests.support.kube_apiserver import running_control_plane

    @pytest.fixture(scope="session")
    def kube(tmp_path_factory):
        with running_control_plane(tmp_path_factory.mktemp("kube"), controller_manager=True) as cp:
            yield cp

    def test_something(kube):
        kube.kubeconfig              # admin kubeconfig (system:masters), for kubernetes.core.k8s / the client
        kube.server                  # "https://127.0.0.1:<port>"
        kube.api_client()            # a kubernetes.client.ApiClient authenticated as admin
        kube.create_namespace("ns")
        token = kube.service_account_token("ns", "patroni")   # needs controller_manager=True
        kube.write_token_kubeconfig(path, token)             # a kubeconfig that acts as that account

`controller_manager=True` also runs kube-controller-manager (StatefulSets create their Pods, the
token controller creates ServiceAccount token Secrets, Endpoints follow Services). There is no
kubelet and no scheduler: Pods stay Pending, without IPs. API groups 1.20 does not serve
(policy/v1, batch/v1 CronJob) are rejected by the server.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-kube-binaries"
KUBE_VERSION = "1.20.2"
SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/24"
START_TIMEOUT = 120.0
# The admin kubeconfig's one context: the stages under test name it (platform_kubeconfig_context).
ADMIN_CONTEXT = "admin"


def ensure_binaries() -> Path:
    """The directory holding kube-apiserver and kube-controller-manager, built if missing."""
    result = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{BUILD_SCRIPT} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return Path(result.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _certificate(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: tuple[x509.Name, rsa.RSAPrivateKey] | None,
    *,
    ca: bool = False,
    server_names: tuple[str, ...] = (),
    server_ips: tuple[str, ...] = (),
    client: bool = False,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, issuer_key = issuer if issuer else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        usages = [x509.ExtendedKeyUsageOID.CLIENT_AUTH] if client else [x509.ExtendedKeyUsageOID.SERVER_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if server_names or server_ips:
        alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in server_names]
        alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in server_ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Pki:
    """The files of a throwaway cluster PKI."""

    ca_cert: Path
    serving_cert: Path
    serving_key: Path
    admin_cert: Path
    admin_key: Path
    sa_key: Path
    sa_pub: Path


def generate_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca_name = _name("devstats-test-ca")
    ca_cert = _certificate(ca_name, ca_key, None, ca=True)
    first_service_ip = str(next(ipaddress.ip_network(SERVICE_CLUSTER_IP_RANGE).hosts()))
    serving_key = _key()
    serving_cert = _certificate(
        _name("kube-apiserver"),
        serving_key,
        (ca_name, ca_key),
        server_names=("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"),
        server_ips=("127.0.0.1", first_service_ip),
    )
    # system:masters is the group the RBAC bootstrap policy binds to cluster-admin.
    admin_key = _key()
    admin_cert = _certificate(_name("admin", "system:masters"), admin_key, (ca_name, ca_key), client=True)
    sa_key = _key()
    pki = Pki(
        ca_cert=directory / "ca.crt",
        serving_cert=directory / "apiserver.crt",
        serving_key=directory / "apiserver.key",
        admin_cert=directory / "admin.crt",
        admin_key=directory / "admin.key",
        sa_key=directory / "sa.key",
        sa_pub=directory / "sa.pub",
    )
    pki.ca_cert.write_bytes(_pem(ca_cert))
    pki.serving_cert.write_bytes(_pem(serving_cert))
    _write_key(pki.serving_key, serving_key)
    pki.admin_cert.write_bytes(_pem(admin_cert))
    _write_key(pki.admin_key, admin_key)
    _write_key(pki.sa_key, sa_key)
    pki.sa_pub.write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return pki


def _kubeconfig(server: str, ca_cert: Path, user: dict[str, str], name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": {"server": server, "certificate-authority": str(ca_cert)}}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": "test", "user": name}}],
        "current-context": name,
    }


@dataclass
class ManagedProcess:
    """A server started in its own session, so stopping it also stops anything it spawned."""

    name: str
    argv: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def check_running(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}; last log lines:\n{self.tail()}"
            )

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class ControlPlane:
    """A running etcd + kube-apiserver (+ controller-manager); see the module docstring."""

    directory: Path
    server: str
    pki: Pki
    kubeconfig: Path
    processes: list[ManagedProcess]

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        context.load_cert_chain(str(self.pki.admin_cert), str(self.pki.admin_key))
        return context

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
        """One admin request to the API server; returns (status, body) without raising on HTTP errors."""
        data = yaml.safe_dump(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/yaml")
        try:
            with urllib.request.urlopen(req, context=self._ssl_context(), timeout=10) as response:
                return int(response.status), response.read()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read()

    def api_client(self) -> Any:
        """A kubernetes.client.ApiClient authenticated as admin (imported lazily: it is slow to import)."""
        from kubernetes import config  # noqa: PLC0415 - heavy import only for the callers that want it

        return config.new_client_from_config(str(self.kubeconfig))

    def create_namespace(self, name: str) -> None:
        status, body = self.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
        if status not in (201, 409):
            raise RuntimeError(f"creating namespace {name!r}: HTTP {status}: {body[:500]!r}")

    def service_account_token(self, namespace: str, name: str, timeout: float = 60.0) -> str:
        """The token of an existing ServiceAccount, from the Secret the token controller creates for it."""
        deadline = time.monotonic() + timeout
        while True:
            status, body = self.request("GET", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}")
            if status == 200:
                for ref in yaml.safe_load(body).get("secrets") or []:
                    s_status, s_body = self.request(
                        "GET", f"/api/v1/namespaces/{namespace}/secrets/{ref['name']}"
                    )
                    token = (
                        (yaml.safe_load(s_body).get("data") or {}).get("token") if s_status == 200 else None
                    )
                    if token:
                        return base64.b64decode(token).decode()
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"no token Secret for ServiceAccount {namespace}/{name} after {timeout:.0f} s "
                    "(is the controller-manager running?)"
                )
            for process in self.processes:
                process.check_running()
            time.sleep(0.5)

    def write_token_kubeconfig(self, path: Path, token: str, name: str = "service-account") -> Path:
        """Self-contained (CA embedded), so a process running as another user can read it whole."""
        config = _kubeconfig(self.server, self.pki.ca_cert, {"token": token}, name)
        cluster = config["clusters"][0]["cluster"]
        del cluster["certificate-authority"]
        cluster["certificate-authority-data"] = base64.b64encode(self.pki.ca_cert.read_bytes()).decode()
        path.write_text(yaml.safe_dump(config))
        path.chmod(0o600)
        return path


def _wait_ready(plane: ControlPlane, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        for process in plane.processes:
            process.check_running()
        try:
            status, body = plane.request("GET", "/readyz")
            if status == 200:
                return
            last = f"HTTP {status}: {body[-300:]!r}"
        except OSError as error:
            last = repr(error)
        time.sleep(0.5)
    logs = "\n".join(f"--- {p.name}\n{p.tail()}" for p in plane.processes)
    raise TimeoutError(f"kube-apiserver not ready after {timeout:.0f} s ({last})\n{logs}")


def _wait_etcd(etcd: ManagedProcess, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        etcd.check_running()
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"etcd not healthy after {timeout:.0f} s:\n{etcd.tail()}")


@contextlib.contextmanager
def running_control_plane(
    directory: Path, *, controller_manager: bool = False, timeout: float = START_TIMEOUT
) -> Iterator[ControlPlane]:
    """Starts etcd, kube-apiserver and optionally kube-controller-manager; stops them on exit."""
    bin_dir = ensure_binaries()
    directory.mkdir(parents=True, exist_ok=True)
    pki = generate_pki(directory / "pki")
    etcd_client, etcd_peer, api_port = free_port(), free_port(), free_port()
    etcd_url = f"http://127.0.0.1:{etcd_client}"
    server = f"https://127.0.0.1:{api_port}"
    kubeconfig = directory / "admin.kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            _kubeconfig(
                server,
                pki.ca_cert,
                {"client-certificate": str(pki.admin_cert), "client-key": str(pki.admin_key)},
                ADMIN_CONTEXT,
            )
        )
    )
    kubeconfig.chmod(0o600)
    logs = directory / "logs"
    logs.mkdir(exist_ok=True)
    etcd = ManagedProcess(
        "etcd",
        [
            "etcd",
            "--name=test",
            f"--data-dir={directory / 'etcd'}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{etcd_peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}",
            f"--initial-cluster=test=http://127.0.0.1:{etcd_peer}",
            "--log-level=warn",
        ],
        logs / "etcd.log",
    )
    apiserver = ManagedProcess(
        "kube-apiserver",
        [
            str(bin_dir / "kube-apiserver"),
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}",
            "--insecure-port=0",
            f"--cert-dir={directory / 'apiserver-certs'}",
            f"--tls-cert-file={pki.serving_cert}",
            f"--tls-private-key-file={pki.serving_key}",
            f"--client-ca-file={pki.ca_cert}",
            "--authorization-mode=RBAC",
            # As kubeadm starts it: network add-ons such as Calico run privileged containers.
            "--allow-privileged=true",
            "--anonymous-auth=false",
            f"--service-account-key-file={pki.sa_pub}",
            f"--service-account-signing-key-file={pki.sa_key}",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
            "--profiling=false",
            "--v=1",
        ],
        logs / "kube-apiserver.log",
    )
    plane = ControlPlane(directory, server, pki, kubeconfig, [etcd, apiserver])
    try:
        etcd.start()
        _wait_etcd(etcd, etcd_url, timeout)
        apiserver.start()
        _wait_ready(plane, timeout)
        if controller_manager:
            manager = ManagedProcess(
                "kube-controller-manager",
                [
                    str(bin_dir / "kube-controller-manager"),
                    f"--kubeconfig={kubeconfig}",
                    "--leader-elect=false",
                    "--port=0",
                    "--secure-port=0",
                    f"--service-account-private-key-file={pki.sa_key}",
                    f"--root-ca-file={pki.ca_cert}",
                    f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                    "--v=1",
                ],
                logs / "kube-controller-manager.log",
            )
            plane.processes.append(manager)
            manager.start()
        yield plane
    finally:
        for process in reversed(plane.processes):
            process.stop()
