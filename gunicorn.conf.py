"""gunicorn reads this file from the folder it starts in (`gunicorn app:app` in the checkout)."""


def on_starting(server) -> None:
    """Build the app once in the master process, before any worker starts: a bad setting then
    stops gunicorn with its one-line message, instead of every worker failing with it in turn
    while the master starts new ones."""
    from crm import create_app

    create_app()
