"""Write ``binning.overrides`` into a config's YAML file and change nothing else.

ruamel.yaml's round trip keeps comments and key order, but a dump re-indents the whole file
and re-wraps flow lists. So the file is parsed with ruamel.yaml to find where the
``binning.overrides`` block lies (line numbers), the new block is rendered by ruamel.yaml, and
only those lines are replaced: every other byte of the file stays as it was. An unchanged
override keeps its original lines, comments included. The result is checked before it
replaces the file: it must parse to the same config with the new overrides, and validate.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from riskresearch.atomic import atomic_output
from riskresearch.config import ModelConfig, YamlLoader  # the config's own YAML rules
from riskresearch.errors import ConfigError, from_validation_error

WIDTH = 100


def write_overrides(path: str | Path, overrides: dict[str, dict[str, Any]]) -> Path:
    """Replace the ``binning.overrides`` of the YAML config ``path`` with ``overrides``.

    Parameters
    ----------
    path : path-like
        The config file. Comments, key order and formatting outside the overrides block are
        kept byte for byte (line endings too); an override equal to the file's keeps its lines.
    overrides : dict
        ``{feature: {"splits" or "groups": ..., "missing_bin", "special_bin", "reason"}}``;
        empty removes the block.

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        The file is missing or not valid YAML, ``binning`` is not a block mapping, or the new
        config does not validate (nothing is written then).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"The config file '{path}' does not exist. Give the YAML file to write.")
    raw = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"
    text = raw.replace("\r\n", "\n")
    new = splice_overrides(text, overrides, str(path))
    _check(path, text, new, overrides)
    with atomic_output(path, "config") as tmp:
        tmp.write_bytes(new.replace("\n", newline).encode("utf-8"))
        shutil.copymode(path, tmp)
    return path


def splice_overrides(
    text: str, overrides: dict[str, dict[str, Any]], source: str = "config"
) -> str:
    """The YAML ``text`` with its ``binning.overrides`` block replaced (see the module)."""
    loader = YAML(typ="rt")
    try:
        root = loader.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"The config file '{source}' is not valid YAML{where}. Fix it.") from None
    if not isinstance(root, CommentedMap):
        raise ConfigError(f"The config file '{source}' must be a mapping of keys.")
    lines = text.split("\n")
    step = _indent_step(root)
    binning = root.get("binning")
    if "binning" not in root or binning is None:
        block = ["binning:", *_indent(_render(overrides, {}, step), step)] if overrides else []
        if "binning" in root:
            line = root.lc.key("binning")[0]
            return _replace(lines, line, _block_end(lines, line, 0), block)
        return _insert_section(lines, root, block)
    if not isinstance(binning, CommentedMap) or binning.fa.flow_style():
        raise ConfigError(
            f"The 'binning' section of '{source}' is not a block mapping. Write it as "
            "'binning:' followed by indented keys, then save again."
        )
    bline, bcol = root.lc.key("binning")
    col = binning.lc.key(next(iter(binning)))[1] if binning else bcol + step
    if "overrides" in binning:
        start, ocol = binning.lc.key("overrides")
        end = _block_end(lines, start, ocol)
        old = _entries(binning["overrides"], lines, start)
        block = _indent(_render(overrides, old, step), ocol) if overrides else []
        return _replace(lines, start, end, block)
    if not overrides:
        return text
    last = _block_end(lines, bline, bcol)
    return _replace(lines, last + 1, last, _indent(_render(overrides, {}, step), col))


# ------------------------------------------------------------------------------------------
# rendering
# ------------------------------------------------------------------------------------------
def _render(overrides: dict[str, dict[str, Any]], old: dict[str, tuple[Any, list, list]], step):
    """``overrides:`` and its entries at column 0. An entry of the file keeps the comment
    lines above it, and its own lines when its value is unchanged (``old``, see
    :func:`_entries`).

    Written by hand rather than by ruamel.yaml's dumper, so that the text reads back the same
    under the YAML 1.1 rules the config loader follows: every text is double-quoted (``yes``
    is a boolean there) and every number has a decimal point (``1e+16`` is text there).
    """
    out = ["overrides:"]
    pad = " " * step
    for feature, spec in overrides.items():
        if feature in old:
            value, comments, own = old[feature]
            out += _indent(comments, step)
            if _plain(value) == _plain(spec):
                out += _indent(own, step)
                continue
        out.append(f"{pad}{_key(feature)}:")
        for key, value in spec.items():
            lead = f"{pad * 2}{key}: "
            if key == "splits":
                out += _flow([_number(v) for v in value], lead, len(lead) + 1)
            elif key == "groups":
                out.append(f"{pad * 2}{key}:")
                for group in value:
                    item = f"{pad * 3}- "
                    out += _flow([_text(c) for c in group], item, len(item) + 1)
            elif key == "reason":
                out.append(lead + _text(value))
            else:
                out.append(f"{lead}{int(value)}")
    return out


