"""Keeping the gettext catalogues in step with the code: `nmirf i18n update` and `nmirf i18n check`.

Messages are marked in code as `t("...")` and `t.n("singular", "plural", n)` (conversations/);
the template is locales/messages.pot and each language has locales/<lang>/LC_MESSAGES/messages.po.
English is the source language: its catalogue repeats each message, so it is complete by
construction and a translator sees every message in one place."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import cast

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from conversations.i18n import LOCALES_DIR

ROOT = Path(__file__).resolve().parents[2]
LOCALES = LOCALES_DIR
SOURCES = ROOT / "conversations"
KEYWORDS = {"t": (1,), "n": (1, 2)}


def extract() -> Catalog:
    template = Catalog(project="nmirf-bot", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCES),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
    ):
        template.add(message, None, [(f"conversations/{filename}", lineno)], auto_comments=comments, context=context)
    return template


def _read(path: Path, locale: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=False)


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po"))


def update() -> list[str]:
    """Rewrite the template and merge it into every catalogue; returns what was done."""
    template = extract()
    _write(LOCALES / "messages.pot", template)
    done = []
    # English last: Babel's update shares new Message objects with the template, so filling the
    # English strings first would hand them to every language after it as "translations".
    for lang in sorted(set(languages()) - {"en"}) + ["en"]:
        path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        catalog = _read(path, lang) if path.exists() else Catalog(locale=lang, fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        if lang == "en":
            for msg in catalog:
                # a plural message reaches any() only with its (truthy) tuple of strings
                if (
                    msg.id
                    and not msg.string
                    or (isinstance(msg.id, tuple) and not any(cast(Iterable[str], msg.string)))
                ):
                    msg.string = msg.id
        catalog.obsolete.clear()
        _write(path, catalog)
        done.append(f"{path.relative_to(ROOT)}: {sum(1 for m in catalog if m.id)} messages")
    return done


def _has_words(text: str) -> bool:
    """Words outside the placeholders: a layout such as "{number} {title}: {status}" may stay as is."""
    return any(ch.isalpha() for ch in re.sub(r"\{\w+\}", "", text))


def check() -> list[str]:
    """Problems that make a catalogue unfit to ship: out of date, untranslated, fuzzy, or a
    translation whose {placeholders} differ from the source."""
    import re

    template = extract()
    wanted = {m.id for m in template if m.id}
    problems = []
    for path in sorted(SOURCES.glob("**/*.py")):  # a string the extractor cannot see stays English
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bT\([^()]*\)\(", line):
                problems.append(
                    f'{path.relative_to(ROOT)}:{lineno}: call t = T(language) then t("..."), '
                    "or the message is never extracted for translation"
                )
    for lang in sorted(set(languages()) | {"en"}):
        path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            problems.append(f"{lang}: no catalogue at {path.relative_to(ROOT)}; run `nmirf i18n update`")
            continue
        catalog = _read(path, lang)
        have = {m.id for m in catalog if m.id}
        for missing in wanted - have:
            problems.append(f"{lang}: missing {missing!r}; run `nmirf i18n update` and translate it")
        for msg in catalog:
            if not msg.id:
                continue
            # read_po gives a str, or a tuple for a plural message (never Babel's list form); an
            # empty string (or None) is reported as untranslated before any is read as text
            strings = cast(tuple[str, ...], msg.string if isinstance(msg.string, tuple) else (msg.string,))
            ids = cast(tuple[str, ...], msg.id if isinstance(msg.id, tuple) else (msg.id,))
            if msg.fuzzy:
                problems.append(f"{lang}: fuzzy {ids[0]!r}")
            if not all(strings):
                problems.append(f"{lang}: untranslated {ids[0]!r}")
                continue
            if lang != "en" and any(
                text == ids[min(i, len(ids) - 1)] and len(text) > 15 and _has_words(text)
                for i, text in enumerate(strings)
            ):
                problems.append(f"{lang}: still in English: {ids[0]!r}")
            fields = set(re.findall(r"{(\w+)}", ids[-1]))
            for s in strings:
                if set(re.findall(r"{(\w+)}", s)) - fields - {"count"}:
                    problems.append(f"{lang}: {ids[0]!r} uses a placeholder the source does not have: {s!r}")
    return problems
