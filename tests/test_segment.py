"""Segmentation: article counts, boundaries, metadata and boilerplate, on the seeds and made-up pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from searchkit.ingest.dates import parse_date_line, user_date_span
from searchkit.ingest.lines import byline_names, copyright_parts, split_names
from searchkit.ingest.text_dump import derive_title, split_text

F000 = "000_8c6565e280eec17d.txt"
F001 = "001_988f91d272dd2678.txt"
F002 = "002_5c42664f1906b5a1.txt"
F003 = "003_2ea9e9789186997a.txt"
F004 = "004_c25429b31b79a1e5.txt"
OPEN_SESAME = "Open Sesame: Social Credit in China as Gate to Punitive Measures and Personal Perks"

EXPECTED_TITLES = {
    F000: [
        "Chinese iPhone Users Flooded with Spam through iMessage",
        "Insights into Sesame Credit & Top 5 Ways to Use a High Sesame Score",
        "Making China’s Healthcare More Mobile: Wuxi Launches ‘Smart Medical App’",
    ],
    F001: [
        OPEN_SESAME,
        "From Red Packet to Virtual Hongbao: Lucky Envelopes in China’s Digital Era",
        "Conversations Behind the Wall: Clubhouse App Now Blocked in China",
    ],
    F002: [
        "One World, Two Internets: The Internet, Divided Between the U.S. and China, Has Become a Battleground",
        "China Government In Internet Crackdown on Undesirable Influences — Enforcing Communist Ideology",
        "What’s Worse Than Facebook? What China does with social media…",
        "Apple Loses Ground to China’s Homegrown Rivals",
        "How China Walled Off the Internet",
        "China ups cash rewards for citizens who report porn",
        "China’s Tencent beats estimates with 30% profit rise",
        "Australia trade minister to visit China in sign of thaw",
        "Online Gaming Target of Chinese Government: Tencent reorganization planned to comply",
    ],
    F003: [
        OPEN_SESAME,
        "Weibo’s Digital Graveyard: Remembering the Dead on Chinese Social Media",
        "Mimeng and ‘Self-Media’ under Attack for Promoting Fake News Stories to Chinese Readers",
    ],
}

# (file, position) -> (authors, date, site)
EXPECTED_META = {
    (F000, 1): (["Ryan Gandolfo"], None, "Whatsonweibo"),
    (F000, 2): (["Manya Koetse"], None, "Whatsonweibo"),
    (F000, 3): (["Gabi Verberg", "Manya Koetse"], None, "Whatsonweibo"),
    (F001, 1): (["Manya Koetse"], None, "Whatsonweibo"),
    (F001, 2): (["Koen van der Lijn", "Xiaojun Zhang"], None, "Whatsonweibo"),
    (F001, 3): (["Manya Koetse"], None, "Whatsonweibo"),
    (F002, 1): (["Josh Chin"], dt.date(2019, 2, 12), None),
    (F002, 2): ([], dt.date(2019, 2, 10), "South China Morning Post"),
    (F002, 3): ([], dt.date(2019, 1, 7), None),
    (F002, 4): (["Yoko Kubota"], dt.date(2019, 1, 3), None),
    (F002, 5): ([], dt.date(2018, 11, 20), "The New York Times"),
    (F002, 6): ([], dt.date(2018, 11, 16), None),
    (F002, 7): ([], dt.date(2018, 11, 14), None),
    (F002, 8): ([], dt.date(2018, 11, 3), None),
    (F002, 9): (["Kevin Yao"], dt.date(2018, 9, 30), None),
    (F003, 1): (["Manya Koetse"], None, "Whatsonweibo"),
    (F003, 2): (["Brydon Brancart"], None, "Whatsonweibo"),
    (F003, 3): (["Gabi Verberg", "Manya Koetse"], None, "Whatsonweibo"),
    (F004, 1): ([], None, None),
    (F004, 2): ([], None, None),
    (F004, 3): ([], None, None),
}

# First and last words of a few articles: where each one starts and stops.
BOUNDARIES = {
    (F000, 1): (
        "Intrusive advertisements, ranging from",
        "This article has been edited and condensed for clarity.",
    ),
    (F000, 2): (
        "There’s been much talk about China’s ‘credit score’",
        "or who have a platinum status.",
    ),
    (F001, 1): (
        "Chinese social credit system has become a hot topic",
        "Caixin Global, May 14 https://www.caixinglobal.com/2017-05-15/101089851.html [26.5.18].",
    ),
    (F001, 2): (
        "The custom of giving out red paper envelopes",
        "https://cul.qq.com/a/20160208/012888.htm.",
    ),
    (F002, 1): ("The global internet is splitting in two.", "but you never know.”"),
    (F002, 3): (
        "China has made social media an instrument of oppression.",
        "that cannot be solved at all.",
    ),
    (F002, 9): (
        "Chinese internet giant Tencent Holdings announced on Sunday",
        "with more than 1 billion users.",
    ),
    (F003, 2): ("With China’s rapid digitalization", "Oxford: Oxford University Press."),
    (F004, 1): (
        "WeChat, the most popular messaging app in China, now warns users",
        "surveillance by the Chinese regime.",
    ),
    (F004, 2): (
        "For most people of the internet generation in China",
        "regulators have not approved such technologies.",
    ),
    (F004, 3): ("Beijing and Shanghai may lie almost 1,000 miles apart", "“Spectre” will be"),
}

BOILERPLATE = [
    "Leave a Reply",
    "Your email address will not be published",
    "Required fields are marked",
    "All rights reserved",
    "Continue Reading",
    "Advertisement",
    "Spotted a mistake",
    "Connect with us",
    "Click to comment",
    "Directly support",
    "is the editor-in-chief",  # author bio
    "is an Economics graduate",  # author bio
    "is a ResMa student",  # author bio inside the article, before the footer
    "teaches philosophy at",  # closing author note
    "Image result for",
    "Write to Josh Chin",
    "Read the full article here",
    "Got any tips?",
    "I discovered your blog",  # a comment
    "Posts Tagged",
    "image_print",
    "PUBLISHED :",
]


def article(seed_articles, name: str, position: int):
    return seed_articles[name][position - 1]


def test_seed_article_counts(seed_articles):
    counts = {name: len(arts) for name, arts in seed_articles.items()}
    assert counts == {F000: 3, F001: 3, F002: 9, F003: 3, F004: 3}
    assert sum(counts.values()) == 21


@pytest.mark.parametrize("name", sorted(EXPECTED_TITLES))
def test_titles_in_page_order(seed_articles, name):
    assert [a.title for a in seed_articles[name]] == EXPECTED_TITLES[name]
    assert not any(a.title_derived for a in seed_articles[name])


@pytest.mark.parametrize(("key", "expected"), sorted(EXPECTED_META.items()))
def test_metadata(seed_articles, key, expected):
    found = article(seed_articles, *key)
    assert (found.authors, found.date, found.site) == expected


@pytest.mark.parametrize(("key", "ends"), sorted(BOUNDARIES.items()))
def test_article_boundaries(seed_articles, key, ends):
    body = article(seed_articles, *key).body
    first, last = ends
    assert body.startswith(first)
    assert body.endswith(last)


def test_no_boilerplate_in_any_article(seed_articles):
    for name, arts in seed_articles.items():
        for a in arts:
            for phrase in BOILERPLATE:
                assert phrase not in a.body, (
                    f"{name}#{a.position} ({a.title[:40]}) holds {phrase!r}"
                )
            # no byline lines left in the text: they became the authors field
            assert not re.search(r"^By [A-Z]", a.body, re.M), f"{name}#{a.position} keeps a byline"


def test_whatsonweibo_headers_give_category_summary_and_year(seed_articles):
    spam = article(seed_articles, F000, 1)
    assert spam.category == "China Digital"
    assert spam.summary.startswith("Since Apple handed over their iCould operations in China")
    assert spam.year == 2018
    red_packet = article(seed_articles, F001, 2)
    assert red_packet.year == 2021  # from its own footer, not the page's first one
    assert article(seed_articles, F003, 3).year == 2019


def test_archive_page_tag_and_years(seed_articles):
    for a in seed_articles[F002]:
        assert a.tags == ["WeChat"]
        assert a.year == a.date.year


def test_untitled_articles_get_a_derived_title_at_a_word_boundary(seed_articles):
    titles = [a.title for a in seed_articles[F004]]
    assert all(a.title_derived for a in seed_articles[F004])
    assert titles[0].startswith("WeChat, the most popular messaging app in China")
    assert titles[2].startswith("Beijing and Shanghai may lie almost 1,000 miles apart")
    for title in titles:
        assert len(title) <= 91
        if title.endswith("…"):
            # the word before the ellipsis is whole: it appears in the text followed by a space
            stem = title[:-1]
            body = next(a.body for a in seed_articles[F004] if a.title == title)
            assert body.startswith(stem) and body[len(stem)] == " "


def test_terminology_and_references_stay_with_open_sesame(seed_articles):
    body = article(seed_articles, F001, 1).body
    assert "‘Social credit system’: 社会信用体系" in body
    assert "References (others linked directly within text)" in body


def test_same_article_in_001_and_003_cleans_to_the_same_text(seed_articles):
    a, b = article(seed_articles, F001, 1), article(seed_articles, F003, 1)
    assert a.title == b.title == OPEN_SESAME
    assert a.body == b.body


def test_repeated_caption_kept_once(seed_articles):
    body = article(seed_articles, F002, 1).body
    assert body.count("New 5G networks may advance technologies such as driverless vehicles.") == 1
    assert "PHOTO: SEONGJOON CHO/BLOOMBERG" in body  # the fuller of the two caption lines stays


# --- the rules are general: made-up pages from other sites ------------------------------------------

MADE_UP_PAGE = """Skip to content

