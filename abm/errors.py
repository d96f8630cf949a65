"""The one exception type for bad input: it names the key, the value and what is allowed."""


class ConfigError(ValueError):
    """Raised before any work starts when a configuration or input file is invalid."""

    def __init__(self, key: str, value, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid input at '{key}': got {value!r}; allowed: {allowed}")
