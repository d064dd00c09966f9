"""riskresearch: credit-risk research for a device-leasing platform."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("riskresearch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
