"""`nmirf chat --as PHONE`: talk to the bot from a terminal through the simulator channel.

What you type is posted to the running server's /webhooks/simulator, exactly as a provider would
post; what the bot sends you is read back from /simulator/messages."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from typing import Any

import httpx


def chat(base_url: str, phone: str, *, stdin=sys.stdin, stdout=sys.stdout, poll: float = 0.3) -> None:
    client = httpx.Client(base_url=base_url, timeout=10)
    stop = threading.Event()
    last = {"id": 0}

    def show_new() -> None:
        r = client.get("/simulator/messages", params={"phone": phone, "after": last["id"]})
        r.raise_for_status()
        for msg in r.json()["messages"]:
            last["id"] = msg["id"]
            stdout.write("\n".join("bot> " + line for line in msg["text"].splitlines()) + "\n")
            stdout.flush()

    def reader() -> None:
        while not stop.is_set():
            try:
                show_new()
            except httpx.HTTPError as exc:
                stdout.write(f"(server not reachable at {base_url}: {exc}; retrying)\n")
                stop.wait(3)
            stop.wait(poll)

    # Show only what arrives from now on, and what the bot sent since its last answer (a waiting
    # prompt, an invitation), three messages at most.
    r = client.get("/simulator/messages", params={"phone": phone, "after": 0})
    r.raise_for_status()
    history = r.json()["messages"]
    waiting: list[dict[str, Any]] = []
    for msg in reversed(history):
        if msg["kind"] == "reply" or len(waiting) == 3:
            break
        waiting.append(msg)
    if history:
        last["id"] = waiting[-1]["id"] - 1 if waiting else history[-1]["id"]
    stdout.write(f"You are {phone} on the simulator channel. Type a reply; Ctrl-D or /quit to leave.\n")
    stdout.flush()
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        for line in stdin:
            text = line.rstrip("\n")
            if text.strip() in ("/quit", "/exit"):
                break
            if not text.strip():
                continue
            resp = client.post("/webhooks/simulator", json={"from": phone, "text": text, "id": uuid.uuid4().hex})
            if resp.status_code != 200:
                stdout.write(f"(rejected: {resp.text})\n")
        time.sleep(poll * 3)
    finally:
        stop.set()
        thread.join(timeout=2)
        try:
            show_new()
        except httpx.HTTPError:
            pass
        client.close()


def cmd_chat(args) -> int:
    chat(args.url, args.phone)
    return 0


def register(sub) -> None:
    ch = sub.add_parser("chat", help="talk to a running server through the simulator channel")
    ch.add_argument("--as", dest="phone", required=True, help="the roster phone to chat as, e.g. +254700000001")
    ch.add_argument("--url", default="http://127.0.0.1:8000")
    ch.set_defaults(func=cmd_chat)
