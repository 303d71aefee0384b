"""The knowledge-base editor for agents, mounted at /kb/."""

from django.urls import path

from frontdesk.kb import views

app_name = "kb"
urlpatterns = [
    path("", views.articles, name="articles"),
    path("articles/new/", views.article_new, name="article_create"),
    path("articles/<int:article_id>/", views.article_detail, name="article"),
    path("articles/<int:article_id>/delete/", views.article_delete, name="article_delete"),
    path("articles/<int:article_id>/languages/", views.translation_new, name="translation_new"),
    path("articles/<int:article_id>/files/", views.file_upload, name="file_upload"),
    path("articles/<int:article_id>/files/<int:file_id>/delete/", views.file_delete, name="file_delete"),
    path("articles/<int:article_id>/preview/", views.preview, name="article_preview"),
    path("articles/<int:article_id>/<str:locale>/edit/", views.translation_edit, name="translation_edit"),
    path("articles/<int:article_id>/<str:locale>/status/", views.translation_status, name="translation_status"),
    path(
        "articles/<int:article_id>/<str:locale>/versions/", views.translation_versions_page, name="translation_versions"
    ),
    path(
        "articles/<int:article_id>/<str:locale>/versions/<int:number>/restore/",
        views.translation_restore,
        name="translation_restore",
    ),
    path("preview/", views.preview, name="preview"),
    path("categories/", views.categories, name="categories"),
    path("categories/new/", views.category_form, name="category_create"),
    path("categories/<int:category_id>/", views.category_form, name="category_edit"),
    path("categories/<int:category_id>/delete/", views.category_delete, name="category_delete"),
    path("sections/new/", views.section_form, name="section_create"),
    path("sections/<int:section_id>/", views.section_form, name="section_edit"),
    path("sections/<int:section_id>/delete/", views.section_delete, name="section_delete"),
    path("look/", views.look, name="look"),
    path("changelog/", views.changelog, name="changelog"),
    path("changelog/new/", views.changelog_form, name="changelog_create"),
    path("changelog/<int:entry_id>/", views.changelog_form, name="changelog_edit"),
    path("changelog/<int:entry_id>/delete/", views.changelog_delete, name="changelog_delete"),
    path("reports/", views.reports, name="reports"),
    # The ticket page's article search (reply box) and suggestions panel.
    path("tickets/<int:ticket_id>/articles/", views.ticket_article_search, name="ticket_search"),
    path("tickets/<int:ticket_id>/suggested/", views.ticket_suggestions, name="ticket_suggestions"),
    path("searches/<int:search_id>/click/", views.search_clicked, name="search_click"),
]
