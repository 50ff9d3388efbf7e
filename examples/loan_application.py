"""Ask a consumer's bank for what a loan application needs, and read the signed answer.

Run it: ``python examples/loan_application.py`` (needs ``pip install 'brondata[mock]'``).
The bank here is brondata's in-process mock; in production you pass a ``Psd2Connector`` for
the real bank and send the consumer to ``login_url`` in their own browser.
"""

from __future__ import annotations

import anyio

from brondata import DataRequest, Gateway, LegalBasis, Purpose, verify_record
from brondata.testing import MockSources


async def main() -> None:
    request = DataRequest(
        purpose=Purpose(term="dpv:CreditChecking", text="Assess your personal loan application"),
        legal_basis=LegalBasis.CONTRACT,
        attributes=["bank.balance_total", "bank.salary_monthly_average"],
        retention_days=90,
        recipient="Voorbeeld Leningen B.V.",
    )
    sources = MockSources(seed=7)  # a synthetic population and its bank, in-process
    async with Gateway.embedded(sources.connectors()) as gateway:
        session = await gateway.start(request, subject="loan-application-0001")
        view = gateway.consent_view(session.id)
        print("The consumer is asked:", view.purpose_text)
        await gateway.give_consent(session.id, notice_hash=view.notice_hash)

        # The consumer logs in at the bank itself; here a scripted browser plays that part.
        url = await gateway.login_url(session.id, "bank")
        applicant = sources.person(0)
        async with sources.consumer("bank") as browser:
            callback = await browser.authorize(
                url, username=applicant.username, password=applicant.password
            )
        await gateway.callback(session.id, "bank", callback)

        result = await gateway.collect(session.id)
        for source, record in result.records.items():
            verified = verify_record(record.compact, gateway.jwks())
            print(f"{source}: {verified.attributes}")
        for source, error in result.errors.items():
            print(f"{source} failed: {error}")


if __name__ == "__main__":
    anyio.run(main)
