"""Real nginx in front of real gateway processes, for the deploy tests.

The nginx configuration under test is the production one in deploy/nginx, copied into a
temporary directory with a short, explicit list of substitutions (paths, listen ports, upstream
addresses). Each substitution must match, so a change in the production layout fails these tests
instead of silently testing something else.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.services import free_port

REPO = Path(__file__).resolve().parents[2]
NGINX_SOURCE = REPO / "deploy" / "nginx"
PRODUCTION_UPSTREAM = re.compile(r"^(?P<indent>[ \t]*)server gateway:8000(?P<params>[^;]*);", re.MULTILINE)
# Loopback only; the access log names each request's path and query, which the tests match per copy.
UVICORN_ARGS = ("--host", "127.0.0.1", "--access-log", "--port")
LISTEN = re.compile(r"\blisten (?P<port>\d+)(?P<params>[^;]*);")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def write_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """fullchain.pem / privkey.pem for localhost and 127.0.0.1, as the production config names them."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    chain, private = directory / "fullchain.pem", directory / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    private.chmod(0o600)
    return chain, private


LogEntry = dict[str, Any]
"""One line of the production access log's JSON format."""


@dataclass(frozen=True)
class RenderedNginx:
    root: Path
    conf: Path
    access_log: Path
    error_log: Path
    ports: Mapping[int, int]

    def url(self, production_port: int) -> str:
        scheme = "https" if production_port == 8443 else "http"
        return f"{scheme}://127.0.0.1:{self.ports[production_port]}"

    def access_entries(
        self, *, until: Callable[[list[LogEntry]], bool] = lambda _: True, within_s: float = 10
    ) -> list[LogEntry]:
        """The access log's entries, read again until `until` holds of them or `within_s` passes.

        nginx writes a request's line just after sending its answer, so a test that has its answer
        may still be ahead of the log; on time out the entries are returned as they are.
        """
        deadline = time.monotonic() + within_s
        while True:
            entries = self._read_access_log()
            if until(entries) or time.monotonic() > deadline:
                return entries
            time.sleep(0.05)

    def _read_access_log(self) -> list[LogEntry]:
        if not self.access_log.exists():
            return []
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line.strip()]


def logged(request_ids: Iterable[str]) -> Callable[[list[LogEntry]], bool]:
    """An `until` for access_entries: every one of these request ids has its line."""
    wanted = set(request_ids)
    return lambda entries: wanted <= {entry["request_id"] for entry in entries}


def render_nginx(root: Path, *, upstreams: list[str], listen: Mapping[int, int] | None = None) -> RenderedNginx:
    """The production nginx files under `root`, pointed at `upstreams`.

    `listen` maps production ports (8080, 8081, 8443) to loopback ports; None keeps them as they are
    (enough for `nginx -t`, which binds nothing).
    """
    etc = root / "etc" / "nginx"
    shutil.copytree(NGINX_SOURCE, etc, ignore=shutil.ignore_patterns("certs"))
    write_self_signed_cert(etc / "certs")
    (root / "log").mkdir()
    (root / "run").mkdir()
    found: dict[str, int] = {"etc": 0, "log": 0, "tmp": 0, "upstream": 0, "listen": 0}

    def upstream_lines(match: re.Match[str]) -> str:
        found["upstream"] += 1
        return "\n".join(f"{match['indent']}server {address}{match['params']};" for address in upstreams)

    def listen_line(match: re.Match[str]) -> str:
        found["listen"] += 1
        if listen is None:
            return match[0]
        return f"listen 127.0.0.1:{listen[int(match['port'])]}{match['params']};"

    for path in etc.rglob("*.conf"):
        text = path.read_text()
        for key, old, new in [  # /tmp/ first: the new paths may well be under /tmp themselves
            ("tmp", "/tmp/", f"{root}/run/"),
            ("etc", "/etc/nginx/", f"{etc}/"),
            ("log", "/var/log/nginx/", f"{root}/log/"),
        ]:
            found[key] += text.count(old)
            text = text.replace(old, new)
        text = PRODUCTION_UPSTREAM.sub(upstream_lines, text)
        text = LISTEN.sub(listen_line, text)
        path.write_text(text)
    missing = [key for key, count in found.items() if count == 0]
    assert not missing, f"the production nginx config no longer has what the test rewrites: {missing}"
    return RenderedNginx(
        root=root,
        conf=etc / "nginx.conf",
        access_log=root / "log" / "access.log",
        error_log=root / "log" / "error.log",
        ports=dict(listen or {}),
    )


def nginx_command(nginx: str, rendered: RenderedNginx, *extra: str) -> list[str]:
    globals_ = "daemon off;"
    if os.geteuid() == 0:  # workers would otherwise run as nobody, who cannot enter pytest's 0700 temp dirs
        globals_ += " user root;"
    return [nginx, "-p", str(rendered.root), "-c", str(rendered.conf), "-e", "stderr", "-g", globals_, *extra]


def nginx_test(nginx: str, rendered: RenderedNginx) -> subprocess.CompletedProcess[str]:
    return subprocess.run(nginx_command(nginx, rendered, "-t"), capture_output=True, text=True, timeout=30)


@contextmanager
def running_nginx(nginx: str, rendered: RenderedNginx) -> Iterator[RenderedNginx]:
    process = subprocess.Popen(
        nginx_command(nginx, rendered), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_until(
            lambda: httpx.get(rendered.url(8080) + "/nginx-health", timeout=1).status_code == 200,
            what="nginx",
            process=process,
        )
        yield rendered
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(
    ready: Any, *, what: str, process: subprocess.Popen[Any] | None = None, timeout: float = 90, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        if process is not None and process.poll() is not None:
            output = log.read_text() if log else (process.stdout.read() if process.stdout else "")
            raise AssertionError(f"{what} exited with {process.returncode} before it was ready:\n{output}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} was not ready within {timeout} s")
        time.sleep(0.2)


@dataclass
class GatewayProcess:
    """`uvicorn --factory gateway.app:create_app` on a loopback port, its output in a file."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye, as a crashed process or a lost node."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_gateways(
    names: list[str], *, env: Mapping[str, str], log_dir: Path, overrides: Mapping[str, Mapping[str, str]] | None = None
) -> Iterator[dict[str, GatewayProcess]]:
    """Start one gateway copy per name (in parallel), each with GATEWAY_COPY=<name>; wait until each answers."""
    with ExitStack() as stack:
        gateways: dict[str, GatewayProcess] = {}
        for name in names:
            port = free_port()
            log_path = log_dir / f"gateway-{name}.log"
            log_file = stack.enter_context(log_path.open("wb"))
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "gateway.app:create_app", *UVICORN_ARGS, str(port)],
                cwd=REPO,
                env={**os.environ, **env, **(overrides or {}).get(name, {}), "GATEWAY_COPY": name},
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            gateway = GatewayProcess(name=name, port=port, process=process, log_path=log_path)
            stack.callback(gateway.stop)
            gateways[name] = gateway
        for gateway in gateways.values():
            # Alive is enough here: a copy whose inference is unreachable still answers (503).
            wait_until(
                lambda g=gateway: httpx.get(f"http://{g.address}/health", timeout=5).status_code in (200, 503),
                what=f"gateway {gateway.name}",
                process=gateway.process,
                log=gateway.log_path,
            )
        yield gateways
