"""How long the reply parser takes on long input: one long word, and long texts of short words.
Its cost must grow with the input's length, not with the square of its longest word.

    .venv/bin/python bench/long_input.py
"""

from __future__ import annotations

import time

from conversations.parse import command, keyword_and_number, parse_statuses

CASES = {
    "one word, 4 KB": "a" * 4096,
    "one word, 64 KB": "a" * 65536,
    "one word, 1 MB": "a" * (1 << 20),
    "'done ' x 819 (4 KB)": "done " * 819,
    "'done ' x 13,107 (64 KB)": "done " * 13107,
    "Thai letters, 64 KB": "ด" * 65536,
}


def main() -> None:
    parse_statuses("1D warm-up", "en")  # load catalogues and the word segmenter first
    print("| input | en | ar | th |\n|---|---:|---:|---:|")
    for name, text in CASES.items():
        cells = []
        for language in ("en", "ar", "th"):
            started = time.perf_counter()
            parse_statuses(text, language)
            command(text, language, ("help", "stop"))
            keyword_and_number(text, language, ("yes",))
            cells.append(f"{1000 * (time.perf_counter() - started):.1f} ms")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
