"""The one exception type for user mistakes: a config value that cannot be used."""


class ConfigError(ValueError):
    """A config value is invalid. The message is one line naming the key, the value and what was
    expected; the app prints it without a traceback and exits non-zero."""

    def __init__(self, key: str, value, expected: str):
        self.key, self.value, self.expected = key, value, expected
        super().__init__(f"config error: {key} = {value!r}: expected {expected}")
