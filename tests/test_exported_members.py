"""The public surface is listed once, sorted, and equals the public names, both ways.

As httpx's ``test_exported_members``: ``__all__`` must name every public name a package
defines and nothing it does not. The top-level package resolves its names lazily (PEP 562),
so each name is resolved first; submodules that importing pulls in become attributes of
their package too, and count as public only when ``__all__`` lists them (``errors``).
"""

from __future__ import annotations
import __future__

import importlib
import subprocess
import sys
import typing
from types import ModuleType

import pytest

import brondata

# The packages whose __init__ is an API surface and nothing else.
PACKAGES = ["brondata", "brondata.consent", "brondata.errors", "brondata.records"]


def _public_names(module: ModuleType) -> set[str]:
    """Names without a leading underscore that the package defines or re-exports from
    brondata: not its tools (stdlib and third-party imports for its own use), not the
    ``TYPE_CHECKING`` switch, not submodules that importing merely attached to it."""
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_") or name == "TYPE_CHECKING" or value is __future__.annotations:
            continue
        if isinstance(value, ModuleType):
            if value.__name__ == f"{module.__name__}.{name}" and name in module.__all__:
                names.add(name)
            continue
        origin = getattr(value, "__module__", None)
        if origin is None or origin.startswith("brondata") or typing.get_origin(value):
            names.add(name)  # data, brondata's own, or a type alias such as a Literal
    return names


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_unique(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    # isort style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    assert exported == sorted(
        exported, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    assert len(set(exported)) == len(exported)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_equals_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    for member in module.__all__:  # resolves lazy names, and fails for a listed one missing
        assert hasattr(module, member), f"{name}.{member} is listed but missing"
    assert sorted(_public_names(module)) == sorted(module.__all__)


def test_dir_lists_the_lazy_names() -> None:
    assert set(brondata.__all__) <= set(dir(brondata))


def test_top_level_names_come_from_their_modules() -> None:
    assert brondata.Gateway.__module__ == "brondata.gateway"
    assert brondata.DataRequest.__module__ == "brondata.request"
    assert issubclass(brondata.errors.UnknownAttributeError, brondata.BrondataError)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = brondata.no_such_name  # type: ignore[attr-defined]


def test_import_brondata_loads_nothing_it_does_not_use() -> None:
    """``import brondata`` alone imports none of its modules and none of the heavy
    dependencies; a fresh interpreter, as this test process has imported them all."""
    probe = (
        "import sys, brondata\n"
        "heavy = ('structlog', 'rich', 'authlib', 'joserfc', 'pydantic', 'httpx2', 'typing')\n"
        "print(sorted(m for m in sys.modules if m.startswith('brondata.')"
        " or m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_gateway_import_does_not_load_structlog() -> None:
    probe = "import sys\nfrom brondata import Gateway\nprint('structlog' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_verifier_does_not_load_the_key_store() -> None:
    """Verifying records does not need the key store (nor its file and index handling)."""
    probe = (
        "import sys\nfrom brondata import verify_record\n"
        "print('brondata.records._keystore' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
