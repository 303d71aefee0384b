import pytest

from frontdesk.core import ticker

pytestmark = pytest.mark.django_db  # each run closes stale database connections


def test_jobs_run_when_due_and_a_failing_one_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    now = [100.0]

    def boom() -> None:
        calls.append("boom")
        raise RuntimeError("broken")

    jobs = {"a": ticker._Job("a", 5, lambda: calls.append("a")), "b": ticker._Job("b", 10, boom)}
    monkeypatch.setattr(ticker, "_jobs", jobs)

    assert ticker.run_due(lambda: now[0]) == 5  # both ran; "a" is due again first
    assert calls == ["a", "boom"]
    now[0] = 104.0
    assert ticker.run_due(lambda: now[0]) == 1
    assert calls == ["a", "boom"]
    now[0] = 105.0
    ticker.run_due(lambda: now[0])
    assert calls == ["a", "boom", "a"]
    now[0] = 110.0
    ticker.run_due(lambda: now[0])
    assert calls == ["a", "boom", "a", "a", "boom"]


def test_the_sla_sweep_is_registered() -> None:
    assert "sla-sweep" in ticker.jobs()
