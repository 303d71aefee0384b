from django.utils.module_loading import import_string
from huey.contrib.djhuey import db_task


@db_task(retries=5, retry_delay=30)
def retry_event_handler(path: str, event: object) -> None:
    """Run a domain-event handler that failed right after commit once more."""
    from django.db import transaction

    with transaction.atomic():
        import_string(path)(event)
