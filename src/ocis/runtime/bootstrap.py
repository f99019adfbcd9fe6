"""First-run setup of the data directory, and what later starts reuse.

On every start :func:`bootstrap` makes sure that:

* the data directory and its sub-directories exist (mode 0700 for the ones holding secrets);
* ``<data>/ocis.yaml`` exists. On first run it is written with a generated ``jwt_secret`` and
  ``transfer_secret`` (32 random bytes, URL-safe base64). It is never overwritten: if an existing
  file lacks a secret and no environment variable gives one, a generated line is appended;
* a TLS certificate is available when TLS is on. Without ``PROXY_TRANSPORT_TLS_CERT``/``_KEY`` a
  self-signed one is generated at ``<data>/proxy/server.crt|key`` (EC P-256, SHA-256, SAN
  localhost, 127.0.0.1, ::1, the host name and the host of ``OCIS_URL``, not a CA, valid 365 days)
  and reused on later starts until it is about to expire. A configured pair is checked to load.

Raises :class:`~ocis.config.errors.ConfigError` naming the setting when something is unusable.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ocis.config.errors import ConfigError
from ocis.config.loader import CONFIG_FILE_NAME
from ocis.config.model import OcisConfig

CERT_VALIDITY_DAYS = 365
RENEW_BEFORE = datetime.timedelta(days=7)


@dataclass
class BootstrapResult:
    """What :func:`bootstrap` did. Paths are absolute."""

    first_run: bool
    config_file: Path
    cert_file: Path | None
    key_file: Path | None
    cert_generated: bool


def bootstrap(cfg: OcisConfig) -> BootstrapResult:
    """Prepare the data directory and fill in generated secrets and certificate paths in ``cfg``.

    Mutates ``cfg``: sets ``jwt_secret``/``transfer_secret`` when empty, and ``proxy.tls_cert``/
    ``proxy.tls_key`` to the generated pair when TLS is on and none is configured.

    Raises:
        ConfigError: the data directory cannot be created, or the certificate/key is unusable.
    """
    data = cfg.data_dir
    try:
        data.mkdir(parents=True, exist_ok=True, mode=0o700)
        for sub in ("proxy", "storage", "storage/metadata"):
            (data / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"OCIS_BASE_DATA_PATH: cannot create {data}: {exc.strerror or exc}") from None

    config_file = data / CONFIG_FILE_NAME
    first_run = not config_file.exists()
    _ensure_secrets(cfg, config_file, first_run)

    cert = key = None
    generated = False
    if cfg.proxy.tls:
        cert, key, generated = ensure_certificate(cfg)
        cfg.proxy.tls_cert, cfg.proxy.tls_key = str(cert), str(key)
    return BootstrapResult(first_run, config_file, cert, key, generated)


# --------------------------------------------------------------------------- ocis.yaml


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _ensure_secrets(cfg: OcisConfig, config_file: Path, first_run: bool) -> None:
    if first_run:
        cfg.jwt_secret = cfg.jwt_secret or _new_secret()
        cfg.transfer_secret = cfg.transfer_secret or _new_secret()
        text = (
            "# ocis configuration, generated on first run. Environment variables and flags override\n"
            "# these values; see `ocis server --help` for every setting.\n"
            f"jwt_secret: \"{cfg.jwt_secret}\"\n"
            f"transfer_secret: \"{cfg.transfer_secret}\"\n"
        )
        _write_new_file(config_file, text)
        return
    missing = []
    if not cfg.jwt_secret:
        cfg.jwt_secret = _new_secret()
        missing.append(f"jwt_secret: \"{cfg.jwt_secret}\"\n")
    if not cfg.transfer_secret:
        cfg.transfer_secret = _new_secret()
        missing.append(f"transfer_secret: \"{cfg.transfer_secret}\"\n")
    if missing:
        try:
            existing = config_file.read_text(encoding="utf-8")
            with config_file.open("a", encoding="utf-8") as fh:
                if existing and not existing.endswith("\n"):
                    fh.write("\n")
                fh.write("# generated\n" + "".join(missing))
        except OSError as exc:
            raise ConfigError(f"{config_file}: cannot write: {exc.strerror or exc}") from None


def _write_new_file(path: Path, text: str | bytes, mode: int = 0o600) -> None:
    """Create ``path`` atomically with ``mode`` (temp file + rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None


# --------------------------------------------------------------------------- certificate


def ensure_certificate(cfg: OcisConfig) -> tuple[Path, Path, bool]:
    """Return (cert, key, generated) for TLS, generating the self-signed pair when needed.

    Raises:
        ConfigError: naming ``PROXY_TRANSPORT_TLS_CERT`` or ``PROXY_TRANSPORT_TLS_KEY``.
    """
    cert_cfg, key_cfg = cfg.proxy.tls_cert, cfg.proxy.tls_key
    if cert_cfg or key_cfg:
        if not cert_cfg:
            raise ConfigError("PROXY_TRANSPORT_TLS_CERT: not set, but PROXY_TRANSPORT_TLS_KEY is")
        if not key_cfg:
            raise ConfigError("PROXY_TRANSPORT_TLS_KEY: not set, but PROXY_TRANSPORT_TLS_CERT is")
        cert, key = Path(cert_cfg), Path(key_cfg)
        check_certificate(cert, key)
        return cert, key, False

    cert = cfg.data_dir / "proxy" / "server.crt"
    key = cfg.data_dir / "proxy" / "server.key"
    if cert.exists() and key.exists() and _usable_generated(cert, key):
        return cert, key, False
    cert_pem, key_pem = generate_self_signed(_san_names(cfg.url))
    _write_new_file(key, key_pem, 0o600)
    _write_new_file(cert, cert_pem, 0o644)
    return cert, key, True


def check_certificate(cert: Path, key: Path) -> None:
    """Check that a PEM certificate and key can be read and belong together.

    Raises:
        ConfigError: naming the setting of the file at fault.
    """
    from cryptography import x509

    try:
        cert_bytes = cert.read_bytes()
    except OSError as exc:
        raise ConfigError(f"PROXY_TRANSPORT_TLS_CERT: cannot read {cert}: {exc.strerror or exc}") from None
    try:
        x509.load_pem_x509_certificate(cert_bytes)
    except ValueError:
        raise ConfigError(f"PROXY_TRANSPORT_TLS_CERT: {cert} is not a PEM certificate") from None
    try:
        key.read_bytes()
    except OSError as exc:
        raise ConfigError(f"PROXY_TRANSPORT_TLS_KEY: cannot read {key}: {exc.strerror or exc}") from None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            f"PROXY_TRANSPORT_TLS_KEY: {key} is not a usable private key for {cert} ({exc})"
        ) from None


def _usable_generated(cert: Path, key: Path) -> bool:
    """True if our own earlier pair loads and is not about to expire (else it is regenerated)."""
    from cryptography import x509

    try:
        check_certificate(cert, key)
        parsed = x509.load_pem_x509_certificate(cert.read_bytes())
    except (ConfigError, OSError, ValueError):
        return False
    expires = parsed.not_valid_after_utc
    return expires - datetime.datetime.now(datetime.UTC) > RENEW_BEFORE


def _san_names(url: str) -> list[str]:
    names = ["localhost", "127.0.0.1", "::1"]
    try:
        hostname = socket.gethostname()
    except OSError:
        hostname = ""
    for extra in (hostname, urlsplit(url).hostname or ""):
        if extra and extra not in names:
            names.append(extra)
    return names


def generate_self_signed(names: list[str], days: int = CERT_VALIDITY_DAYS) -> tuple[bytes, bytes]:
    """A self-signed EC P-256 server certificate for ``names`` (DNS names or IP literals).

    Returns:
        (certificate PEM, unencrypted PKCS#8 key PEM).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ocis"),
        x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
    ])
    alt: list[x509.GeneralName] = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                     data_encipherment=False, key_agreement=True, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert_pem, key_pem
