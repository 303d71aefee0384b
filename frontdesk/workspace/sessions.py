"""Sessions in the database, as Django's `db` engine keeps them, read with a prepared statement.

Every signed-in request reads its session row first: the same statement each time, with
another key. Django's engine builds it with the ORM on each request (`objects.get()`), which
took longer than the database takes to answer; here it is built once per thread
(core.queries). Writing, expiry and clearing stay Django's.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from frontdesk.core.queries import Prepared

# session_key is the primary key: at most one row. Expiry is checked on the row read, as
# Django's engine checks it in SQL (`expire_date__gt=now`): the statement stays the same.
_SESSION = Prepared(lambda key: Session.objects.filter(session_key=key), "session-key")


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        session: Session | None = _SESSION.first(self.session_key)
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
