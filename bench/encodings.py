"""Detecting the encoding of files that are not UTF-8: charset-normalizer, bs4's UnicodeDammit, ours.

    python -m bench.encodings

Samples: seed text encoded as windows-1252, latin-1 and iso-8859-15 (with accents, curly quotes,
a euro sign), Chinese as GBK, GB18030, Big5 and UTF-16, Russian as KOI8-R and windows-1251,
Japanese as Shift-JIS and EUC-JP. A guess counts as right when it decodes the bytes to the same
text as the true encoding (latin-1 and windows-1252 agree on most letters). "ours" is
searchkit.ingest.decode.decode: charset-normalizer's guess, with windows-1252 preferred for Latin text.
"""

from __future__ import annotations

import time

from bench.common import ROOT


def samples() -> list[tuple[str, bytes]]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    western = (
        texts[1][:6000].replace("’", "'").replace("‘", "'")
        + " Café crème, naïve façade — “quoted” €5"
    )
    chinese = "".join(ch for t in texts for ch in t if "\u4e00" <= ch <= "\u9fff")
    chinese = "微信 隐私 芝麻信用 社会信用体系 " + chinese[:3000]
    russian = "Привет, это статья о китайском интернете и социальном кредите. " * 20
    japanese = "これは日本語の記事です。中国のインターネットについて。" * 30
    out = [
        (enc, western.encode(enc, errors="ignore")) for enc in ("cp1252", "latin-1", "iso-8859-15")
    ]
    out += [
        (enc, chinese.encode(enc, errors="ignore")) for enc in ("gbk", "gb18030", "big5", "utf-16")
    ]
    out += [(enc, russian.encode(enc)) for enc in ("koi8-r", "cp1251")]
    out += [(enc, japanese.encode(enc)) for enc in ("shift_jis", "euc-jp")]
    return out


def _charset_normalizer(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return best.encoding if best else None


def _unicode_dammit(data: bytes) -> str | None:
    from bs4 import UnicodeDammit

    return UnicodeDammit(data).original_encoding


def _ours(data: bytes) -> str | None:
    from searchkit.ingest.decode import decode

    return decode(data)[1]


DETECTORS = {
    "charset-normalizer": _charset_normalizer,
    "bs4 UnicodeDammit": _unicode_dammit,
    "searchkit (ours)": _ours,
}


def same_text(data: bytes, true: str, guess: str | None) -> bool:
    try:
        return guess is not None and data.decode(true) == data.decode(guess)
    except (UnicodeDecodeError, LookupError):
        return False


def main(argv: list[str] | None = None) -> dict:
    cases = samples()
    results = {}
    for name, detect in DETECTORS.items():
        started = time.perf_counter()
        guesses = [(true, detect(data)) for true, data in cases]
        seconds = time.perf_counter() - started
        right = sum(same_text(d, t, g) for (t, d), (_, g) in zip(cases, guesses, strict=True))
        results[name] = {
            "right": right,
            "samples": len(cases),
            "ms_per_file": 1000 * seconds / len(cases),
        }
        wrong = [
            f"{t}->{g}"
            for (t, d), (_, g) in zip(cases, guesses, strict=True)
            if not same_text(d, t, g)
        ]
        print(
            f"{name:<20} {right}/{len(cases)} right, {results[name]['ms_per_file']:.1f} ms/file; wrong: {', '.join(wrong) or '-'}"
        )
    return results


if __name__ == "__main__":
    main()
