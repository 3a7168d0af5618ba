"""gunicorn reads this file from the folder it starts in (`gunicorn app:app` in the checkout).

An access log (``--access-logfile``) keeps gunicorn's format; the app puts a filter on the
``gunicorn.access`` and ``gunicorn.error`` loggers when it is built (``crm.calendar.logmask``)
that masks the secret token of a calendar feed's address (``/calendar/feed/cTw4….ics``)."""


def on_starting(server) -> None:
    """Build the app once in the master process, before any worker starts: a bad setting then
    stops gunicorn with its one-line message, instead of every worker failing with it in turn
    while the master starts new ones."""
    from crm import create_app

    create_app()


def post_worker_init(worker) -> None:
    """The worker has built the app: leave what it built (modules, the app, its caches) out of
    the garbage collector's full collections, which otherwise walk all of it again every few
    hundred requests (``gc.freeze``; measured: 10 ms of collection per request on average on
    my follow-ups, 3 ms frozen)."""
    import gc

    gc.freeze()
