"""A seeded generator of realistic saved-article folders, for measuring searchkit at scale.

    python -m bench.corpus --articles 10000 --out bench/.cache/gen-10000

What it writes looks like seeds/: text dumps of scraped pages. Most pages hold one article, some a
main article followed by related ones, some are tag archives (headline + date line per post). Pages
carry the chrome segmentation must strip (navigation, "Published" markers, bylines, copyright
footers, comment sections). A share of stories is saved again on another page with small edits and
a different tail, so dedup has real work. The same seed always writes the same files.

The language comes from real text: sentences of the seed articles and of the Cranfield abstracts
(../shared/ir/cranfield), recombined, with rare proper nouns mixed in so the vocabulary keeps
growing with the corpus as real collections do (Heaps' law) instead of saturating.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.common import CACHE, ROOT
from bench.common import CRANFIELD as _CRANFIELD_DIR

CRANFIELD = _CRANFIELD_DIR / "cran.all.1400"
# the repository's own copy of the same file (tests/data/cranfield), when ../shared is not there
_CRANFIELD_FALLBACKS = [ROOT / "tests" / "data" / "cranfield" / "cran.all.1400"]

SITES = [
    "Whatsonweibo", "The Daily Ledger", "Harbor Times", "Northern Post", "Civic Review",
    "Tech Weekly", "The Morning Wire", "Coastal Herald", "Metro Journal", "Asia Signal",
    "Digital Courier", "The Evening Standard", "Plains Gazette", "Capital Observer", "Market Monitor",
    "River City News", "The Open Record", "Summit Chronicle", "Lakeside Press", "Global Brief",
]  # fmt: skip
CATEGORIES = [
    "China Digital", "Technology", "Business", "Politics", "Science", "Health", "Culture",
    "Media", "Economy", "World", "Opinion", "Society", "Travel", "Education", "Sports",
]  # fmt: skip
_SYLLABLES = [
    "an", "bel", "cor", "da", "el", "fen", "gar", "hu", "is", "jin", "ka", "lo", "mar", "ne", "ol",
    "pra", "qi", "ru", "sen", "ta", "ul", "ver", "wen", "xi", "ya", "zho", "bo", "li", "mei", "tor",
]  # fmt: skip


@dataclass(slots=True)
class GenArticle:
    title: str
    subtitle: str
    authors: list[str]
    date: str  # ISO
    site: str
    category: str
    body: str
    copy_of: int | None = None  # index of the story this is a copy of


@dataclass(slots=True)
class Manifest:
    seed: int
    articles: int  # distinct stories
    copies: int  # extra saved copies (near duplicates)
    files: int
    words: int
    stories: list[dict] = field(default_factory=list)


def _sentences() -> list[str]:
    """Real sentences to recombine: the seed articles' and Cranfield's abstracts."""
    sys.path.insert(0, str(ROOT))
    from searchkit.ingest.text_dump import split_text

    pool: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        for article in split_text(path.read_text(encoding="utf-8"), path.name):
            for para in article.body.split("\n"):
                pool.extend(
                    s for s in re.split(r"(?<=[.!?])\s+", para) if 6 <= len(s.split()) <= 60
                )
    cran = next((p for p in [CRANFIELD, *_CRANFIELD_FALLBACKS] if p.exists()), None)
    if cran is not None:
        text = cran.read_text(encoding="utf-8", errors="replace")
        for block in text.split(".W")[1:]:
            body = block.split(".I ", 1)[0]
            flat = " ".join(body.split()).replace(" .", ".").replace(" ,", ",")
            for sentence in re.split(r"(?<=[.!?])\s+", flat):
                if 6 <= len(sentence.split()) <= 60:
                    pool.append(sentence[0].upper() + sentence[1:])
    return pool


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sentences = _sentences()
        self.authors = [self._person() for _ in range(800)]
        self.rare_names = [self._word(3) for _ in range(20000)]

    def _word(self, syllables: int) -> str:
        return "".join(self.rng.choice(_SYLLABLES) for _ in range(syllables)).capitalize()

    def _person(self) -> str:
        return f"{self._word(self.rng.randint(1, 2))} {self._word(self.rng.randint(2, 3))}"

    def _sentence(self) -> str:
        sentence = self.rng.choice(self.sentences)
        if self.rng.random() < 0.3:  # a rare proper noun, so the vocabulary keeps growing
            words = sentence.split()
            words.insert(
                self.rng.randrange(len(words)),
                self.rng.choice(self.rare_names) + self._word(1).lower(),
            )
            sentence = " ".join(words)
        return sentence

    def _standfirst(self) -> str:
        while True:
            sentence = self._sentence()
            if sentence[0].isalpha() and sentence.endswith(".") and not sentence.isupper():
                return sentence

    def article(self) -> GenArticle:
        rng = self.rng
        length = int(min(2500, max(120, rng.lognormvariate(6.2, 0.55))))  # words; median ~490
        paragraphs, words = [], 0
        while words < length:
            para = " ".join(self._sentence() for _ in range(rng.randint(2, 5)))
            paragraphs.append(para)
            words += len(para.split())
        title_words = re.findall(r"[A-Za-z][\w’'-]*", self._sentence())[: rng.randint(5, 11)]
        title = " ".join(
            w if i and w.islower() and len(w) < 4 else w.capitalize()
            for i, w in enumerate(title_words)
        )
        n_authors = 1 if rng.random() < 0.85 else 2
        # Zipf-like: a few prolific authors, a long tail
        authors = [
            self.authors[min(int(rng.paretovariate(1.1)) - 1, len(self.authors) - 1)]
            for _ in range(n_authors)
        ]
        if n_authors == 2 and authors[0] == authors[1]:
            authors = authors[:1]
        date = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(15 * 365))
        return GenArticle(
            title=title,
            subtitle=self._standfirst(),
            authors=authors,
            date=date.isoformat(),
            site=rng.choice(SITES),
            category=rng.choice(CATEGORIES),
            body="\n\n".join(paragraphs),
        )

    def near_copy(self, original: GenArticle, index: int) -> GenArticle:
        """The same story saved again: a few words edited, sometimes cut short."""
        rng = self.rng
        words = original.body.split(" ")
        rate = rng.uniform(0.005, 0.04)
        for _ in range(int(len(words) * rate)):
            words[rng.randrange(len(words))] = rng.choice(
                ["reportedly", "officials", "however", "update"]
            )
        if rng.random() < 0.3:
            words = words[: int(len(words) * rng.uniform(0.7, 0.95))]
        copy = GenArticle(**{**asdict(original), "body": " ".join(words), "copy_of": index})
        if rng.random() < 0.5:
            copy.authors = []  # the second save lost its byline
        return copy


def render_page(articles: list[GenArticle], style: str, rng: random.Random) -> str:
    """A page in one of the layouts scraped dumps show (see seeds/)."""
    out: list[str] = []
    if style == "archive":
        out += [f"Posts Tagged ‘{articles[0].category}’", ""]
        for a in articles:
            date = dt.date.fromisoformat(a.date)
            out += [a.title, "", f"{date:%B} {date.day}, {date.year}", "", a.body, ""]
            if a.authors:
                out += [f"Write to {a.authors[0]} at", ""]
        return "\n".join(out)
    if style == "plain":
        a = articles[0]
        return f"{a.title}\n\n{a.body}\n"
    out += ["Connect with us", ""]
    for n, a in enumerate(articles):
        date = dt.date.fromisoformat(a.date)
        out += [a.category, "", a.title, "", a.subtitle, ""]
        if a.authors:
            out += [a.authors[0], ""]
        out += ["Published", "", "on", "", f"{date:%B} {date.day}, {date.year}", "", a.body, ""]
        if a.authors:
            out += ["By " + " and ".join(a.authors), ""]
        out += [
            "Spotted a mistake or want to add something? Please let us know in comments below.",
            "",
            f"©{date.year} {a.site}. All rights reserved.",
            "",
        ]
        if n == 0 and rng.random() < 0.4:
            out += [
                "2 Comments",
                "",
                "Great article, thanks for sharing this with everyone.",
                "",
                "Leave a Reply",
                "",
            ]
            out += ["Your email address will not be published. Required fields are marked *", ""]
        out += ["Continue Reading", ""]
    out += ["Advertisement", "", "About", "", "Follow on Twitter", ""]
    return "\n".join(out)


def generate(articles: int, out: Path, *, seed: int = 42, copy_share: float = 0.08) -> Manifest:
    """Write a corpus of ``articles`` distinct stories (plus near copies) into ``out``."""
    gen = Generator(seed)
    rng = gen.rng
    stories = [gen.article() for _ in range(articles)]
    copies = [
        gen.near_copy(stories[i], i)
        for i in rng.sample(range(articles), int(articles * copy_share))
    ]
    items = stories + copies
    order = list(range(len(items)))
    rng.shuffle(order)
    out.mkdir(parents=True, exist_ok=True)
    files = words = 0
    i = 0
    while i < len(order):
        roll = rng.random()
        if roll < 0.80:
            style, take = ("plain" if rng.random() < 0.3 else "site"), 1
        elif roll < 0.95:
            style, take = "site", rng.randint(2, 3)
        else:
            style, take = "archive", rng.randint(3, 9)
        page = [items[j] for j in order[i : i + take]]
        i += take
        folder = out / f"{files // 1000:03d}"
        folder.mkdir(exist_ok=True)
        (folder / f"page-{files:06d}.txt").write_text(
            render_page(page, style, rng), encoding="utf-8"
        )
        files += 1
        words += sum(len(a.body.split()) for a in page)
    manifest = Manifest(seed, articles, len(copies), files, words)
    (out / ".manifest.json").write_text(json.dumps(asdict(manifest)), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    manifest = generate(args.articles, args.out, seed=args.seed)
    print(json.dumps({k: v for k, v in asdict(manifest).items() if k != "stories"}))


if __name__ == "__main__":
    main()


def corpus_for(articles: int, seed: int = 42) -> Path:
    """The generated corpus of ``articles`` stories (bench/corpus.py), cached in bench/.cache."""
    folder = CACHE / f"gen-{articles}-seed{seed}"
    manifest = folder / ".manifest.json"
    if not manifest.exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate(articles, folder, seed=seed)
    return folder
