"""The accounts' jobs, as RQ runs them (in a worker holding the app context). They take plain
values only: an account's id, never its address or a token."""

from crm.auth.recovery import send_link


def reset_link_job(user_id: int | None) -> bool:
    """E-mail a password reset link to ``user_id``; None (an address of no account) sends
    nothing, after the same trip through the queue."""
    return user_id is not None and send_link(user_id)
