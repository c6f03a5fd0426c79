"""The one exception type a user ever sees: a single sentence that says what to do next."""


class TrackstoreError(Exception):
    """A failure the user can act on; the CLI prints it as it is and exits non-zero.

    The message is one sentence naming what is wrong and what to do, and never holds a password.
    """

    exit_code = 1
