"""Signed audit records: an analyst's Ed25519 key signs a record's hash, name, time and meaning.

21 CFR Part 11 asks that electronic records be attributable to a person
(§11.10(e)) and that a signature show the signer's printed name, the date and
time, and its meaning (§11.50). A signature here covers exactly that: the
canonical JSON of the record's hash, the signer's name, the UTC time of
signing, the meaning (``interim decision``) and the key's fingerprint, signed
with the analyst's Ed25519 private key (the ``cryptography`` package). Anyone
holding the public keys can check every record; nobody without a private key
can make a signature that checks, so a record appended by someone else (even
hashed by the public recipe) is named as unsigned or wrongly signed.

Key files (JSON, one per key; both name the analyst and the key's fingerprint):

* ``NAME.key``: the private key as PKCS#8 PEM, encrypted with the passphrase
  when one is given; written with permissions 0600 and never overwritten;
* ``NAME.pub``: the public key (32 bytes, base64), to hand to whoever verifies.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = [
    "MEANING",
    "PublicKey",
    "Signature",
    "SigningKey",
    "generate_key",
    "key_is_encrypted",
    "load_public_keys",
]

#: The meaning every interim-call signature states (Part 11 §11.50(a)(3)).
MEANING = "interim decision"
_KEY_FORMAT = "adaptive_pilot signing key v1"
_SIGNATURE_FORMAT = "adaptive_pilot record signature v1"
_ALGORITHM = "Ed25519"
_MAX_KEY_FILE = 64 << 10


def fingerprint(raw_public_key: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, in hex."""
    return hashlib.sha256(raw_public_key).hexdigest()


