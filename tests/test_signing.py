"""Signed audit records: keys, a signed call, and every kind of forged record named by verify."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from adaptive_pilot.dsmb.run import run_interim
from adaptive_pilot.errors import InputError
from adaptive_pilot.interim import audit
from adaptive_pilot.interim.signing import (
    MEANING,
    Signature,
    SigningKey,
    generate_key,
    load_public_keys,
)
from test_interim import DESIGN, PATIENTS

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def keys(tmp_path):
    """Two analysts' key pairs; only the first one's public key is in the verifier's folder."""
    mine = tmp_path / "mine"
    other = tmp_path / "other"
    public = tmp_path / "public"
    for folder in (mine, other, public):
        folder.mkdir()
    private, pub, _ = generate_key("Dr Ada Nyone", mine)
    intruder, _, _ = generate_key("Mallory", other)
    pub.rename(public / pub.name)
    return {"key": private, "intruder": intruder, "public": public}


def test_keygen_writes_a_private_key_only_its_owner_can_read_and_never_overwrites(keys):
    mode = stat.S_IMODE(os.stat(keys["key"]).st_mode)
    assert mode == 0o600
    document = json.loads(keys["key"].read_text())
    assert document["analyst"] == "Dr Ada Nyone" and document["encrypted"] is False
    with pytest.raises(InputError, match="already exists; a key is never overwritten"):
        generate_key("Dr Ada Nyone", keys["key"].parent)
    loaded = load_public_keys(keys["public"])
    assert [k.analyst for k in loaded.values()] == ["Dr Ada Nyone"]


def test_a_passphrase_protects_the_private_key(tmp_path):
    private, _, _ = generate_key("P. Rotected", tmp_path, b"correct horse battery")
    assert "ENCRYPTED" in json.loads(private.read_text())["private_key"]
    with pytest.raises(InputError, match="is protected by a passphrase"):
        SigningKey.load(private)
    with pytest.raises(InputError, match="the passphrase is wrong"):
        SigningKey.load(private, b"wrong horse battery")
    key = SigningKey.load(private, b"correct horse battery")
    assert key.analyst == "P. Rotected"


def _signed_call(keys, db, out=None):
    key = SigningKey.load(keys["key"])
    return run_interim(DESIGN, data=PATIENTS, as_of=AS_OF, audit=db, key=key, out=out)


def test_a_signed_call_carries_name_time_and_meaning_and_verifies(keys, tmp_path):
    db, out = tmp_path / "trail.db", tmp_path / "call"
    result = _signed_call(keys, db, out)
    signature = result.audit["signature"]
    assert signature["signer"] == "Dr Ada Nyone" and signature["meaning"] == MEANING
    assert result.analyst == "Dr Ada Nyone"
    record = audit.read_records(db)[0]
    assert record.signature is not None and record.signature.signed_utc.endswith("Z")
    check = audit.verify(db, keys=load_public_keys(keys["public"]))
    assert check.ok and check.signers == {"Dr Ada Nyone": 1}
    closed = (out / "closed_report.html").read_text()
    assert "Electronic signature: Dr Ada Nyone" in closed and "meaning: interim decision" in closed
    assert json.loads((out / "decision.json").read_text())["audit"]["signature"]["signer"] == (
        "Dr Ada Nyone"
    )


def test_a_signed_call_by_someone_else_than_the_key_owner_is_refused(keys, tmp_path):
    key = SigningKey.load(keys["key"])
    with pytest.raises(InputError, match="is not the key's analyst"):
        run_interim(DESIGN, data=PATIENTS, as_of=AS_OF, audit=tmp_path / "t.db", key=key,
                    analyst="Someone Else")  # fmt: skip


def _append_raw(db, record, signature=None):
    """What a forger with write access can do: insert a row, hashed by the public recipe."""
    connection = sqlite3.connect(db)
    connection.execute(
        "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (record.id, record.created_utc, record.analyst, record.design_hash,
         json.dumps(record.payload, sort_keys=True, separators=(",", ":")),
         record.previous_hash, record.hash, signature),
    )  # fmt: skip
    connection.commit()
    connection.close()


