"""Exception classes of riskresearch.

Every message follows one template: it names the parameter, column, key or file that is wrong,
says what was expected and what was found, so the user knows what to change.
"""


class RiskResearchError(Exception):
    """Base class of every error raised on purpose by riskresearch."""


class ConfigError(RiskResearchError, ValueError):
    """A configuration value (CLI option, YAML key, parameter) is invalid."""


class DataError(RiskResearchError, ValueError):
    """Input data is missing, malformed or inconsistent (names the columns or rows)."""


class BuildError(RiskResearchError, RuntimeError):
    """A build step (warehouse, modeling table, release) failed; nothing partial was left behind."""