def _flow(items: list[str], lead: str, cont: int) -> list[str]:
    """A flow list ``[a, b, ...]`` after ``lead``, wrapped at :data:`WIDTH` (continuation
    lines indented to ``cont``, deeper than the key, as YAML needs)."""
    lines, line = [], lead + "["
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "]")
        if line.strip(" [") and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = " " * cont + piece
        else:
            line += ("" if line.endswith("[") else " ") + piece
    return [*lines, line + ("]" if not items else "")]


def _number(x: float) -> str:
    text = repr(float(x))
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    return text


def _text(value: Any) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def _key(name: str) -> str:
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name) and name.lower() not in _WORDS
    return name if plain else _text(name)


#: Plain words YAML 1.1 reads as booleans or null: a key spelled so is quoted.
_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none"}


def _plain(value: Any) -> Any:
    """A parsed YAML value as plain Python (floats for numbers in splits compare equal)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    return str(value)


# ------------------------------------------------------------------------------------------
# where things are
# ------------------------------------------------------------------------------------------
def _indent_step(root: CommentedMap) -> int:
    """Columns a nested key is indented by in this file (2 when no nested mapping shows)."""
    for key, value in root.items():
        if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
            step = value.lc.key(next(iter(value)))[1] - root.lc.key(key)[1]
            if step > 0:
                return step
    return 2


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _column(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], start: int, col: int) -> int:
    """Last line of the block opened by the key at (``start``, ``col``): the last content line
    before the next content line indented at ``col`` or less (comments after it stay)."""
    end = start
    for i in range(start + 1, len(lines)):
        if not _content(lines[i]):
            continue
        if _column(lines[i]) <= col:
            break
        end = i
    return end


def _entries(node: Any, lines: list[str], start: int) -> dict[str, tuple[Any, list, list]]:
    """Each existing override: its parsed value, the comment lines above it and its own lines
    (both dedented), so that its comments stay and an unchanged entry keeps its text."""
    if not isinstance(node, CommentedMap) or node.fa.flow_style() or not node:
        return {}
    col = node.lc.key(next(iter(node)))[1]
    out = {}
    previous = start  # the last line of what came before: 'overrides:', then each entry
    for key in node:
        line = node.lc.key(key)[0]
        end = _block_end(lines, line, col)
        out[str(key)] = (
            node[key],
            _dedent(lines[previous + 1 : line], col),
            _dedent(lines[line : end + 1], col),
        )
        previous = end
    return out


def _dedent(block: list[str], col: int) -> list[str]:
    return [ln[col:] if ln[:col].strip() == "" else ln.lstrip(" ") for ln in block]


def _indent(block: list[str], col: int) -> list[str]:
    return [(" " * col + ln) if ln.strip() else ln for ln in block]


def _replace(lines: list[str], start: int, end: int, block: list[str]) -> str:
    return "\n".join([*lines[:start], *block, *lines[end + 1 :]])


def _insert_section(lines: list[str], root: CommentedMap, block: list[str]) -> str:
    """Add a ``binning:`` section before the first top-level key that follows it in the
    config's order (and the comment lines just above that key), or at the end."""
    if not block:
        return "\n".join(lines)
    order = list(ModelConfig.model_fields)
    after = order[order.index("binning") + 1 :]
    following = [k for k in root if k in after]
    if not following:
        while lines and lines[-1] == "":
            lines = lines[:-1]
        return "\n".join([*lines, *block, ""])
    at = root.lc.key(following[0])[0]
    while at > 0 and lines[at - 1].lstrip().startswith("#"):
        at -= 1
    return "\n".join([*lines[:at], *block, *lines[at:]])


# ------------------------------------------------------------------------------------------
# checking the result
# ------------------------------------------------------------------------------------------
def _check(path: Path, old: str, new: str, overrides: dict[str, dict[str, Any]]) -> None:
    """The new text parses (as the config loader parses it) to the old config with only the
    overrides replaced, and validates (paths are not checked: the data may live elsewhere
    while bins are reviewed)."""
    before, after = _parse(old, path), _parse(new, path)
    written = (after.get("binning") or {}).get("overrides") or {}
    if _plain(written) != _plain(overrides):
        raise ConfigError(
            f"Writing binning.overrides into '{path}' would not read back the same overrides. "
            "The file is unchanged; report this with the file."
        )
    rest = [dict(doc) for doc in (before, after)]
    for doc in rest:
        if isinstance(doc.get("binning"), dict):
            doc["binning"] = {k: v for k, v in doc["binning"].items() if k != "overrides"}
            if not doc["binning"]:
                doc.pop("binning")
        elif doc.get("binning", 0) is None:
            doc.pop("binning")
    if _plain(rest[0]) != _plain(rest[1]):
        raise ConfigError(
            f"Writing binning.overrides into '{path}' would change other keys. The file is "
            "unchanged; report this with the file."
        )
    try:
        ModelConfig.model_validate(after)
    except ValidationError as exc:
        raise from_validation_error(exc, f"the config '{path}'") from None


def _parse(text: str, path: Path) -> Any:
    """YAML text parsed as :func:`riskresearch.config.read_yaml` parses a config file."""
    import yaml

    try:
        return yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError:
        raise ConfigError(
            f"The config file '{path}' does not parse as the config loader reads it. Fix it."
        ) from None