Science

Robots Learn to Fold Laundry in New Study

Researchers taught a robot to fold towels using only a handful of demonstrations.

Jane Q. Public

Published on March 3, 2021

A team of engineers has shown that a robot arm can learn to fold towels after watching people do it a few times.

The method combines a camera, a simple gripper and a learning algorithm that needs far fewer examples than before.

Share this article

Other labs are now trying the approach on shirts and trousers, which are harder to fold.

By Jane Q. Public and John Smith

Jane Q. Public is a science reporter at the Example Daily.

© 2021 Example Daily. All rights reserved.

3 Comments

What a great read, thanks for sharing this with us all.

Leave a Comment

Health

City Hospitals Try Virtual Queues

Patients can now wait for appointments at home.

Published

Several hospitals have started sending patients a text message when the doctor is ready to see them.

Staff say the waiting rooms are calmer and patients are happier with the new system.

Related Articles

Ten Ways to Sleep Better
"""


def test_made_up_page_two_articles_with_their_metadata():
    arts = split_text(MADE_UP_PAGE, "example.txt")
    assert [a.title for a in arts] == [
        "Robots Learn to Fold Laundry in New Study",
        "City Hospitals Try Virtual Queues",
    ]
    robots, hospitals = arts
    assert robots.authors == ["Jane Q. Public", "John Smith"]
    assert robots.date == dt.date(2021, 3, 3)
    assert robots.site == "Example Daily"
    assert robots.category == "Science"
    assert (
        robots.summary
        == "Researchers taught a robot to fold towels using only a handful of demonstrations."
    )
    assert robots.body.endswith("which are harder to fold.")
    assert "Share this" not in robots.body and "science reporter" not in robots.body
    assert hospitals.category == "Health"
    assert hospitals.authors == []
    assert hospitals.site == "Example Daily"  # the page's one copyright owner
    assert hospitals.body.endswith("happier with the new system.")
    assert "Ten Ways" not in hospitals.body


def test_plain_note_with_a_heading_line():
    arts = split_text(
        "Notes on Tea\n\nGreen tea is steamed or pan-fired soon after picking.\n", "n.txt"
    )
    assert len(arts) == 1
    assert arts[0].title == "Notes on Tea" and not arts[0].title_derived
    assert arts[0].body == "Green tea is steamed or pan-fired soon after picking."


def test_page_of_only_chrome_has_no_articles():
    assert split_text("Home\n\nAdvertisement\n\nLeave a Reply\n\nFacebook\n", "x.txt") == []


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Manya Koetse", ["Manya Koetse"]),
        ("By Koen van der Lijn and Xiaojun Zhang", ["Koen van der Lijn", "Xiaojun Zhang"]),
        ("By Gabi Verberg, with contributions by Manya Koetse", ["Gabi Verberg", "Manya Koetse"]),
        ("By Ann Lee, Bo Chen & Cy Twombly", ["Ann Lee", "Bo Chen", "Cy Twombly"]),
        ("By 2020, most cities will have a plan.", []),
        ("By supporting this author you make future articles possible.", []),
    ],
)
def test_bylines(line, names):
    assert byline_names(line) == names


def test_split_names_drops_non_names():
    assert split_names("Kevin Yao; Editing by Richard Borsuk") == ["Kevin Yao"]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("February 12, 2019", dt.date(2019, 2, 12)),
        ("Feb. 12, 2019", dt.date(2019, 2, 12)),
        ("12 February 2019", dt.date(2019, 2, 12)),
        ("Sunday, 10 February, 2019", dt.date(2019, 2, 10)),
        ("2019-02-12", dt.date(2019, 2, 12)),
        ("February 30, 2019", None),
        ("February 12, 2019 and more", None),
    ],
)
def test_date_lines(text, date):
    assert parse_date_line(text) == date


def test_date_line_with_time_only_when_allowed():
    assert parse_date_line("Sunday, 10 February, 2019, 2:04pm") is None
    assert parse_date_line("Sunday, 10 February, 2019, 2:04pm", allow_time=True) == dt.date(
        2019, 2, 10
    )


def test_user_date_spans():
    assert user_date_span("2019") == (dt.date(2019, 1, 1), dt.date(2019, 12, 31))
    assert user_date_span("2019-02") == (dt.date(2019, 2, 1), dt.date(2019, 2, 28))
    assert user_date_span("2019-12") == (dt.date(2019, 12, 1), dt.date(2019, 12, 31))
    assert user_date_span("2019-02-12") == (dt.date(2019, 2, 12), dt.date(2019, 2, 12))
    with pytest.raises(ValueError, match="not a date"):
        user_date_span("last tuesday")
    with pytest.raises(ValueError, match="not a date"):
        user_date_span("2019-13")


def test_copyright_line():
    assert copyright_parts("©2018 Whatsonweibo. All rights reserved. Do not reproduce") == (
        2018,
        "Whatsonweibo",
    )
    assert copyright_parts("Copyright © 2020 The Example Post. All rights reserved.") == (
        2020,
        "The Example Post",
    )


def test_derive_title_short_sentence_kept_whole():
    assert derive_title("Rain is expected tomorrow. More later.") == "Rain is expected tomorrow"


def test_standfirst_without_final_period_under_a_section_label():
    page = (
        "World\n\nCity Opens Its First Night Market\n\nHUNDREDS QUEUE ON OPENING NIGHT\n\n"
        "Ann Lee\n\nPublished\n\nStalls sold noodles and lanterns until two in the morning.\n"
    )
    (article,) = split_text(page, "p.txt")
    assert (article.category, article.title) == ("World", "City Opens Its First Night Market")
    assert article.summary == "HUNDREDS QUEUE ON OPENING NIGHT"
    assert article.authors == ["Ann Lee"]


@pytest.mark.parametrize(
    "heading",
    [
        "boundary layer transition at supersonic speeds .",  # lowercased, closed by a period
        "Gauss (Algorithm 209 [S15])",
    ],
)
def test_a_first_line_standing_alone_above_the_text_is_its_title(heading):
    body = f"{heading} the text restates its title, as exported collections do, then goes on."
    [article] = split_text(f"{heading}\n\n{body}\n", "doc.txt")
    assert article.title == heading and not article.title_derived
    assert article.body == body  # the restated opening is text, kept


def test_a_first_line_of_two_sentences_is_text_not_a_title():
    text = "Hello there. This opens the text.\n\nAnd the text goes on for a while after it.\n"
    [article] = split_text(text, "doc.txt")
    assert article.title_derived and article.body.startswith("Hello there.")
