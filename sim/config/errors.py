"""The one exception type for user mistakes: a config value that cannot be used."""

import re


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
