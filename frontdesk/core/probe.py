"""`python -m frontdesk.core.probe postgres|redis URL`: exit 0 when the server answers (used by `make test`)."""

import sys


def answers(kind: str, url: str) -> bool:
    try:
        if kind == "postgres":
            import psycopg

            psycopg.connect(url, connect_timeout=2).close()
        elif kind == "redis":
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        else:
            return False
    except Exception:
        return False
    return True


if __name__ == "__main__":
    sys.exit(0 if answers(sys.argv[1], sys.argv[2]) else 1)
