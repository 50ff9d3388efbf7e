"""brondata: a consent-based source-data gateway.

The public API is the names in ``__all__`` below; everything in a ``_private`` module or not
listed here may change without notice.
"""

from __future__ import annotations

from brondata import errors
from brondata.errors import BrondataError

__all__ = [
    "BrondataError",
    "errors",
]

__version__ = "0.1.0.dev0"
