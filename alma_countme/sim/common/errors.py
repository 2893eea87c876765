"""The one exception countme-sim shows to users.

Raise :class:`SimError` with a message that names the file, key or option at
fault; ``countme-sim`` prints ``countme-sim: <message>`` on standard error and
exits with status 2. Anything else escaping a command is a bug.
"""


class SimError(Exception):
    """Bad input or an environment problem, explained in one message for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return self.message
