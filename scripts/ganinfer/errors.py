"""The one exception type for bad user input."""


class InputError(Exception):
    """Bad input (file, checkpoint, config): the message names the file and the fix.

    Entry scripts print it as a single ``error: ...`` line, without a traceback.
    """
