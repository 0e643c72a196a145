"""The one exception type for bad user input, and the hint that says where config lives."""

# A value may come from the embedded default, a --configfile or --config: hints name all three.
CONFIG_HINT = "your config (config/config.yaml, --configfile or --config)"
# What a record and the tables say where the config leaves a value unset (Inception weights, FID reference)
NOT_CONFIGURED = "not configured"


class InputError(Exception):
    """Bad input (file, checkpoint, config): the message names the file and the fix.

    Entry scripts print it as a single ``error: ...`` line, without a traceback.
    """
