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


def from_validation_error(exc, owner: str, aliases: dict[str, str] | None = None) -> ConfigError:
    """Turn a pydantic ``ValidationError`` into a one-line ConfigError naming the key.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The error raised while validating a configuration.
    owner : str
        What was being configured, e.g. ``"riskresearch data build"``.
    aliases : dict, optional
        Maps field names to the names the user typed, e.g.
        ``{"n_applications": "--applications"}``.
    """
    aliases = aliases or {}
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        name = aliases.get(loc, loc)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            parts.append(f"'{name}' is not a known key of {owner}; remove it or fix its spelling")
        elif err["type"] == "missing":
            parts.append(f"the '{name}' key of {owner} is required")
        elif name:
            got = err.get("input")
            rule = msg[0].lower() + msg[1:]
            parts.append(f"the '{name}' parameter of {owner}: {rule}. Got {got!r} instead")
        else:
            parts.append(f"{owner}: {msg.removeprefix('Value error, ')}")
    text = "; ".join(parts)
    return ConfigError(text[0].upper() + text[1:] + ("" if text.endswith(".") else "."))
