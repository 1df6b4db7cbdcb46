"""Line-level knowledge about scraped pages: what a line *is*.

Scraped text dumps keep a page's structure as lines. Each line is one of: content, page chrome to drop
(navigation, share buttons, ads), a line that ends an article (copyright footers, comment forms,
"Read the full article here"), or a line that carries metadata (bylines, datelines, mastheads).
The patterns are about how news sites are built in general, not about any one file.
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum

from searchkit.ingest.dates import parse_date_line


class Kind(Enum):
    CONTENT = "content"
    BLANK = "blank"
    CHROME = "chrome"  # navigation, share widgets, ads: dropped, nothing else changes
    END_HARD = (
        "end_hard"  # footer or comment section: the article is over; what follows is page tail
    )
    END_SOFT = "end_soft"  # "Read the full article here": the article is over; a new one may follow
    BYLINE = "byline"  # "By Jane Doe and John Roe"
    SIGNOFF = "signoff"  # "Write to Jane Doe at", "(Reporting by Jane Doe; Editing by …)"
    DATELINE = "dateline"  # "PUBLISHED : Sunday, 10 February, 2019, 2:04pm"
    MASTHEAD = "masthead"  # a publication's name on a line of its own: "The New York Times"
    COPYRIGHT = "copyright"  # "©2018 Whatsonweibo. All rights reserved." (also ends the article)
    PAGE_HEADING = "page_heading"  # "Posts Tagged 'WeChat'"


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


CHROME = _rx(
    r"^(advertisement|advertising|sponsored( content)?|ad)$",
    r"^(print|image_print|print this( article)?|e-?mail|share|share this( article| story)?:?|tweet)$",
    r"^(facebook|twitter|instagram|linkedin|whatsapp|weibo|wechat|reddit|pinterest)$",
    r"^follow (us )?on (twitter|facebook|instagram|linkedin|weibo|wechat)$",
    r"^(connect with us|continue reading|read more|load more|show more|more|menu|search|home)$",
    r"^(about|about us|contact|contact us|contribute|donate|subscribe|sign in|log in|sign up)$",
    r"^(skip to (main )?content|back to top|top|next|previous|next article|previous article)$",
    r"^image result for\b",
    r"^appeared in the .{0,40}print edition\b",
    r"^(阅读简体中文版|閱讀繁體中文版|阅读简体中文版\s*閱讀繁體中文版)$",
    r"^(first published|published|posted|updated)(\s+on)?\s*:?$",
    r"^supported by$",  # NYT's label above an ad
    # A pointer to another story inside the text ("Lesen Sie auch: …", "VEA TAMBIÉN: …"), in the
    # languages of trafilatura's evaluation pages and the seeds: the line is a link, not the story.
    r"^(also read|read also|see also|read more|more on this( story| topic)?|lesen sie auch|"
    r"auch lesen|mehr zum thema|schon gelesen|zum weiterlesen|weiterlesen|das könnte sie auch "
    r"interessieren|à lire aussi|a lire aussi|lire aussi|à voir aussi|voir aussi|le puede "
    r"interesar|te puede interesar|lee también|lea también|vea también|ver también|puedes ver|"
    r"mire|leia também|leggi anche|czytaj (też|także|również)|zobacz (też|także|również))"
    r"\s*(?:[:?!]|$).{0,160}$",
    # Picture credits: "Photo: Jane Doe/Reuters", "Credit...Doug Mills", "AFP / JANE DOE".
    r"^(photo|photos|picture|image|credit|credits|crédit|crédito|foto|fotos|bild|zdjęcie)"
    r"\s*(?::|\.\.\.|…)\s*\S.{0,80}$",
    r"^[A-Z]{2,8}\s*/\s*[\w.'’-]+(?:\s[\w.'’-]+){0,3}$",
    # Newsletter and app promos closing a story.
    r"^(subscribe|sign up|never miss|download (the|our)) .{0,150}"
    r"(newsletter|edition|sign(ing)? up|inbox|app|apps)\b.{0,60}$",
)

END_HARD = _rx(
    r"^\d+\s+(comments?|responses?|replies)$",
    r"^(comments?|leave a (reply|comment)|post a comment|add a comment|click to comment)$",
    r"^(join the (discussion|conversation))$",
    r"^your email address will not be published\b",
    r"^required fields are marked\b",
    r"^(spotted|found|see) (a|an) (mistake|error|typo)\b",
    r"^(got|have) (any|a) (tips?|story|news tip)\b",
    r"^directly support\b",
    r"^(support|become) (us|our journalism|a (patron|member|subscriber))\b",
    r"^support [\w’'. ]{1,40}$",
    r"^if you (enjoy|like|value) .{0,80}(consider|support|donat)",
    r"^(related (articles|posts|stories|reading)|you (may|might) also like|more stories)$",
    r"^(popular|popular reads|most popular|most read|trending( this week| now)?|read next)$",
    r"^(recommended( for you)?|further reading|more from .{1,40}|latest( news| stories)?)$",
)

END_SOFT = _rx(
    r"^(read|see) the (full|rest of the|whole|original) (article|story|post)( here| at .{1,60})?[.:!]?$",
    r"^(see|read) the rest[.:!]?$",
    r"^(read|view) (the )?(full|original) (article|story) (here|on .{1,60}|at .{1,60})[.:!]?$",
    r"^(source|originally published( at| on| in)?)\s*:?\s*https?://\S+$",
)

COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright\b)\s*(?:©\s*)?(?P<year>(?:19|20)\d{2})?[\s,–-]*"
    r"(?:(?:19|20)\d{2}\s*)?(?P<site>[^.©]{2,60}?)?\s*[.,]?\s*(?:all rights reserved|$)",
    re.IGNORECASE,
)
_COPYRIGHT_START = re.compile(r"^(?:©|\(c\)\s|copyright\s+(?:©|\(c\)|(?:19|20)\d{2}))", re.I)

PAGE_HEADING = re.compile(
    r"^(?:posts tagged|tagged|tag|tag archives?|category|category archives?|archives? for|"
    r"stories tagged)\s*:?\s*[‘'\"“«]?(?P<tag>[^’'\"”»]{1,60})[’'\"”»]?$",
    re.IGNORECASE,
)

_NAME_PARTICLES = {
    "van", "der", "de", "den", "von", "da", "di", "la", "le", "du", "dos", "del", "ter", "bin",
    "al", "el", "ibn", "st.",
}  # fmt: skip
_NAME_TOKEN = re.compile(r"^[A-Z\u00C0-\u024F][\w\u00C0-\u024F.'’-]*$")
# Linear on any input (tests/test_regex_linear.py): a match starts only where a run of spaces
# starts (?<!\s), and no two quantifiers over spaces meet ("\s*,?\s+" was quadratic on a run of
# spaces: (?:\s*,)?\s+ says the same).
_NAME_SPLIT = re.compile(
    r"(?<!\s)(?:"
    r"(?:\s*,)?\s+with (?:additional )?(?:contributions|reporting|research) (?:by|from)\s+"
    r"|\s*;\s*|\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*"
    r")",
    re.IGNORECASE,
)
BYLINE = re.compile(r"^[Bb][Yy]\s+(?P<names>[A-Z].{1,150})$")
SIGNOFF = _rx(
    r"^write to (?P<w>.{3,120}?) (?:at|on)\b.*$",
    r"^\(?\s*reporting by (?P<r>[^;)]{3,120})(?:;[^)]*)?\)?\.?$",
)
DATELINE = re.compile(
    r"^(?P<label>published|updated|posted|last updated|first published)(?:\s+on)?\s*:?\s*(?P<date>.+)$",
    re.IGNORECASE,
)
_PUBLICATION_WORDS = (
    r"times|post|journal|news|daily|herald|tribune|guardian|reuters|bloomberg|economist|gazette|"
    r"telegraph|monitor|observer|weekly|press|magazine|chronicle|inquirer|independent|wire|"
    r"associated press|afp|xinhua|caixin"
)
MASTHEAD = re.compile(
    rf"^(?:the\s+)?(?:[A-Z][\w’'&.-]*\s+){{0,4}}(?:{_PUBLICATION_WORDS})$", re.IGNORECASE
)
_SMALL_WORDS = {"the", "of", "and", "&", "for", "in", "on", "at", "a"}

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_HAS_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def normalise(text: str) -> list[str]:
    """Page text -> stripped lines, with odd spaces made plain and doubled captions undone."""
    text = unicodedata.normalize("NFC", text)
    if _HAS_ZERO_WIDTH.search(text):  # rare; str.translate walks every character
        text = text.translate(_ZERO_WIDTH)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # One pass over the page rather than one per line (no run of these spaces holds a newline).
    text = _SPACES.sub(" ", text)
    return [undouble(raw.strip()) for raw in text.split("\n")]


def undouble(line: str) -> str:
    """'Caption text.Caption text.' -> 'Caption text.' (a scraper read the same caption twice)."""
    n = len(line)
    if n >= 40 and n % 2 == 0 and line[: n // 2] == line[n // 2 :]:
        return line[: n // 2]
    return line


def has_words(line: str) -> bool:
    return any(ch.isalnum() for ch in line)


def classify(line: str) -> Kind:
    if not line or not has_words(line):
        return Kind.BLANK
    if len(line) <= 200:
        if _COPYRIGHT_START.match(line) or "all rights reserved" in line.lower():
            return Kind.COPYRIGHT
        if CHROME.match(line):
            return Kind.CHROME
        if END_HARD.match(line):
            return Kind.END_HARD
        if END_SOFT.match(line):
            return Kind.END_SOFT
        if PAGE_HEADING.match(line):
            return Kind.PAGE_HEADING
        if byline_names(line):
            return Kind.BYLINE
        if signoff_names(line):
            return Kind.SIGNOFF
        if dateline_date(line) is not None:
            return Kind.DATELINE
        if is_masthead(line):
            return Kind.MASTHEAD
    elif END_HARD.match(line):  # long footer sentences ("Spotted a mistake … email us.")
        return Kind.END_HARD
    return Kind.CONTENT


def is_name(text: str) -> bool:
    """'Manya Koetse', 'Koen van der Lijn', 'Things That Talk' — a person's or desk's name."""
    tokens = text.split()
    if not 1 <= len(tokens) <= 5 or len(text) > 60:
        return False
    if any(ch.isdigit() for ch in text):
        return False
    capitalised = 0
    for token in tokens:
        if token.lower() in _NAME_PARTICLES:
            continue
        if not _NAME_TOKEN.match(token):
            return False
        capitalised += 1
    return capitalised >= 1


# A byline piece made of these words is a job, a desk or a publisher, not a person: "AP Auto
# Writer", "Staff Reporter", "National Desk", "Associated Press". Real bylines put them after the
# name ("By TOM KRISHER, AP Auto Writer", "JILL LAWLESS Associated Press").
_ROLE_NOUNS = frozenset(
    ["writer", "writers", "correspondent", "correspondents", "reporter", "reporters", "editor", "editors", "columnist", "contributor", "contributors", "producer", "photographer", "photojournalist", "analyst", "critic", "intern", "staff", "desk", "team", "newsroom", "bureau", "journalist", "journalists", "redaktion", "redakteur", "redakteurin", "korrespondent", "korrespondentin"]
)
_ROLE_WORDS = _ROLE_NOUNS | frozenset(
    ["senior", "special", "contributing", "associate", "managing", "deputy", "executive", "chief", "political", "foreign", "national", "international", "business", "science", "sports", "auto", "technology", "tech", "health", "legal", "economics", "white", "house", "investigative", "freelance", "guest", "regional", "local", "digital", "news", "global", "city", "metro", "world", "ap", "afp", "upi", "dpa"]
)
# Agencies and papers that bylines name beside (or instead of) a person.
AGENCIES = frozenset(
    {
        "associated press", "the associated press", "ap", "reuters", "thomson reuters", "afp",
        "agence france-presse", "bloomberg", "bloomberg news", "cnn", "cnn wire", "bbc",
        "bbc news", "upi", "dpa", "xinhua", "efe", "ansa", "kyodo", "kyodo news", "tass",
        "press association", "the new york times", "new york times", "the washington post",
    }
)  # fmt: skip
_MAX_AGENCY_WORDS = 4  # the longest run-on publisher stripped from a name ("the new york times")


def person_name(
    piece: str, publishers: frozenset[str] = frozenset(), *, strict: bool = True
) -> str | None:
    """The person a byline piece names, without the job or publisher run on after it; None when
    the piece names no person ("AP Auto Writer", "National Desk", "Reuters").

    ``publishers``: lower-cased names of the page's own site or publisher, stripped like agencies.
    ``strict``: the rest must look like a name (``is_name``); a page's declared author field
    (JSON-LD, meta tags) is trusted with names that do not ('Amanda "Tania Mae" Tan', 严玉洁).
    """
    words = piece.split()
    lowered = [w.lower().strip(",.") for w in words]
    known = AGENCIES | publishers
    if " ".join(lowered) in known:
        return None
    for size in range(min(len(words) - 2, _MAX_AGENCY_WORDS), 0, -1):
        if " ".join(lowered[-size:]) in known:
            words, lowered = words[:-size], lowered[:-size]  # "JILL LAWLESS Associated Press"
            break
    if lowered and lowered[-1] in _ROLE_NOUNS:
        cut = len(words) - 1
        while cut > 0 and lowered[cut - 1] in _ROLE_WORDS:
            cut -= 1
        words = words[:cut]  # "Jane Doe Senior Political Correspondent"
    if not words:
        return None
    name = " ".join(words).strip(" ,.")
    if name.isupper() and len(words) >= 2:
        name = name.title()  # "JILL LAWLESS" as the page shouts it
    return name if (is_name(name) or not strict) and 1 < len(name) <= 80 else None


def is_agency(piece: str) -> bool:
    """'Associated Press', 'CNN Wire': an organisation a byline may name instead of a person."""
    return piece.strip(" ,.").lower() in AGENCIES


def split_names(
    text: str, publishers: frozenset[str] = frozenset(), *, strict: bool = True
) -> list[str]:
    """'Gabi Verberg, with contributions by Manya Koetse' -> ['Gabi Verberg', 'Manya Koetse'];
    jobs and publishers run on after a name are left out ('By TOM KRISHER, AP Auto Writer')."""
    names = []
    for part in _name_pieces(text):
        name = person_name(part, publishers, strict=strict)
        if name and name not in names:
            names.append(name)
    return names


def _name_pieces(text: str) -> list[str]:
    pieces = []
    for part in _NAME_SPLIT.split(text.strip().rstrip(".")):
        part = part.strip(" .,")
        if part.lower().startswith("and "):
            part = part[4:]
        if part:
            pieces.append(part)
    return pieces


def _is_role(piece: str) -> bool:
    lowered = [w.lower().strip(",.") for w in piece.split()]
    return bool(lowered) and (
        is_agency(piece) or (lowered[-1] in _ROLE_NOUNS and all(w in _ROLE_WORDS for w in lowered))
    )


def byline_names(line: str) -> list[str]:
    match = BYLINE.match(line)
    if not match:
        return []
    raw = match.group("names")
    names = split_names(raw)
    # Every piece must be a name or a job: "By 2020, most cities…" or "By supporting…" are
    # sentences.
    pieces = [p for p in _name_pieces(raw) if not _is_role(p)]
    return names if names and len(names) == len(pieces) else []


def signoff_names(line: str) -> list[str]:
    match = SIGNOFF.match(line)
    if not match:
        return []
    return split_names(match.group("w") or match.group("r") or "")


def dateline_date(line: str):  # -> dt.date | None
    match = DATELINE.match(line)
    if not match:
        return None
    return parse_date_line(match.group("date"), allow_time=True)


def is_masthead(line: str) -> bool:
    words = line.split()
    if not 2 <= len(words) <= 6 or len(line) > 50 or not MASTHEAD.match(line):
        return False
    return all(w[0].isupper() or w.lower() in _SMALL_WORDS for w in words)


def copyright_parts(line: str) -> tuple[int | None, str | None]:
    """'©2018 Whatsonweibo. All rights reserved…' -> (2018, 'Whatsonweibo')."""
    match = COPYRIGHT.match(line)
    if not match:
        return None, None
    year = int(match.group("year")) if match.group("year") else None
    site = (match.group("site") or "").strip(" .,-–")
    if not site or len(site.split()) > 6 or site.lower().startswith("all rights"):
        site = None
    return year, site


def page_tag(line: str) -> str | None:
    match = PAGE_HEADING.match(line)
    return match.group("tag").strip() if match else None


def word_count(line: str) -> int:
    return len(line.split())


def is_title(line: str) -> bool:
    """Could this line be a headline? Short, not a sentence ending in a period, not a link or list item."""
    if not has_words(line) or len(line) > 250 or not 1 <= word_count(line) <= 30:
        return False
    if line[-1] in ".:;,":
        return line.endswith("...")  # "What China does with social media..." is a headline
    if re.match(r"^(https?://|www\.|[•*·\-–—>#]|\d+\.\s)", line):
        return False
    return line[0].isupper() or line[0].isdigit() or line[0] in "‘'\"“«¿¡"


def is_heading_line(line: str) -> bool:
    """Could this line, standing alone above a blank line at the top of a text, be its title?

    Looser than ``is_title``: a text file's first line set off by a blank line is its title by
    convention, even lowercased or closed with a period, as in collections exported one document
    per file ("boundary layer transition at supersonic speeds ."). Without this, every such title
    was replaced by the body's first words (a derived title, not scored as a title), which cost
    0.035 nDCG@10 on Cranfield (docs/benchmarks.md). Still one short line of words, holding at
    most one sentence, not a link or a list item.
    """
    if not has_words(line) or len(line) > 250 or not 1 <= word_count(line) <= 25:
        return False
    if re.match(r"^(https?://|www\.|[•*·\-–—>#]|\d+\.\s)", line):
        return False
    return not re.search(r"[.!?]\s+\S", line)  # no second sentence after a stop


def is_sentence(line: str) -> bool:
    return line[-1:] in '.!?…"”’)' or word_count(line) >= 12


def is_category(line: str) -> bool:
    """'China Digital', 'Technology': a short section label above a headline."""
    return (
        1 <= word_count(line) <= 4
        and len(line) <= 40
        and line[-1:].isalnum()
        and not any(ch.isdigit() for ch in line)
        and line[0].isupper()
    )
