"""``brondata audit``: the consent ledger for a data-protection auditor.

* ``audit keygen``  create the organisation's Ed25519 log key (a file of mode 0600);
* ``audit export``  write entries, leaf hashes, a signed checkpoint and the verifier key;
* ``audit verify``  check an export offline, optionally against an older checkpoint;
* ``audit prove``   an inclusion proof for one entry, in the RFC 9162 test-vector JSON shape;
* ``audit subject`` the access report of one data subject (GDPR art. 15);
* ``audit erase``   erase one data subject (GDPR art. 17): destroy their key, record it.

Where the log key lives: in a file given by ``--key`` (or ``BRONDATA_LOG_KEY``), readable
only by the service account that exports (the command refuses a file others can read), kept
apart from the ledger database and never inside an export or a backup of the database. Its
first line, ``PRIVATE+KEY+<name>+<id>+<key>``, names the log: that name is the checkpoint
origin, so use the organisation's domain (``hypotheek-bv.example/consent-ledger``). Publish
the verifier key (``audit keygen`` prints it) where auditors can fetch it independently of an
export; ``verify --vkey`` takes that copy rather than trusting the one in the folder.

``--db`` is a SQLite file or a ``postgresql://`` URL. Exit codes: 0 all good, 1 the audit or
proof found a problem, 2 unusable input (missing file, bad key, unreachable database).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from brondata.cli._output import fail as _fail
from brondata.cli._output import writable_directory
from brondata.errors import BrondataError, ProofError

if TYPE_CHECKING:
    # Imported where used, so that ``brondata --help`` does not load the ledger's stack.
    from brondata.consent import ConsentLedger, ConsentLog
    from brondata.stores import Stores

__all__ = ["register"]

audit_app = typer.Typer(
    name="audit",
    help=(
        "The consent ledger: export it for an auditor, verify an export, prove an entry;"
        " report on or erase one data subject."
    ),
    no_args_is_help=True,
)

DbOption = Annotated[
    str,
    typer.Option("--db", help="The ledger: a SQLite file, or a postgresql:// URL."),
]
SchemaOption = Annotated[
    str, typer.Option("--schema", help="PostgreSQL schema of the ledger tables.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _require_ledger(db: str, schema: str) -> None:
    """Stop unless ``db`` holds a ledger: looked up read-only, since opening a ledger store
    creates its tables, and a command that reads must not turn a wrong file into a ledger."""
    from brondata.stores import is_dsn, sqlite_path

    if is_dsn(db):
        import psycopg

        where = db.rpartition("@")[2]  # never the password
        try:
            with psycopg.connect(db, connect_timeout=10) as connection:
                row = connection.execute(
                    "SELECT 1 FROM information_schema.tables"
                    " WHERE table_schema = %s AND table_name = 'ledger_entries'",
                    (schema,),
                ).fetchone()
        except psycopg.Error as exc:
            raise _fail(
                f"cannot read the ledger database at {where} ({type(exc).__name__}): "
                "check --db and that the server is up"
            ) from None
        if row is None:
            raise _fail(
                f"schema {schema!r} at {where} holds no brondata ledger: check --db and --schema"
            )
        return
    path = Path(sqlite_path(db))
    if not path.is_file():
        # Opening would create an empty ledger; an audit of nothing is a mistake.
        raise _fail(f"no ledger database at {db}: give --db the SQLite file of the ledger")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_entries'"
            ).fetchone()
    except sqlite3.Error:
        raise _fail(f"{db} is not a SQLite database: give --db the ledger's file") from None
    if row is None:
        raise _fail(f"{db} holds no brondata ledger: give --db the ledger's file")


def _open(db: str, schema: str) -> ConsentLedger:
    from brondata.consent import SqliteLedger
    from brondata.stores import is_dsn, sqlite_path

    _require_ledger(db, schema)
    if is_dsn(db):
        from brondata.consent import PostgresLedger

        return PostgresLedger(db, schema=schema)
    return SqliteLedger(sqlite_path(db))


def _open_stores(db: str, schema: str) -> Stores:
    """The ledger, its subject keyring and the session store, all in the database ``db``."""
    from brondata.stores import open_stores

    _require_ledger(db, schema)
    return open_stores(db, schema=schema)


@contextmanager
def _open_log(db: str, schema: str) -> Iterator[ConsentLog]:
    """The ledger with its subject keyring, which lives in the same database."""
    with _open_stores(db, schema) as stores:
        yield stores.log()


SubjectOption = Annotated[
    str,
    typer.Option(
        "--subject",
        help="The subject: the pseudonym (sub-...) as in the records' 'sub' claim, or the "
        "application's own reference, turned into the pseudonym with the gateway's keys.",
    ),
]
KeysOption = Annotated[
    Path | None,
    typer.Option(
        "--keys",
        help="The gateway's key directory (default: <db>.keys beside a SQLite database).",
    ),
]


def _pseudonym(subject: str, db: str, keys: Path | None) -> str:
    """``subject`` as the ledger knows it: a pseudonym stays, a reference is keyed."""
    from brondata._secrets import GatewaySecrets

    if subject.startswith("sub-"):
        return subject
    directory = keys if keys is not None else Path(f"{db}.keys")
    secrets_file = directory / "secrets.json"
    if not secrets_file.exists():
        raise _fail(
            f"{subject!r} is not a pseudonym (sub-...), and there are no gateway keys at "
            f"{directory} to make one: pass --keys DIR",
            2,
        )
    try:
        return GatewaySecrets.load_or_create(secrets_file).pseudonym(subject)
    except BrondataError as exc:
        raise _fail(exc) from None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@audit_app.command("keygen")
def keygen(
    name: Annotated[
        str, typer.Option("--name", help="The log's name and checkpoint origin, e.g. a domain.")
    ],
    key: Annotated[Path, typer.Option("--key", help="Where to create the key file (0600).")],
) -> None:
    """Create the organisation's log signing key; prints the verifier key to publish."""
    from brondata.consent import LogSigner

    try:
        signer = LogSigner.generate(name)
        signer.write(key)
    except FileExistsError:
        raise _fail(f"{key} exists; a log key is never overwritten") from None
    except (BrondataError, OSError) as exc:
        raise _fail(exc if isinstance(exc, BrondataError) else str(exc)) from None
    typer.echo(signer.vkey())