def _forged(db):
    last = audit.read_records(db)[-1]
    payload = {**last.payload, "decisions": [{"cohort": "G12D", "decision": "go"}]}
    digest = audit.record_hash(last.id + 1, "2026-12-01T00:00:00Z", "Dr Ada Nyone",
                               last.design_hash, payload, last.hash)  # fmt: skip
    return audit.AuditRecord(last.id + 1, "2026-12-01T00:00:00Z", "Dr Ada Nyone",
                             last.design_hash, payload, last.hash, digest)  # fmt: skip


@pytest.mark.parametrize("forgery", ["unsigned", "other key", "copied", "renamed signer"])
def test_a_record_appended_without_the_key_is_named(keys, tmp_path, forgery):
    db = tmp_path / "trail.db"
    _signed_call(keys, db)
    public = load_public_keys(keys["public"])
    assert audit.verify(db).ok  # the chain alone cannot tell: the forgery is well hashed
    forged = _forged(db)
    genuine = audit.read_records(db)[0].signature
    assert genuine is not None
    if forgery == "unsigned":
        stored, expected = None, "record 2: unsigned"
    elif forgery == "other key":
        stored = SigningKey.load(keys["intruder"]).sign(forged.hash)
        expected = "record 2: signed with key"
    elif forgery == "copied":
        stored, expected = genuine, "record 2: its signature by Dr Ada Nyone does not match"
    else:
        mine = SigningKey.load(keys["intruder"]).sign(forged.hash)
        stored = Signature("Dr Ada Nyone", mine.signed_utc, mine.meaning, genuine.key_fingerprint,
                           mine.value)  # fmt: skip
        expected = "record 2: its signature by Dr Ada Nyone does not match"
    text = None if stored is None else json.dumps(stored.to_dict())
    _append_raw(db, forged, text)
    check = audit.verify(db, keys=public)
    assert audit.verify(db).ok and not check.ok
    assert len(check.signature_problems) == 1
    assert check.signature_problems[0].startswith(expected), check.signature_problems


def test_the_command_line_makes_a_key_signs_verifies_and_catches_a_forged_append(tmp_path, capsys):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "adaptive_pilot.cli", *map(str, args)],
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    made = cli("audit", "keygen", "--analyst", "Dr Ada Nyone", "--out", tmp_path)
    assert made.returncode == 0 and "permissions 0600" in made.stdout
    db, public = tmp_path / "trail.db", tmp_path / "public"
    public.mkdir()
    (tmp_path / "dr-ada-nyone.pub").rename(public / "dr-ada-nyone.pub")
    signed = cli("interim", DESIGN, "--data", PATIENTS, "--as-of", AS_OF, "--audit", db,
                 "--sign", tmp_path / "dr-ada-nyone.key", "--out", tmp_path / "call")  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    verified = cli("audit", "verify", "--audit", db, "--keys", public)
    assert verified.returncode == 0 and "signatures: 1 of 1 valid (Dr Ada Nyone 1)" in (
        verified.stdout
    )
    _append_raw(db, _forged(db))
    caught = cli("audit", "verify", "--audit", db, "--keys", public)
    assert caught.returncode == 1 and "record 2: unsigned" in caught.stdout
    unchecked = cli("audit", "verify", "--audit", db)
    assert unchecked.returncode == 0 and "not checked (give --keys" in unchecked.stdout
    listed = cli("audit", "list", "--audit", db)
    assert "signed by Dr Ada Nyone" in listed.stdout.splitlines()[0]
    for args, message in (
        (("audit", "keygen", "--out", tmp_path), "--analyst: give the key owner's name"),
        (("audit", "verify", "--audit", db, "--keys", tmp_path / "none"), "--keys: "),
        (
            (
                "interim",
                DESIGN,
                "--data",
                PATIENTS,
                "--sign",
                public / "dr-ada-nyone.pub",
                "--audit",
                db,
            ),
            "--sign: dr-ada-nyone.pub is not a private key file",
        ),
        (
            ("interim", DESIGN, "--data", PATIENTS, "--sign", tmp_path / "dr-ada-nyone.key"),
            "--sign: signs the audit record: give --audit",
        ),
    ):  # bad input: the same entry point in this process (a new process per case is slow)
        from adaptive_pilot.cli import main

        with pytest.raises(SystemExit) as stopped:
            main([str(a) for a in args])
        stderr = capsys.readouterr().err
        assert stopped.value.code == 2 and stderr.count("\n") == 1, stderr
        assert message in stderr
