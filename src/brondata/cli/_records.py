"""``brondata keys``, ``brondata present`` and ``brondata verify``: signed records by hand.

``keys`` manages a ``FileKeyStore`` (generate, rotate, jwks, prune); ``present`` turns records
into presentations of fewer attributes; ``verify`` checks records against a JWKS. Files of
records hold one compact SD-JWT per line. Exit codes: 0 all good, 1 an invalid record,
2 unusable input (a missing file, a bad JWKS or key store).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from brondata.cli._output import fail as _fail
from brondata.errors import BrondataError, InvalidKeyError, RecordError

if TYPE_CHECKING:
    # Imported where used, so that ``brondata --help`` loads neither rich nor the signing stack.
    from rich.table import Table

    from brondata.records import Algorithm, KeyBindingPolicy, KeySet, SigningKey, VerifiedRecord

__all__ = ["register", "verify_lines"]

keys_app = typer.Typer(
    name="keys", help="Signing keys: generate, rotate, publish.", no_args_is_help=True
)

StoreOption = Annotated[
    Path, typer.Option("--dir", help="Key store directory (private keys are kept 0600).")
]


def _algorithm(value: str) -> Algorithm:
    if value not in ("ES256", "EdDSA", "Ed25519"):
        raise typer.BadParameter("use ES256 or EdDSA")
    return value  # type: ignore[return-value]  # checked against the allowed names above


@keys_app.command("generate")
def keys_generate(
    directory: StoreOption,
    alg: Annotated[str, typer.Option(help="ES256 (default) or EdDSA (Ed25519).")] = "ES256",
) -> None:
    """Create the first signing key of a key store."""
    from brondata.records import FileKeyStore

    try:
        key = FileKeyStore(directory).generate(_algorithm(alg))
    except BrondataError as exc:
        raise _fail(exc) from None
    typer.echo(key.kid)


@keys_app.command("rotate")
def keys_rotate(
    directory: StoreOption,
    retain_days: Annotated[
        int,
        typer.Option(
            min=0,
            help="Keep the old public key this many days: at least the longest record lifetime.",
        ),
    ],
    alg: Annotated[str | None, typer.Option(help="Algorithm of the new key.")] = None,
) -> None:
    """Replace the active key; the old one stops signing and stays in the JWKS a while."""
    from brondata.records import FileKeyStore

    now = datetime.now(UTC)
    try:
        key = FileKeyStore(directory).rotate(
            now, now + timedelta(days=retain_days), alg=_algorithm(alg) if alg else None
        )
    except BrondataError as exc:
        raise _fail(exc) from None
    typer.echo(key.kid)


@keys_app.command("jwks")
def keys_jwks(
    directory: StoreOption,
    out: Annotated[Path | None, typer.Option(help="Write to this file instead.")] = None,
) -> None:
    """Print the JWKS to publish: the active key and retired keys still retained."""
    from brondata.records import FileKeyStore

    store = FileKeyStore(directory)
    if not directory.is_dir() or not store.key_infos():
        # Reading creates nothing: an empty JWKS for a mistyped --dir would publish no key.
        raise _fail(
            f"no key store at {directory}: create one with `brondata keys generate --dir "
            f"{directory}`, or give --dir the existing one"
        )
    if out is not None and out.is_dir():
        raise _fail(f"--out {out} is a directory; give the file to write the JWKS to")
    try:
        document = json.dumps(store.jwks().to_dict(), indent=2)
    except BrondataError as exc:
        raise _fail(exc) from None
    if out is None:
        typer.echo(document)
    else:
        out.write_text(document + "\n", encoding="utf-8")


@keys_app.command("prune")
def keys_prune(directory: StoreOption) -> None:
    """Forget retired keys whose retention has ended."""
    from brondata.records import FileKeyStore

    try:
        gone = FileKeyStore(directory).prune(datetime.now(UTC))
    except BrondataError as exc:
        raise _fail(exc) from None
    for kid in gone:
        typer.echo(kid)


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _fail(f"{path} is not text: records are compact SD-JWTs, one per line") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _holder_key(path: Path) -> SigningKey:
    from brondata.records import SigningKey

    try:
        raw = path.read_bytes()
        if raw.lstrip().startswith(b"-----BEGIN"):
            return SigningKey.from_pem(raw)
        return SigningKey.from_jwk(json.loads(raw))
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None
    except RecursionError:
        raise _fail(f"{path} is not a private key (PEM or JWK)") from None
    except (ValueError, BrondataError) as exc:
        raise _fail(f"{path} is not a private key (PEM or JWK): {exc}") from None


def present(
    file: Annotated[Path, typer.Argument(help="Records, one compact SD-JWT per line.")],
    attributes: Annotated[
        list[str],
        typer.Option(
            "--attributes",
            "--attribute",
            "-a",
            help="Attributes to disclose, comma-separated (a,b) or repeated.",
        ),
    ],
    holder_key: Annotated[
        Path | None, typer.Option(help="Holder private key (PEM or JWK) for a KB-JWT.")
    ] = None,
    aud: Annotated[str | None, typer.Option(help="The verifier, for the KB-JWT.")] = None,
    nonce: Annotated[str | None, typer.Option(help="The verifier's nonce, for the KB-JWT.")] = None,
) -> None:
    """Print a presentation of each record that holds one of the named attributes, disclosing
    only those; records holding none of them are left out."""
    from brondata.records import SignedRecord

    if holder_key is not None and not (aud and nonce):
        raise _fail("--holder-key signs a KB-JWT for a verifier: give its --aud and --nonce")
    if holder_key is None and (aud is not None or nonce is not None):
        raise _fail("--aud and --nonce go into a KB-JWT: give --holder-key as well")
    holder = _holder_key(holder_key) if holder_key is not None else None
    wanted = {name.strip() for item in attributes for name in item.split(",") if name.strip()}
    shown: set[str] = set()
    out: list[str] = []
    try:
        for line in _read_lines(file):
            record = SignedRecord.parse(line)
            names = [n for n in record.attribute_names if n in wanted]
            if not names:
                continue
            shown.update(names)
            out.append(record.present(names, holder_key=holder, aud=aud, nonce=nonce))
    except RecordError as exc:
        raise _fail(exc, 1) from None
    missing = sorted(wanted - shown)
    if missing:
        raise _fail(f"no record holds {', '.join(missing)}", 1)
    for line in out:
        typer.echo(line)


def verify_lines(
    lines: list[str],
    jwks: KeySet,
    *,
    now: datetime | None = None,
    key_binding: KeyBindingPolicy | None = None,
) -> list[VerifiedRecord | RecordError]:
    """Verify each compact SD-JWT; the result or the error, per line."""
    from brondata.records import verify_record

    results: list[VerifiedRecord | RecordError] = []
    for line in lines:
        try:
            results.append(verify_record(line, jwks, now=now, key_binding=key_binding))
        except RecordError as exc:
            results.append(exc)
    return results


def _as_json(index: int, result: VerifiedRecord | RecordError) -> dict[str, Any]:
    if isinstance(result, RecordError):
        return {"line": index, "valid": False, "error": result.to_dict()}
    return {
        "line": index,
        "valid": True,
        "kid": result.kid,
        "claims": result.claims,
        "attributes": result.attributes,
    }


def _table(index: int, result: VerifiedRecord) -> Table:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"record {index}: valid, signed by {escape(result.kid)}")
    table.add_column("kind")
    table.add_column("name", no_wrap=True)
    table.add_column("value")
    for name, value in result.claims.items():
        if name != "cnf":
            table.add_row("provenance", escape(name), escape(json.dumps(value, ensure_ascii=False)))
    for name, value in sorted(result.attributes.items()):
        table.add_row("attribute", escape(name), escape(json.dumps(value, ensure_ascii=False)))
    return table


def verify(
    file: Annotated[Path, typer.Argument(help="Records, one compact SD-JWT per line.")],
    jwks_file: Annotated[Path, typer.Option("--jwks", help="The issuer's JWKS (JSON).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
    aud: Annotated[
        str | None, typer.Option(help="Require a KB-JWT for this audience (with --nonce).")
    ] = None,
    nonce: Annotated[str | None, typer.Option(help="The nonce the KB-JWT must carry.")] = None,
) -> None:
    """Verify records: print provenance and disclosed attributes; exit 1 if any is invalid."""
    from rich.console import Console

    from brondata.records import KeyBindingPolicy, KeySet

    try:
        jwks = KeySet.from_dict(json.loads(jwks_file.read_text(encoding="utf-8")))
    except OSError as exc:
        raise _fail(f"cannot read {jwks_file}: {exc.strerror}") from None
    except (ValueError, RecursionError):  # nested too deep to parse is not JSON either
        raise _fail(f"{jwks_file} is not JSON") from None
    except (InvalidKeyError, RecordError) as exc:
        raise _fail(exc) from None
    if (aud is None) != (nonce is None):
        raise _fail("--aud and --nonce go together")
    if aud is not None and nonce is not None and not (aud and nonce):
        raise _fail("--aud and --nonce must not be empty: key binding would not be checked")
    policy = KeyBindingPolicy(aud=aud, nonce=nonce) if aud and nonce else None
    lines = _read_lines(file)
    if not lines:
        raise _fail(f"{file} holds no records")
    results = verify_lines(lines, jwks, key_binding=policy)
    if as_json:
        typer.echo(
            json.dumps(
                [_as_json(i, r) for i, r in enumerate(results, 1)], indent=2, ensure_ascii=False
            )
        )
    else:
        console = Console()
        for index, result in enumerate(results, 1):
            if isinstance(result, RecordError):
                typer.echo(f"record {index}: invalid [{result.code}] {result.message}", err=True)
            else:
                console.print(_table(index, result))
    if any(isinstance(r, RecordError) for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``keys``, ``present`` and ``verify`` to the ``brondata`` command."""
    app.add_typer(keys_app, name="keys")
    app.command("present")(present)
    app.command("verify")(verify)
