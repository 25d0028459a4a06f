"""The one exception type for user mistakes (a config value that cannot be used), the one-line
form of Hydra's composition errors and of YAML syntax errors, and the one way the command line
reports a mistake: one line on stderr, exit status 2."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from hydra.errors import HydraException


class ConfigError(ValueError):
    """A config value is invalid. The message is one line naming the key, the value and what was
    expected; the app prints it without a traceback and exits non-zero."""

    def __init__(self, key: str, value, expected: str):
        self.key, self.value, self.expected = key, value, expected
        super().__init__(f"config error: {key} = {value!r}: expected {expected}")

    def __reduce__(self):  # rebuilt from its fields when it crosses a process pool
        return (ConfigError, (self.key, self.value, self.expected))


def composition_error(error: Exception) -> ConfigError:
    """A Hydra composition error (misspelt key, unknown config-group option, override grammar) or
    a YAML syntax error as a ConfigError naming the key (or the file and line)."""
    message = str(error)
    override = getattr(error, "override", None)
    if override is not None:  # hydra.errors.OverrideParseException: the override's grammar
        key, _, value = str(override).partition("=")
        reason = message.splitlines()[0] if message else "a parse error"
        return ConfigError(key.lstrip("+~"), value, f"a value in Hydra's override grammar ({reason}; "
                                                    "quote values holding brackets, braces or commas)")
    mark = getattr(error, "problem_mark", None)
    if mark is not None:  # yaml.MarkedYAMLError in a config file
        return ConfigError(f"{mark.name}:{mark.line + 1}:{mark.column + 1}", getattr(error, "problem", None) or
                           message.splitlines()[0], "valid YAML")
    missing = re.search(r"Could not find '([^']+)/([^']+)'", message)
    options = re.findall(r"^\t(\S+)$", message.split("Config search path")[0], re.M)
    if missing and options:
        group, option = missing.groups()
        return ConfigError(group, option, f"one of {', '.join(options)}")
    unknown = re.match(r"Could not override '([^']+)'\.\nTo append to your config use \+[^=]+=(.*)", message, re.S)
    if unknown:
        key, value = unknown.groups()
        parent, _, name = key.rpartition(".")
        if name.isdigit():
            return ConfigError(key, value, f"an anchor year that {parent} has (add one with +{key}=...; anchor years "
                                           "in YAML must be quoted, '2030':, to be edited from the command line)")
        return ConfigError(key, value, f"a key of the config{_allowed(parent)} (add a new key with +{key}=...)")
    merging = re.match(r"Error merging override ([^=]+)=(.*)", message, re.S)
    beyond = merging and isinstance(error.__cause__, IndexError)  # an item number past the end of a list
    listed = re.search(r"full_key: (\S+)\[\d+\]", str(error.__cause__)) if beyond else None
    if listed:  # OmegaConf names the list with brackets
        key, value = merging.groups()
        items = dotted(listed.group(1))
        return ConfigError(key.lstrip("+~"), value, f"an item that {items} has (numbered from 0; to add one, "
                                                    f"give the whole list: {items}=[...])")
    appended = re.match(r"Could not append to config\. An item is already at '([^']+)'", message)
    if appended:
        key = appended.group(1)
        return ConfigError("+" + key, None, f"a key that is not in the config yet (to change {key}, drop the +)")
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return ConfigError("config", lines[0] if lines else type(error).__name__, "a config Hydra can compose")


def dotted(full_key: str) -> str:
    """OmegaConf's key of a list item, policy.licences[0].to, as the command line writes it and
    every message names it: policy.licences.0.to (Hydra's override grammar has no brackets in keys)."""
    return re.sub(r"\[(\d+)\]", r".\1", full_key)


def _allowed(parent: str) -> str:
    from . import parameter_table as table

    allowed = table.children(tuple(parent.split("."))) if parent else table.children(())
    return f"; known keys under {parent or 'the top level'}: {', '.join(sorted(allowed))}" if allowed else ""


def user_error(error: BaseException) -> str | None:
    """The one line for a user mistake (a ConfigError, or a Hydra composition error such as a
    misspelt key or an unknown config-group option); None for any other error."""
    if isinstance(error, ConfigError):
        return str(error)
    if isinstance(error, HydraException):
        return str(composition_error(error))
    return None


@contextmanager
def reported(cleanup: Callable[[], None] | None = None) -> Iterator[None]:
    """Run a command's body: a user mistake becomes its one line on stderr and exit status 2 (after
    `cleanup`, e.g. removing what was written for the failed run), without a traceback; any other
    error propagates."""
    try:
        yield
    except Exception as error:
        line = user_error(error)
        if line is None:
            raise
        if cleanup is not None:
            cleanup()
        print(line, file=sys.stderr)
        raise SystemExit(2) from None
