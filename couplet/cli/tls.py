"""HTTPS for `couplet serve`: a given certificate and key, or (`--tls`) a local CA and a server
certificate for 127.0.0.1 and localhost signed by it, made once and kept for the next start.

A real client (the engine, MSAL, a browser) trusts the server when it trusts the CA file:
point `COUPLET_ENGINE_CA_BUNDLE` at it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..engine.errors import ConfigError

DEFAULT_DIR = Path(".couplet/tls")
LIFETIME = dt.timedelta(days=365)


@dataclass(frozen=True)
class Tls:
    cert_file: str
    key_file: str
    ca_file: str | None = None  # set when generated: what clients must trust


def cert_file(tls: Tls | None) -> str | None:
    return tls.cert_file if tls else None


def key_file(tls: Tls | None) -> str | None:
    return tls.key_file if tls else None


def choose(
    generate: bool, cert: Path | None, key: Path | None, directory: Path = DEFAULT_DIR
) -> Tls | None:
    """The TLS files the options name; None serves plain HTTP."""
    if cert or key:
        if not (cert and key):
            raise ConfigError("HTTPS needs both --tls-cert and --tls-key.")
        for path in (cert, key):
            if not path.is_file():
                raise ConfigError(f"The TLS file {path} does not exist.")
        return Tls(str(cert), str(key))
    return self_signed(directory) if generate else None


def self_signed(directory: Path) -> Tls:
    """The local CA and server certificate in `directory`, made when missing or expiring."""
    # Absolute, so the printed CA path works from any directory.
    directory = directory.resolve()
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    now = dt.datetime.now(dt.UTC)
    if all(p.is_file() for p in (ca_file, cert_file, key_file)):
        current = x509.load_pem_x509_certificate(cert_file.read_bytes())
        if current.not_valid_after_utc > now + dt.timedelta(days=1):
            return Tls(str(cert_file), str(key_file), str(ca_file))
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "couplet local CA")])
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = (
        _builder(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]),
            ca_name,
            key.public_key(),
            now,
        )
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(ca_file, ca.public_bytes(serialization.Encoding.PEM))
    _write(cert_file, server.public_bytes(serialization.Encoding.PEM))
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write(key_file, pem_key, private=True)
    return Tls(str(cert_file), str(key_file), str(ca_file))


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey, now: dt.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + LIFETIME)
    )


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _write(path: Path, data: bytes, private: bool = False) -> None:
    # Written aside and renamed, so a server starting alongside never reads half a file.
    part = path.with_suffix(".part")
    part.write_bytes(data)
    if private:
        os.chmod(part, 0o600)
    part.replace(path)
