from __future__ import annotations

import json

import pytest
from structlog.testing import capture_logs

from brondata._logging import REDACTED, configure_logging, get_logger


def test_secrets_and_identifiers_never_reach_the_log() -> None:
    log = get_logger(session="s-1")
    with capture_logs() as captured:
        log.info(
            "callback",
            url="https://lender.example/cb?code=abc123&state=xyz&iss=https://bank",
            iban="NL76RABO0359400371",
            body={
                "access_token": "tok-s3cret",
                "note": "bsn 999993653, rekening NL76 RABO 0359 4003 71",
            },
            header="Authorization: Bearer eyJhbGciOi.x.y",
            number=123456782,
        )
    (event,) = captured
    text = repr(event)
    for secret in (
        "abc123",
        "xyz",
        "NL76RABO0359400371",
        "999993653",
        "tok-s3cret",
        "eyJhbGciOi",
        "0359",
    ):
        assert secret not in text, secret
    assert event["iban"] == REDACTED
    assert event["session"] == "s-1"
    assert "iss=https://bank" in event["url"]


def test_ordinary_fields_pass_unchanged() -> None:
    with capture_logs() as captured:
        get_logger().info("collected", source="bank", records=3, seconds=0.25)
    assert captured[0]["records"] == 3
    assert captured[0]["source"] == "bank"


def test_the_cli_pipeline_redacts_and_filters(capsys: pytest.CaptureFixture[str]) -> None:
    import structlog

    configure_logging("info", as_json=True)
    try:
        log = get_logger()
        log.debug("hidden", detail="x")
        log.info("callback", url="https://x/cb?code=abc123&state=s1", iban="NL76RABO0359400371")
        err = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
    lines = [json.loads(line) for line in err.splitlines()]
    assert [entry["event"] for entry in lines] == ["callback"]
    assert "abc123" not in err
    assert "NL76RABO0359400371" not in err
    assert lines[0]["level"] == "info"


def test_a_deferred_pipeline_is_set_up_by_the_first_event(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import structlog

    structlog.reset_defaults()
    configure_logging("info", as_json=True, deferred=True)
    try:
        assert not structlog.is_configured()
        get_logger().info("callback", iban="NL76RABO0359400371")
        assert structlog.is_configured()
        err = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
    assert json.loads(err)["event"] == "callback"
    assert "NL76RABO0359400371" not in err


@pytest.mark.parametrize(
    "uuid",
    [
        "3f2b8c1e-9a4d-4c2b-8e1f-a123456789b0",  # a 9-digit run inside the last group
        "123456789-bad",  # not a UUID: redacted below
        "a1234567-1234-4234-9234-123456789abc",
        "A1234567-1234-4234-9234-AB12CDEF3456",  # upper case: an IBAN-like tail
        "00000000-0000-4000-8000-000123456789",
    ],
)
def test_uuids_pass_unmangled_while_a_bsn_beside_them_is_redacted(uuid: str) -> None:
    log = get_logger()
    with capture_logs() as captured:
        log.info("session.started", session=uuid, note=f"session {uuid} for bsn 999993653")
    (event,) = captured
    assert "999993653" not in event["note"]
    if uuid.count("-") == 4:
        assert event["session"] == uuid
        assert event["note"] == f"session {uuid} for bsn {REDACTED}"
    else:
        assert "123456789" not in event["session"]


def test_a_bearer_token_shaped_like_a_uuid_is_still_redacted() -> None:
    log = get_logger()
    uuid = "3f2b8c1e-9a4d-4c2b-8e1f-a123456789b0"
    with capture_logs() as captured:
        log.info("call", header=f"Bearer {uuid}", url=f"https://x/cb?state={uuid}")
    (event,) = captured
    assert uuid not in repr(event)