@audit_app.command("export")
def export_command(
    db: DbOption,
    out: Annotated[Path, typer.Option("--out", help="Directory to write the export to.")],
    key: Annotated[
        Path,
        typer.Option("--key", envvar="BRONDATA_LOG_KEY", help="The log signing key file (0600)."),
    ],
    schema: SchemaOption = "public",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an earlier export in --out.")
    ] = False,
) -> None:
    """Export the ledger with a freshly signed checkpoint."""
    from brondata.consent import LogSigner, export

    writable_directory(out, force=force)
    try:
        signer = LogSigner.from_file(key)
        with closing(_open(db, schema)) as ledger:
            checkpoint = export(ledger, out, signer)
    except BrondataError as exc:
        raise _fail(exc) from None
    typer.echo(f"exported {checkpoint.size} entries to {out}")
    typer.echo(f"checkpoint {checkpoint.origin} {checkpoint.size} {_b64(checkpoint.root)}")


def _is_file(text: str) -> bool:
    """Whether ``text`` names a file (a key literal with NUL or an odd length names none)."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


@audit_app.command("verify")
def verify_command(
    directory: Annotated[Path, typer.Argument(help="An export directory.")],
    since: Annotated[
        Path | None,
        typer.Option("--since", help="An older checkpoint file the export must extend."),
    ] = None,
    vkey: Annotated[
        str | None,
        typer.Option(
            "--vkey",
            help="The published verifier key, or a file holding it (default: the export's).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Verify an export offline: signature, tree, consistency, and what was delivered."""
    from brondata.consent import audit_verify

    published = vkey is not None
    if vkey is not None and (_is_file(vkey) or "+" not in vkey):
        try:
            vkey = Path(vkey).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(f"cannot read the verifier key: {type(exc).__name__}") from None
    try:
        report = audit_verify(directory, since, vkey=vkey)
    except BrondataError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps({**report.to_dict(), "key_published": published}, indent=2))
    else:
        cp = report.checkpoint
        head = f"{cp.origin}: {cp.size} entries" if cp else "no valid checkpoint"
        typer.echo(f"{head}, {report.entries_read} read, root {_b64(report.root)}")
        if report.since is not None:
            typer.echo(f"extends the checkpoint of {report.since.size} entries")
        typer.echo(f"{report.consents} consents, {report.deliveries} deliveries")
        for finding in report.findings:
            where = f"entry {finding.index}: " if finding.index is not None else ""
            typer.echo(f"  {finding.code}: {where}{finding.message}")
        if report.ok and not published:
            # An export carries its own verifier key, and a forged one would too.
            typer.echo(
                "OK as far as the export's own key goes: pass --vkey with the log's published "
                "key to know who signed it"
            )
        elif report.ok:
            typer.echo("OK")
        else:
            typer.echo(f"FAILED: first bad entry {report.first_bad_index}")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("prove")
