"""The one exception type for user mistakes.

A UserError carries one sentence that names the offending thing (file, value, option) and says what to
do. The CLI prints it and exits with code 2; anything else escaping is a bug in genlab.
"""


class UserError(Exception):
    """A mistake in the user's input, with a one-sentence message naming the thing and the fix."""
