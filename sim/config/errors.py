"""The one exception type for user mistakes (a config value that cannot be used), and the one way
the command line reports a mistake: one line on stderr, exit status 2."""

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


def composition_error(error: Exception) -> str:
    """A Hydra composition error (misspelt key, unknown config-group option) as one line: the
    missing option with the options there are, or the first sentences of Hydra's report."""
    message = str(error)
    missing = re.search(r"Could not find '([^']+)/([^']+)'", message)
    options = re.findall(r"^\t(\S+)$", message.split("Config search path")[0], re.M)
    if missing and options:
        group, option = missing.groups()
        return f"config error: {group} = {option!r}: expected one of {', '.join(options)}"
    return "config error: " + " ".join(line.strip() for line in message.splitlines()[:2] if line.strip())


def user_error(error: BaseException) -> str | None:
    """The one line for a user mistake (a ConfigError, or a Hydra composition error such as a
    misspelt key or an unknown config-group option); None for any other error."""
    if isinstance(error, ConfigError):
        return str(error)
    if isinstance(error, HydraException):
        return composition_error(error)
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