def prove_command(
    db: DbOption,
    index: Annotated[int, typer.Option("--index", min=0, help="The entry to prove.")],
    size: Annotated[
        int | None,
        typer.Option("--size", min=1, help="Tree size to prove against (a checkpoint's size)."),
    ] = None,
    schema: SchemaOption = "public",
) -> None:
    """Print an inclusion proof of one entry as JSON (leafIdx, treeSize, root, leafHash, proof).

    The shape is that of the RFC 9162 test vectors, so any verifier can check it; the
    command checks it too before printing.
    """
    from brondata.consent import verify_inclusion

    try:
        with closing(_open(db, schema)) as ledger:
            tree_size = size if size is not None else ledger.size()
            proof = ledger.inclusion_proof(index, tree_size)
            root = ledger.root(tree_size)
            entry = ledger.entry(index)
        verify_inclusion(entry.leaf_hash, index, tree_size, proof, root)
    except ProofError as exc:
        raise _fail(exc, 1) from None
    except BrondataError as exc:
        raise _fail(exc) from None
    out: dict[str, Any] = {
        "leafIdx": index,
        "treeSize": tree_size,
        "root": _b64(root),
        "leafHash": _b64(entry.leaf_hash),
        "proof": [_b64(p) for p in proof],
        "entry": entry.canonical.decode("utf-8"),
    }
    typer.echo(json.dumps(out, indent=2))


@audit_app.command("subject")
def subject_command(
    db: DbOption,
    subject: SubjectOption,
    schema: SchemaOption = "public",
    as_json: JsonOption = False,
    keys: KeysOption = None,
) -> None:
    """The access report of one data subject (GDPR art. 15): consents, purposes, sources,
    deliveries and retention, as the ledger records them."""
    from brondata.consent import subject_report

    subject = _pseudonym(subject, db, keys)
    try:
        with _open_log(db, schema) as log:
            report = subject_report(log, subject)
    except BrondataError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        typer.echo(report.to_text(), nl=False)


@audit_app.command("erase")
def erase_command(
    db: DbOption,
    subject: SubjectOption,
    schema: SchemaOption = "public",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    keys: KeysOption = None,
) -> None:
    """Erase one data subject (GDPR art. 17): destroy their key and record data.erased.

    The ledger keeps verifying; the subject's entries can no longer be read or tied to them,
    and their sessions are deleted. This command has no connectors, so access a source still
    grants (a session between login and collection) lapses when its token expires;
    ``Gateway.erase_subject`` in the application revokes it at once. This cannot be undone.
    Exit code 1 if the subject has no key (unknown or erased already).
    """
    subject = _pseudonym(subject, db, keys)
    if not yes:
        typer.confirm(f"Destroy the key of {subject}? This cannot be undone", abort=True)
    try:
        with _open_stores(db, schema) as stores:
            entry = stores.log().erase(subject, at=datetime.now(UTC))
            # The session store holds the pseudonym too: the subject's sessions go as well.
            stores.sessions.forget_subject(subject)
    except BrondataError as exc:
        raise _fail(exc) from None
    if entry is None:
        typer.echo(f"{subject}: no key to destroy (unknown, or erased already)", err=True)
        raise typer.Exit(1)
    typer.echo(f"erased {subject}: key destroyed, data.erased recorded as entry {entry.index}")


def register(app: typer.Typer) -> None:
    """Add the ``audit`` commands to ``app``."""
    app.add_typer(audit_app, name="audit")
