"""Reading import files: every problem reported as `file:line: column "value": what is wrong`,
and nothing imported unless the whole file is good."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP): an
# export writes it behind an apostrophe (guard_cell), and an import takes the apostrophe off
# again (unguard_cell), so an exported file can be edited and imported back as it was.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unguard_cell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


class ImportFailed(Exception):
    """The file was not imported. `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Row:
    """One data row, with a place to note problems against its line number."""

    file: str
    line: int
    values: dict[str, str]
    problems: list[str]
    languages: dict[str, dict[str, str]] = field(default_factory=dict)  # base column -> {language: column}

    def get(self, column: str) -> str:
        return unguard_cell((self.values.get(column) or "").strip())

    def translated(self, column: str) -> dict[str, str]:
        """{language: text} from the non-empty `<column>_<language>` cells of this row."""
        found = {lang: self.get(name) for lang, name in self.languages.get(column, {}).items()}
        return {lang: text for lang, text in found.items() if text}

    def problem(self, column: str, message: str) -> None:
        value = self.get(column)
        where = f'{column} "{value}"' if value else column
        self.problems.append(f"{self.file}:{self.line}: {where}: {message}")

    def required(self, column: str) -> str:
        value = self.get(column)
        if not value:
            self.problem(column, "is required")
        return value

    def optional_date(self, column: str) -> date | None:
        value = self.get(column)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problem(column, "not a date; write it as YYYY-MM-DD")
            return None

    def choice(self, column: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.get(column).lower().replace(" ", "_") or default
        if value is None:
            self.problem(column, "is required; one of " + ", ".join(allowed))
        elif value not in allowed:
            self.problem(column, "expected one of " + ", ".join(allowed))
            return None
        return value


def read_rows(
    path: str | Path,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    translated: tuple[str, ...] = (),
    languages: Iterable[str] = (),
) -> tuple[list[Row], list[str]]:
    """Data rows of a UTF-8 CSV file whose header must hold `required` columns; and the problems
    found in the file itself (a missing column, a row with too many cells...). A column of
    `translated` may also come per language, as `<column>_<language>` for each of `languages`
    (`title_fr`): `Row.translated(column)` reads them."""
    path = Path(path)
    name = path.name
    problems: list[str] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFailed([f"{path}: no such file"]) from None
    except UnicodeDecodeError as exc:
        raise ImportFailed([f"{name}: not UTF-8 text (byte {exc.start}); save the file as CSV UTF-8"]) from None
    reader = csv.DictReader(text.splitlines(), restkey="__extra__")
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ImportFailed([_not_csv(name, reader.line_num, exc)]) from None
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFailed(
            [f"{name}:1: missing column(s) {', '.join(missing)}; expected columns: {', '.join(required + optional)}"]
        )
    per_language, strangers = _translated_columns(
        name, [c for c in header if c not in required + optional], translated, tuple(languages)
    )
    problems += strangers
    unknown = [c for c in header if c not in required + optional and not _is_translation(c, translated)]
    if unknown:
        per = f"; and per language {', '.join(c + '_<language>' for c in translated)}" if translated else ""
        problems.append(
            f"{name}:1: unknown column(s) {', '.join(unknown)}; expected columns: {', '.join(required + optional)}{per}"
        )
    rows: list[Row] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any((v or "").strip() for k, v in values.items() if k != "__extra__"):
                continue
            if values.get("__extra__"):
                problems.append(f"{name}:{line}: more cells than columns; check for an unquoted comma")
                continue
            rows.append(Row(name, line, {k: v for k, v in values.items() if k}, problems, per_language))
    except csv.Error as exc:  # e.g. a cell larger than the csv module reads
        raise ImportFailed([*problems, _not_csv(name, reader.line_num + 1, exc)]) from None
    return rows, problems


def _not_csv(name: str, line: int, exc: csv.Error) -> str:
    return f"{name}:{line}: not CSV that can be read ({exc}); save the file as CSV UTF-8"


def _is_translation(column: str, translated: tuple[str, ...]) -> bool:
    return any(column.startswith(base + "_") and len(column) > len(base) + 1 for base in translated)


def _translated_columns(
    name: str, extra: list[str], translated: tuple[str, ...], languages: tuple[str, ...]
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Which extra header columns are translations of which column ({column: {language: header}}),
    and a problem for each whose language the bot has no catalogue for."""
    found: dict[str, dict[str, str]] = {}
    problems = []
    for column in extra:
        # the longest base first: `short_title_fr` is short_title's, never title's
        for base in sorted(translated, key=len, reverse=True):
            if _is_translation(column, (base,)):
                language = column[len(base) + 1 :]
                if language in languages:
                    found.setdefault(base, {})[language] = column
                else:
                    problems.append(
                        f'{name}:1: column {column}: "{language}" is not a language the bot speaks; '
                        f"name a translated column {base}_<language>, with one of {', '.join(languages)}"
                    )
                break
    return found, problems


def update_fields(obj, **values) -> bool:
    """Set attributes that differ; True when anything changed (imports count updated rows)."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def iter_list(value: str) -> Iterator[str]:
    """Items of a `;`-separated cell."""
    for item in value.split(";"):
        if item.strip():
            yield item.strip()
