"""Survey pages: the customer's answer and opt-out pages (/s/…), the public score (/score/…),
follow-ups (/follow-ups/…) and the survey settings (/settings/surveys/…)."""

from django.urls import path

from frontdesk.surveys import views

app_name = "surveys"
urlpatterns = [
    # Customers: the signed token is the access.
    path("s/<str:token>/", views.survey, name="survey"),
    path("s/<str:token>/opt-out/", views.opt_out, name="opt_out"),
    path("s/<str:token>/opt-in/", views.opt_in, name="opt_in"),
    path("s/<str:token>/<int:question_id>/<int:score>/", views.answer_one_click, name="answer"),
    # Anyone, when the programme publishes the score (FB7).
    path("score/", views.public_score, name="public_score"),
    path("score/badge.svg", views.public_badge, name="public_badge"),
    # Agents, supervisors, admins.
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:follow_up_id>/", views.follow_up, name="follow_up"),
    path("follow-ups/<int:follow_up_id>/close/", views.follow_up_close, name="follow_up_close"),
    # Settings: supervisors and admins change them, agents read them.
    path("settings/surveys/", views.survey_settings, name="settings"),
    path("settings/surveys/programme/", views.programme_save, name="programme"),
    path("settings/surveys/key-accounts/", views.key_accounts_save, name="key_accounts"),
    path("settings/surveys/new/", views.survey_form, name="survey_create"),
    path("settings/surveys/<int:survey_id>/", views.survey_form, name="survey_edit"),
    path("settings/surveys/<int:survey_id>/delete/", views.survey_delete, name="survey_delete"),
    path("settings/surveys/<int:survey_id>/invitations/", views.invitations, name="invitations"),
]
