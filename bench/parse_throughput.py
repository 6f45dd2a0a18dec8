"""Replies parsed per second by the reply parser (conversations/parse.py).

    .venv/bin/python bench/parse_throughput.py [--replies 20000] [--rounds 5]

A mix of realistic replies in the five languages (one message per action, several in one SMS,
notes, figures, Arabic with Arabic-Indic digits, typos, gibberish), each parsed as the engine
does: first as a command (HELP, STOP...), then as statuses. Prints replies/s per round and the
median.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conversations.parse import command, parse_statuses  # noqa: E402

SAMPLES = [
    ("en", "1D 2P"),
    ("en", "1=done 2 blocked waiting for budget from treasury"),
    ("en", "#1 completed"),
    ("en", "2) in progress 45 officers trained so far"),
    ("en", "done, sent to cabinet"),
    ("en", "help"),
    ("en", "1 dnoe 2 stuck"),
    ("en", "hello how are you"),
    ("en", "STOP"),
    ("fr", "1 terminé 2 en cours"),
    ("fr", "1 bloqué en attente du budget"),
    ("fr", "aide"),
    ("es", "1 completado 2 en curso 120"),
    ("es", "ayuda"),
    ("es", "2 bloqueado falta de personal"),
    ("pt", "1 concluído 2 em andamento"),
    ("pt", "ajuda"),
    ("pt", "1 bloqueado aguardando orçamento"),
    ("ar", "١ تم ٢ جاري"),
    ("ar", "1 منجز 2 متوقف بسبب الميزانية"),
    ("ar", "مساعدة"),
    ("ar", "٢ جاري ٤٥٫٥"),
    ("en", "asdkjh qwe 77 zz"),
    ("fr", "merci"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replies", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(7)
    batch = [rng.choice(SAMPLES) for _ in range(args.replies)]
    for lang, text in SAMPLES:  # warm the keyword tables
        command(text, lang, ("help", "stop", "start")), parse_statuses(text, lang)
    rates = []
    for rnd in range(1, args.rounds + 1):
        start = time.perf_counter()
        for lang, text in batch:
            if command(text, lang, ("help", "stop", "start")) is None:
                parse_statuses(text, lang)
        rate = len(batch) / (time.perf_counter() - start)
        rates.append(rate)
        print(f"round {rnd}: {rate:,.0f} replies/s")
    print(f"median: {statistics.median(rates):,.0f} replies/s ({args.replies} replies a round, 5 languages)")


if __name__ == "__main__":
    main()
