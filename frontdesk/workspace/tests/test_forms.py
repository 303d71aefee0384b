"""The workspace forms: widgets built in Python read exactly as Django's templates, and shared choices."""

from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.tickets.tests.factories import TicketFactory, new_ticket
from frontdesk.workspace.forms import (
    EscalateToManagerForm,
    EscalateToTeamForm,
    FixedChoices,
    InboxFilterForm,
    MultipleFileInput,
    NoteForm,
    PropertiesForm,
    ReplyForm,
    ResolveEscalationForm,
    WorkspaceForm,
)
from frontdesk.workspace.renderer import RENDERER

DJANGO = DjangoTemplates()


def as_django_renders_it(form: forms.Form) -> list[str]:
    """Every field of `form` (with its hidden initial value, if any), through Django's own templates."""
    form.renderer = DJANGO
    return [str(field) for field in form]


def as_workspace_renders_it(form: forms.Form) -> list[str]:
    form.renderer = RENDERER
    return [str(field) for field in form]


def teams_and_agents(team: Team, agent: User) -> tuple[list[Team], list[User]]:
    other = Team.objects.create(name='Billing & "Invoices"')
    return [team, other], [agent, UserFactory.create(name="Olga O'Neil <olga>", role=Role.AGENT)]


def inbox_filters(team: Team, agent: User) -> forms.Form:
    teams, agents = teams_and_agents(team, agent)
    data = {"team": str(teams[1].pk), "status": "open", "q": 'a "quoted" <b>search</b>', "assignee": "nonsense"}
    return InboxFilterForm(
        data, teams=[(team.pk, team.name) for team in teams], agents=[(user.pk, user.name) for user in agents]
    )


def properties(team: Team, agent: User) -> forms.Form:
    teams, agents = teams_and_agents(team, agent)
    ticket = new_ticket(team=team, assignee=agent)
    return PropertiesForm(ticket=ticket, tags=["vip", "late <arrival>"], teams=teams, agents=agents)


def properties_with_errors(team: Team, agent: User) -> forms.Form:
    teams, agents = teams_and_agents(team, agent)
    data = {"status": "nonsense", "initial-status": "open", "tags": "x" * 1001, "language": "de"}
    return PropertiesForm(data, ticket=new_ticket(team=team), tags=[], teams=teams, agents=agents)


def reply(team: Team, agent: User) -> forms.Form:
    return ReplyForm({"reply-body": "<script>alert('&')</script>\n\nThanks", "reply-status": "pending"}, prefix="reply")


def note(team: Team, agent: User) -> forms.Form:
    return NoteForm(prefix="note")


def escalation_without_reason(team: Team, agent: User) -> forms.Form:
    return EscalateToManagerForm({"escalate-reason": ""}, prefix="escalate")


def resolution(team: Team, agent: User) -> forms.Form:
    return ResolveEscalationForm(prefix="resolve")


def escalation_to_a_team(team: Team, agent: User) -> forms.Form:
    teams, _ = teams_and_agents(team, agent)
    return EscalateToTeamForm({"team-team": "nonsense"}, prefix="team", teams=teams, current=team.pk)


FORMS = [
    inbox_filters,
    properties,
    properties_with_errors,
    reply,
    note,
    escalation_without_reason,
    resolution,
    escalation_to_a_team,
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es", "lt"])
@pytest.mark.parametrize("build", FORMS)
def test_every_workspace_field_renders_as_djangos_templates_render_it(
    build: Callable[[Team, User], forms.Form], language: str, team: Team, agent: User
) -> None:
    with translation.override(language):
        form = build(team, agent)
        form.errors  # noqa: B018  (validates a bound form: errors add aria-invalid to its widgets)

        assert as_workspace_renders_it(form) == as_django_renders_it(form)


WIDGETS: list[tuple[forms.Widget, Any]] = [
    (forms.TextInput(attrs={"placeholder": 'say "hi" & <wave>', "data-x": True, "hidden": False}), "it's"),
    (forms.TextInput(), None),
    (forms.HiddenInput(), 42),
    (forms.Textarea(attrs={"rows": 3}), ""),
    (forms.Textarea(), "<p>one</p>\n\ntwo & three"),
    (forms.Textarea(), mark_safe("<b>already safe</b>")),
    (forms.Select(choices=[("", "—"), ("a", "A & B"), (1, mark_safe("<i>safe</i>"))]), "a"),
    (forms.Select(choices=[("x", "X"), ("Group <1>", [("y", "Y"), ("z", "Z")])]), "z"),
    (forms.Select(choices=FixedChoices([("a", "A"), ("a", "A again")])), "a"),
    (MultipleFileInput(), None),
]


@pytest.mark.parametrize(("widget", "value"), WIDGETS)
def test_widgets_built_in_python_read_exactly_as_djangos_templates(widget: forms.Widget, value: Any) -> None:
    assert widget.render("field", value, {"id": "id_field"}, RENDERER) == widget.render(
        "field", value, {"id": "id_field"}, DJANGO
    )


def test_a_widget_the_workspace_does_not_build_still_renders_through_its_template() -> None:
    widget = forms.CheckboxSelectMultiple(choices=[("a", "A"), ("b", "B")])

    assert widget.render("pick", ["b"], {"id": "id_pick"}, RENDERER) == widget.render(
        "pick", ["b"], {"id": "id_pick"}, DJANGO
    )


class Flavours(WorkspaceForm):
    flavour = forms.ChoiceField(choices=FixedChoices([("vanilla", "Vanilla")], [("mint", "Mint")]))


def test_fixed_choices_are_shared_by_every_form_yet_still_validate() -> None:
    first, second = Flavours({"flavour": "mint"}), Flavours({"flavour": "strawberry"})

    assert first.fields["flavour"].choices is second.fields["flavour"].choices  # type: ignore[attr-defined]
    assert list(first.fields["flavour"].choices) == [("vanilla", "Vanilla"), ("mint", "Mint")]  # type: ignore[attr-defined]
    assert first.is_valid()
    assert second.errors == {"flavour": ["Select a valid choice. strawberry is not one of the available choices."]}


@pytest.mark.django_db
def test_inbox_filters_offer_teams_and_agents_from_id_name_pairs(team: Team, agent: User) -> None:
    form = InboxFilterForm({"team": str(team.pk)}, teams=[(team.pk, team.name)], agents=[(agent.pk, agent.name)])

    assert list(form.fields["team"].choices) == [("", "Any"), (str(team.pk), "Reservations")]  # type: ignore[attr-defined]
    assert list(form.fields["assignee"].choices) == [("", "Any"), (str(agent.pk), "Ana Agent")]  # type: ignore[attr-defined]
    assert form.filters(view="open").team == team.pk


@pytest.mark.django_db
def test_properties_form_offers_the_statuses_the_ticket_can_move_to(team: Team, agent: User) -> None:
    ticket = TicketFactory.create(team=team, status="pending")

    form = PropertiesForm(ticket=ticket, tags=[], teams=[team], agents=[agent])

    assert [value for value, _ in form.fields["status"].choices] == ["pending", "open", "on_hold", "solved"]  # type: ignore[attr-defined]