@dataclass(frozen=True)
class Signature:
    """A signature manifestation: who signed which record, when, meaning what, and the bytes."""

    signer: str
    signed_utc: str
    meaning: str
    key_fingerprint: str
    value: str
    algorithm: str = _ALGORITHM

    @staticmethod
    def message(record_hash: str, signer: str, signed_utc: str, meaning: str, key: str) -> bytes:
        """The bytes signed: canonical JSON of the record hash and the manifestation."""
        body = {
            "format": _SIGNATURE_FORMAT,
            "record_hash": record_hash,
            "signer": signer,
            "signed_utc": signed_utc,
            "meaning": meaning,
            "key_fingerprint": key,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def line(self) -> str:
        """The manifestation in words (for reports and listings)."""
        return (
            f"signed by {self.signer} on {self.signed_utc} (UTC); meaning: {self.meaning}; "
            f"{self.algorithm} key {self.key_fingerprint[:16]}"
        )

    def to_dict(self) -> dict[str, str]:
        """The stored form: every field (the dataclass's own list, so none is forgotten)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Signature:
        """Read a stored signature; ValueError when it is not one."""
        names = [f.name for f in dataclasses.fields(cls)]
        if not isinstance(data, dict) or any(not isinstance(data.get(n), str) for n in names):
            raise ValueError("not a signature, or a signature field is missing")
        return cls(**{n: data[n] for n in names})


@dataclass(frozen=True)
class PublicKey:
    """An analyst's public key, as read from a ``.pub`` file."""

    analyst: str
    fingerprint: str
    raw: bytes
    file: str

    def check(self, record_hash: str, signature: Signature) -> str | None:
        """None when ``signature`` is this key's signature of the record; else what is wrong."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        if signature.algorithm != _ALGORITHM:
            return f"its signature uses {signature.algorithm!r}, not {_ALGORITHM}"
        if signature.signer != self.analyst:
            return (
                f"its signature names {signature.signer!r} but key {self.fingerprint[:16]} "
                f"belongs to {self.analyst!r}"
            )
        message = Signature.message(
            record_hash, signature.signer, signature.signed_utc, signature.meaning, self.fingerprint
        )
        try:
            value = base64.b64decode(signature.value, validate=True)
            Ed25519PublicKey.from_public_bytes(self.raw).verify(value, message)
        except (InvalidSignature, ValueError):
            return (
                f"its signature by {signature.signer} does not match the record (the record "
                f"was changed after signing, or the signature was made without the key)"
            )
        return None


@dataclass(frozen=True)
class SigningKey:
    """An analyst's private key, ready to sign."""

    analyst: str
    fingerprint: str
    _private: Any

    @classmethod
    def load(cls, path: str | Path, passphrase: bytes | None = None) -> SigningKey:
        """Read a ``.key`` file.

        Raises
        ------
        InputError
            Not a key file, a wrong or missing passphrase.
        """
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        data = _key_document(path, "sign", private=True)
        encrypted = bool(data.get("encrypted"))
        if encrypted and passphrase is None:
            raise InputError(
                "sign",
                f"{Path(path).name} is protected by a passphrase: give --passphrase-file, or "
                f"run the command on a terminal to be asked for it",
            )
        try:
            private = load_pem_private_key(
                data["private_key"].encode("ascii"), passphrase if encrypted else None
            )
        except (ValueError, TypeError):
            reason = "the passphrase is wrong" if encrypted else "its private key is damaged"
            raise InputError("sign", f"{Path(path).name} cannot be opened: {reason}") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise InputError("sign", f"{Path(path).name} does not hold an Ed25519 key")
        raw = _raw_public(private)
        if fingerprint(raw) != data["fingerprint"]:
            raise InputError("sign", f"{Path(path).name}: its fingerprint does not match its key")
        return cls(data["analyst"], data["fingerprint"], private)

    def sign(self, record_hash: str, signed_utc: str | None = None) -> Signature:
        """Sign a record's hash now (or at ``signed_utc``), with the meaning :data:`MEANING`."""
        when = signed_utc or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        message = Signature.message(record_hash, self.analyst, when, MEANING, self.fingerprint)
        value = base64.b64encode(self._private.sign(message)).decode("ascii")
        return Signature(self.analyst, when, MEANING, self.fingerprint, value)


def generate_key(
    analyst: str, folder: str | Path, passphrase: bytes | None = None
) -> tuple[Path, Path, str]:
    """Make an Ed25519 key pair for ``analyst``: (private file, public file, fingerprint).

    The private key file is created with permissions 0600 and never replaces an
    existing file.

    Raises
    ------
    InputError
        An empty name, a missing or read-only folder, a key file already there.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    name = " ".join(analyst.split())
    if not name or len(name) > 200:
        raise InputError("analyst", "give the analyst's name (1 to 200 characters)")
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("out", f"the folder {folder} does not exist")
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "analyst"
    private_path, public_path = folder / f"{stem}.key", folder / f"{stem}.pub"
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise InputError("out", f"{path} already exists; a key is never overwritten")
    key = Ed25519PrivateKey.generate()
    raw = _raw_public(key)
    print_ = fingerprint(raw)
    encryption: Any = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode("ascii")
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    common = {"format": _KEY_FORMAT, "analyst": name, "algorithm": _ALGORITHM,
              "created_utc": created, "fingerprint": print_}  # fmt: skip
    private_doc = {**common, "kind": "private", "encrypted": bool(passphrase), "private_key": pem}
    public_doc = {**common, "kind": "public", "public_key": base64.b64encode(raw).decode()}
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except PermissionError:
        raise InputError("out", f"cannot write in {folder}: permission denied") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(private_doc, indent=2) + "\n")
    os.chmod(private_path, 0o600)  # whatever the umask
    try:
        fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:
        private_path.unlink(missing_ok=True)
        raise InputError("out", f"cannot write {public_path}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(public_doc, indent=2) + "\n")
    return private_path, public_path, print_


def key_is_encrypted(path: str | Path) -> bool:
    """Whether a private key file is protected by a passphrase (False if it is not a key file)."""
    try:
        return bool(_key_document(path, "sign", private=True).get("encrypted"))
    except InputError:
        return False


def load_public_keys(folder: str | Path) -> dict[str, PublicKey]:
    """Every ``.pub`` file in ``folder``, by fingerprint.

    Raises
    ------
    InputError
        Not a folder, no key in it, or a file that is not a public key.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("keys", f"{folder} is not a folder of public keys (.pub files)")
    keys: dict[str, PublicKey] = {}
    for path in sorted(folder.glob("*.pub")):
        data = _key_document(path, "keys", private=False)
        try:
            raw = base64.b64decode(data["public_key"], validate=True)
        except (ValueError, TypeError):
            raw = b""
        if len(raw) != 32 or fingerprint(raw) != data["fingerprint"]:
            raise InputError("keys", f"{path.name}: its public key does not match its fingerprint")
        keys[data["fingerprint"]] = PublicKey(data["analyst"], data["fingerprint"], raw, path.name)
    if not keys:
        raise InputError("keys", f"{folder} holds no public key (.pub file)")
    return keys


def _key_document(path: str | Path, field: str, *, private: bool) -> dict[str, Any]:
    """A key file's JSON, checked for the fields it must have."""
    path = Path(path)
    kind = "private" if private else "public"
    if not path.is_file():
        missing = "does not exist" if not path.exists() else "is not a regular file"
        raise InputError(field, f"{path} {missing}")
    if path.stat().st_size > _MAX_KEY_FILE:
        raise InputError(field, f"{path.name} is not a {kind} key file (too large)")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    wanted = ("analyst", "fingerprint", "private_key" if private else "public_key")
    if (
        not isinstance(data, dict)
        or data.get("format") != _KEY_FORMAT
        or data.get("kind") != kind
        or any(not isinstance(data.get(k), str) for k in wanted)
    ):
        made = "audit keygen" if private else "audit keygen (the .pub file)"
        raise InputError(field, f"{path.name} is not a {kind} key file made by {made}")
    return data


def _raw_public(private: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    raw: bytes = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return raw
