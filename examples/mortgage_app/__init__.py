"""A small mortgage lender's application with brondata's consumer journey mounted in it.

``lender.build_app`` is the application: an application form, the journey at ``/journey``,
a thank-you page the consumer returns to, and the underwriter's page with the verified
records, the findings and the decisions. ``python -m mortgage_app`` (from ``examples/``, or
``make example``) runs it against ``brondata mock serve`` on 127.0.0.1 and prints its URL.
"""
