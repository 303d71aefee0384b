import pytest

from frontdesk.kb.markdown import file_names, file_url, render
from frontdesk.kb.models import ArticleFile


def a_file(pk: int, name: str, content_type: str) -> ArticleFile:
    """An article file as the Markdown sees it (only its id, name and type matter)."""
    return ArticleFile(pk=pk, name=name, content_type=content_type, size=1)


def test_commonmark_with_tables_emphasis_and_strike_through() -> None:
    html = render("Some **bold**, *soft* and ~~old~~ words.\n\n| Room | Price |\n|:--|--:|\n| Suite | 120 |\n").html

    assert "<strong>bold</strong>" in html
    assert "<em>soft</em>" in html
    assert "<s>old</s>" in html
    assert "<table>" in html
    assert '<td style="text-align:right">120</td>' in html


def test_headings_get_ids_unique_within_the_article_keeping_accented_letters() -> None:
    html = render("# Cómo cambiar\n\n## Užsakymas\n\n## Užsakymas\n").html

    assert '<h1 id="cómo-cambiar">' in html
    assert '<h2 id="užsakymas">' in html
    assert '<h2 id="užsakymas-2">' in html


def test_script_tags_are_removed_with_their_content() -> None:
    rendered = render("Hello <script>alert('x')</script> there\n\n<script>\nsteal()\n</script>\n")

    assert "<script" not in rendered.html
    assert "alert" not in rendered.html
    assert "steal" not in rendered.html
    assert "Hello" in rendered.html


def test_javascript_links_lose_their_target_and_event_handlers_go() -> None:
    rendered = render(
        '[click](javascript:alert(1)) and <a href="javascript:alert(2)" onclick="go()">raw</a> '
        '<img src="x.png" onerror="alert(3)">'
    )

    assert "href" not in rendered.html
    assert "onclick" not in rendered.html
    assert "onerror" not in rendered.html
    assert '<img src="x.png" loading="lazy">' in rendered.html


def test_an_authors_own_iframe_is_removed_even_one_from_youtube() -> None:
    html = render('<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>\n\nText').html

    assert "<iframe" not in html
    assert "<p>Text</p>" in html


@pytest.mark.parametrize(
    ("link", "source"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?t=90", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=90"),
        (
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=1m5s",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=65",
        ),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        (
            "[Check-in tour](https://youtube.com/watch?v=dQw4w9WgXcQ)",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
    ],
)
def test_a_youtube_link_alone_on_its_line_becomes_a_privacy_friendly_player(link: str, source: str) -> None:
    html = render(f"Watch this:\n\n{link}\n").html

    assert f'<iframe src="{source.replace("&", "&amp;")}"' in html
    assert 'loading="lazy"' in html
    assert "title=" in html
    assert "youtube.com/watch" not in html


def test_the_players_title_is_the_links_text() -> None:
    html = render("[Check-in tour](https://youtu.be/dQw4w9WgXcQ)").html

    assert 'title="Check-in tour"' in html


@pytest.mark.parametrize(
    ("link", "source"),
    [
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://vimeo.com/channels/staffpicks/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://vimeo.com/76979871/abc123def0", "https://player.vimeo.com/video/76979871?dnt=1&amp;h=abc123def0"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
    ],
)
def test_a_vimeo_link_alone_on_its_line_becomes_a_do_not_track_player(link: str, source: str) -> None:
    html = render(link).html

    assert f'<iframe src="{source}"' in html


def test_a_video_link_inside_a_sentence_stays_a_link() -> None:
    html = render("See [the tour](https://youtu.be/dQw4w9WgXcQ) before you arrive.").html

    assert "<iframe" not in html
    assert '<a href="https://youtu.be/dQw4w9WgXcQ"' in html


@pytest.mark.parametrize(
    "link",
    [
        "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://evil.example/watch?v=dQw4w9WgXcQ&site=youtube.com",
        "https://www.youtube.com/watch?v=short",
        "https://vimeo.com/about",
        'https://youtu.be/dQw4w9WgXcQ"onload="x',
    ],
)
def test_lookalike_and_malformed_video_links_are_not_players(link: str) -> None:
    html = render(link).html

    assert "<iframe" not in html
    assert "youtube-nocookie" not in html
    assert "player.vimeo.com" not in html


def test_a_player_line_splits_its_paragraph() -> None:
    html = render("Before the video\nhttps://youtu.be/dQw4w9WgXcQ\nafter the video").html

    before, after = html.split("<iframe", 1)
    assert "<p>Before the video</p>" in before
    assert "<p>after the video</p>" in after


def test_an_uploaded_mp4_named_in_the_markdown_becomes_a_video_player() -> None:
    files = file_names([a_file(7, "tour.mp4", "video/mp4")])

    html = render("[Our lobby](tour.mp4)", files=files).html

    assert '<video controls preload="metadata" src="/help/files/7/tour.mp4" title="Our lobby">' in html


def test_a_link_to_an_uploaded_video_by_its_url_is_a_player_too() -> None:
    html = render("[Intro](/help/files/9/intro.mp4)").html

    assert '<video controls preload="metadata" src="/help/files/9/intro.mp4" title="Intro">' in html


def test_an_mp4_on_another_site_stays_a_link() -> None:
    html = render("[Clip](https://cdn.example/clip.mp4)").html

    assert "<video" not in html
    assert '<a href="https://cdn.example/clip.mp4"' in html


def test_a_linked_pdf_is_not_a_player_even_alone_on_its_line() -> None:
    files = file_names([a_file(3, "prices.pdf", "application/pdf")])

    html = render("[Prices](prices.pdf)", files=files).html

    assert "<video" not in html
    assert '<a href="/help/files/3/prices.pdf"' in html


def test_images_named_by_file_name_point_at_the_help_centre() -> None:
    files = file_names([a_file(4, "front desk.png", "image/png")])

    html = render("![The front desk](<front desk.png>)", files=files).html

    assert f'<img src="{file_url(files["front desk.png"])}" alt="The front desk" loading="lazy">' in html
    assert file_url(files["front desk.png"]) == "/help/files/4/front%20desk.png"


def test_plain_text_keeps_the_words_without_markup_or_players() -> None:
    rendered = render("# Check-in\n\nArrive **after 15:00** &amp; <b>smile</b>.\n\nhttps://youtu.be/dQw4w9WgXcQ\n")

    assert rendered.text == "Check-in\n\nArrive after 15:00 & smile."


def test_text_that_looks_like_a_player_marker_is_left_alone() -> None:
    rendered = render("kb-embed-0123456789abcdef-0\n\nhttps://youtu.be/dQw4w9WgXcQ")

    assert "<p>kb-embed-0123456789abcdef-0</p>" in rendered.html
    assert rendered.html.count("<iframe") == 1
