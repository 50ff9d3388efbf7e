"""Euro amounts to cents: the one rounding helper, with the rule each kind of amount needs.

* ``Rounding.STATISTIC`` (half to even): figures brondata derives itself from many amounts
  (a six-month average of salary credits). Ties go to the even cent, so that rounding adds
  no bias over many figures: IEEE 754-2019 clause 4.3.3, roundTiesToEven, the default for
  decimal arithmetic (Python's ``decimal`` context too).
* ``Rounding.COMMERCIAL`` (half away from zero): an amount a rule table gives, such as the
  beslagvrije voet. The tables round with zen-engine's ``round``, which rounds half away from
  zero, the rule of commercial arithmetic (and of the Participatiewet norm amounts, which
  SZW publishes rounded to cents this way); rounding again here is then exact.
* ``Rounding.MAXIMUM`` (towards zero): a maximum that a norm sets (``decision.max_mortgage``).
  A maximum must never round above what the norm allows (Tijdelijke regeling hypothecair
  krediet art. 3: the loan may not exceed the amount the norm gives), so it is truncated.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import Enum

__all__ = ["Rounding", "cents"]

_CENT = Decimal("0.01")


class Rounding(Enum):
    STATISTIC = ROUND_HALF_EVEN
    COMMERCIAL = ROUND_HALF_UP
    MAXIMUM = ROUND_DOWN


def cents(amount: Decimal | int, rounding: Rounding) -> Decimal:
    """``amount`` rounded to whole cents by ``rounding`` (see the module text)."""
    return Decimal(amount).quantize(_CENT, rounding=rounding.value)
