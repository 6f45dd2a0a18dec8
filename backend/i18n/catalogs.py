"""Keeping the gettext catalogues in step with the code: `nmirf i18n update` and `nmirf i18n check`.

Two domains, each with its template locales/<domain>.pot and a catalogue per language,
locales/<lang>/LC_MESSAGES/<domain>.po:
- `messages`, what the bot says (SMS-budgeted): marked in conversations/ as `t("...")` and
  `t.n("singular", "plural", n)`;
- `admin`, the secretariat's pages: marked in backend/admin/templates/*.html as `{{ _("...") }}`
  and `{% trans %}...{% endtrans %}` (Jinja2's extractor, new-style gettext, trimmed), and in
  backend/admin/*.py as `_("...")` and `N_("singular", "plural", n)` (backend/admin/i18n.py).
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
DOMAINS = ("messages", "admin")
ADMIN_SOURCES = ROOT / "backend" / "admin"
ADMIN_KEYWORDS = {"_": None, "gettext": None, "N_": (1, 2), "ngettext": (1, 2)}
JINJA_OPTIONS = {"trimmed": "true", "newstyle_gettext": "true", "trim_blocks": "true"}


def extract(domain: str = "messages") -> Catalog:
    if domain == "admin":
        return extract_admin()
    template = Catalog(project="nmirf-bot", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCES),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
    ):
        template.add(message, None, [(f"conversations/{filename}", lineno)], auto_comments=comments, context=context)
    return template


def extract_admin() -> Catalog:
    """The admin pages' messages: templates first, then the Python modules beside them."""
    template = Catalog(project="nmirf-bot", domain="admin", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ADMIN_SOURCES),
        method_map=[("templates/**.html", "jinja2.ext:babel_extract"), ("*.py", "python")],
        options_map={"templates/**.html": JINJA_OPTIONS},
        keywords=ADMIN_KEYWORDS,
        comment_tags=("TRANSLATORS:",),
    ):
        template.add(message, None, [(f"backend/admin/{filename}", lineno)], auto_comments=comments, context=context)
    return template


def _path(lang: str, domain: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{domain}.po"


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
    """Rewrite each domain's template and merge it into every catalogue; returns what was done.
    A language the bot speaks (it has a messages.po) gets an admin.po too, empty until translated."""
    done = []
    for domain in DOMAINS:
        done += _update(domain)
    return done


def _update(domain: str) -> list[str]:
    template = extract(domain)
    _write(LOCALES / f"{domain}.pot", template)
    done = []
    # English last: Babel's update shares new Message objects with the template, so filling the
    # English strings first would hand them to every language after it as "translations".
    for lang in sorted(set(languages()) - {"en"}) + ["en"]:
        path = _path(lang, domain)
        catalog = (
            _read(path, lang)
            if path.exists()
            else Catalog(locale=lang, domain=domain, project="nmirf-bot", fuzzy=False)
        )
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


def _bare(text: str) -> str:
    """The text without its placeholders ({name}, %(name)s)."""
    return re.sub(r"%\(\w+\)s", "", re.sub(r"\{\w+\}", "", text))


def _has_words(text: str) -> bool:
    """Words outside the placeholders: a layout such as "{number} {title}: {status}" may stay as is."""
    return any(ch.isalpha() for ch in _bare(text))


def _fields(text: str) -> set[str]:
    """The placeholders of a message: `{name}` (Python code) or `%(name)s` (templates)."""
    return set(re.findall(r"{(\w+)(?:![rsa])?}", text)) | set(re.findall(r"%\((\w+)\)s", text))


def check() -> list[str]:
    """Problems that make a catalogue unfit to ship, in both domains: out of date, untranslated,
    fuzzy, or a translation whose placeholders differ from the source; for the admin pages also a
    stale message (in a catalogue but no longer in a template or the code)."""
    return check_messages() + check_admin()


def check_admin() -> list[str]:
    template = extract("admin")
    wanted = {m.id for m in template if m.id}
    problems = []
    for lang in sorted(set(languages()) | {"en"}):
        path = _path(lang, "admin")
        if not path.exists():
            problems.append(f"{lang}: no catalogue at {path.relative_to(ROOT)}; run `nmirf i18n update`")
            continue
        catalog = _read(path, lang)
        have = {m.id for m in catalog if m.id}
        for missing in sorted(wanted - have, key=str):
            problems.append(f"{lang}: admin: missing {missing!r}; run `nmirf i18n update` and translate it")
        for stale in sorted(have - wanted, key=str):
            problems.append(f"{lang}: admin: stale {stale!r}, in no template or code; run `nmirf i18n update`")
        untranslated = []
        for msg in catalog:
            if not msg.id:
                continue
            strings = cast(tuple[str, ...], msg.string if isinstance(msg.string, tuple) else (msg.string,))
            ids = cast(tuple[str, ...], msg.id if isinstance(msg.id, tuple) else (msg.id,))
            if msg.fuzzy:
                problems.append(f"{lang}: admin: fuzzy {ids[0]!r}")
            if not all(strings):
                untranslated.append(ids[0])
                continue
            if lang != "en" and any(
                text == ids[min(i, len(ids) - 1)] and len(_bare(text)) > 15 and _has_words(text)
                for i, text in enumerate(strings)
            ):
                problems.append(f"{lang}: admin: still in English: {ids[0]!r}")
            fields = _fields(ids[-1]) | _fields(ids[0])
            for s in strings:
                if _fields(s) - fields - {"count", "num"}:
                    problems.append(f"{lang}: admin: {ids[0]!r} uses a placeholder the source does not have: {s!r}")
                elif lang != "en" and fields - _fields(s) - {"count", "num"}:
                    problems.append(f"{lang}: admin: {ids[0]!r} leaves out a placeholder of the source: {s!r}")
        if untranslated:
            problems.append(
                f"{lang}: admin catalogue incomplete, {len(untranslated)} of {len(have)} messages untranslated "
                f"(the first: {untranslated[0]!r}); translate them in {path.relative_to(ROOT)}"
            )
    return problems


def check_messages() -> list[str]:
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
