"""First-run bootstrap: ocis.yaml with secrets (never overwritten), self-signed certificate."""

from __future__ import annotations

import datetime
import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ocis.config.errors import ConfigError
from ocis.config.loader import load_config
from ocis.config.model import OcisConfig
from ocis.runtime.bootstrap import bootstrap, generate_self_signed


def cfg_for(tmp_path: Path, **env: str) -> OcisConfig:
    return load_config({}, {"OCIS_BASE_DATA_PATH": str(tmp_path / "data"), **env})


def test_first_run_writes_secrets_and_cert(tmp_path: Path) -> None:
    cfg = cfg_for(tmp_path)
    result = bootstrap(cfg)
    assert result.first_run and result.cert_generated
    assert len(cfg.jwt_secret) >= 40 and len(cfg.transfer_secret) >= 40
    assert cfg.jwt_secret != cfg.transfer_secret
    yaml_file = tmp_path / "data" / "ocis.yaml"
    assert stat.S_IMODE(yaml_file.stat().st_mode) == 0o600
    assert cfg.proxy.tls_cert == str(tmp_path / "data" / "proxy" / "server.crt")
    key = tmp_path / "data" / "proxy" / "server.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    # the next start reads the same secrets back from ocis.yaml and reuses the certificate
    before = (yaml_file.read_bytes(), Path(cfg.proxy.tls_cert).read_bytes())
    cfg2 = cfg_for(tmp_path)
    result2 = bootstrap(cfg2)
    assert not result2.first_run and not result2.cert_generated
    assert (cfg2.jwt_secret, cfg2.transfer_secret) == (cfg.jwt_secret, cfg.transfer_secret)
    assert (yaml_file.read_bytes(), Path(cfg2.proxy.tls_cert).read_bytes()) == before


def test_env_secret_wins_and_file_is_not_rewritten(tmp_path: Path) -> None:
    bootstrap(cfg_for(tmp_path))
    yaml_file = tmp_path / "data" / "ocis.yaml"
    before = yaml_file.read_bytes()
    cfg = cfg_for(tmp_path, OCIS_JWT_SECRET="from-env")
    bootstrap(cfg)
    assert cfg.jwt_secret == "from-env"
    assert yaml_file.read_bytes() == before


def test_missing_secret_in_existing_file_is_appended(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "ocis.yaml").write_text("log_level: debug")
    cfg = cfg_for(tmp_path)
    bootstrap(cfg)
    text = (data / "ocis.yaml").read_text()
    assert text.startswith("log_level: debug\n")
    again = cfg_for(tmp_path)
    assert again.jwt_secret == cfg.jwt_secret and again.log_level == "debug"


def test_certificate_properties() -> None:
    cert_pem, key_pem = generate_self_signed(["localhost", "127.0.0.1", "::1", "myhost"])
    cert = x509.load_pem_x509_certificate(cert_pem)
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"localhost", "myhost"}
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert datetime.timedelta(days=364) < lifetime < datetime.timedelta(days=366)
    assert b"BEGIN PRIVATE KEY" in key_pem


def test_no_tls_no_cert(tmp_path: Path) -> None:
    cfg = cfg_for(tmp_path, PROXY_TLS="false")
    result = bootstrap(cfg)
    assert result.cert_file is None
    assert not (tmp_path / "data" / "proxy" / "server.crt").exists()


def test_configured_cert_unreadable(tmp_path: Path) -> None:
    cfg = cfg_for(
        tmp_path,
        PROXY_TRANSPORT_TLS_CERT=str(tmp_path / "nope.crt"),
        PROXY_TRANSPORT_TLS_KEY=str(tmp_path / "nope.key"),
    )
    with pytest.raises(ConfigError, match=r"^PROXY_TRANSPORT_TLS_CERT: cannot read .*nope.crt"):
        bootstrap(cfg)


def test_configured_cert_invalid(tmp_path: Path) -> None:
    (tmp_path / "bad.crt").write_text("not a certificate\n")
    (tmp_path / "bad.key").write_text("not a key\n")
    cfg = cfg_for(
        tmp_path, PROXY_TRANSPORT_TLS_CERT=str(tmp_path / "bad.crt"), PROXY_TRANSPORT_TLS_KEY=str(tmp_path / "bad.key")
    )
    with pytest.raises(ConfigError, match=r"^PROXY_TRANSPORT_TLS_CERT: .* is not a PEM certificate"):
        bootstrap(cfg)


def test_configured_key_mismatch(tmp_path: Path) -> None:
    cert1, _ = generate_self_signed(["localhost"])
    _, key2 = generate_self_signed(["localhost"])
    (tmp_path / "c.crt").write_bytes(cert1)
    (tmp_path / "k.key").write_bytes(key2)
    cfg = cfg_for(
        tmp_path, PROXY_TRANSPORT_TLS_CERT=str(tmp_path / "c.crt"), PROXY_TRANSPORT_TLS_KEY=str(tmp_path / "k.key")
    )
    with pytest.raises(ConfigError, match=r"^PROXY_TRANSPORT_TLS_KEY: "):
        bootstrap(cfg)


def test_configured_cert_ok(tmp_path: Path) -> None:
    cert, key = generate_self_signed(["localhost"])
    (tmp_path / "c.crt").write_bytes(cert)
    (tmp_path / "k.key").write_bytes(key)
    cfg = cfg_for(
        tmp_path, PROXY_TRANSPORT_TLS_CERT=str(tmp_path / "c.crt"), PROXY_TRANSPORT_TLS_KEY=str(tmp_path / "k.key")
    )
    result = bootstrap(cfg)
    assert result.cert_file == tmp_path / "c.crt" and not result.cert_generated
    assert not (tmp_path / "data" / "proxy" / "server.crt").exists()


def test_cert_without_key(tmp_path: Path) -> None:
    cfg = cfg_for(tmp_path, PROXY_TRANSPORT_TLS_CERT=str(tmp_path / "c.crt"))
    with pytest.raises(ConfigError, match=r"^PROXY_TRANSPORT_TLS_KEY: not set"):
        bootstrap(cfg)


def test_broken_generated_cert_is_regenerated(tmp_path: Path) -> None:
    cfg = cfg_for(tmp_path)
    bootstrap(cfg)
    Path(cfg.proxy.tls_cert).write_text("garbage")
    cfg2 = cfg_for(tmp_path)
    assert bootstrap(cfg2).cert_generated
    x509.load_pem_x509_certificate(Path(cfg2.proxy.tls_cert).read_bytes())
