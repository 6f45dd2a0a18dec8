"""Sign test webhook requests the way Twilio does (``X-Twilio-Signature``).

Twilio signs ``url + concat(sorted(name + value))`` with HMAC-SHA1 keyed by the
account Auth Token (base64). ``twilio.request_validator.RequestValidator`` reads
repeated form keys through ``params.getall(name)`` (Flask/werkzeug MultiDict) or
``params.getlist(name)`` (Django QueryDict), falling back to ``params[name]``;
``FormParams`` provides both, so a key that occurs more than once contributes
every value (plain ``dict(parse_qsl(...))`` would silently keep only the last).

    body = form_body(params)
    headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, params),
               "Content-Type": "application/x-www-form-urlencoded"}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import parse_qsl, urlencode

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


class FormParams:
    """A minimal read-only multi-dict over ``(name, value)`` pairs.

    Iterating yields names, repeats included (RequestValidator applies ``set()``)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self._pairs = [(str(k), str(v)) for k, v in pairs]

    @classmethod
    def from_body(cls, body: bytes | str) -> FormParams:
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return cls(parse_qsl(body, keep_blank_values=True))

    def getall(self, name: str) -> list[str]:
        return [v for k, v in self._pairs if k == name]

    getlist = getall

    def get(self, name: str, default: str | None = None) -> str | None:
        for k, v in self._pairs:
            if k == name:
                return v
        return default

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return any(k == name for k, _ in self._pairs)

    def __iter__(self) -> Iterator[str]:
        return iter(k for k, _ in self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def __repr__(self) -> str:
        return f"FormParams({self._pairs!r})"


def sign(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The ``X-Twilio-Signature`` value Twilio would send for this POST."""
    return RequestValidator(auth_token).compute_signature(url, FormParams(params))


def validate(auth_token: str, url: str, body: bytes | str, signature: str) -> bool:
    """Validate a raw urlencoded body the way a product should (repeated keys kept)."""
    return RequestValidator(auth_token).validate(url, FormParams.from_body(body), signature)


def form_body(params: Iterable[tuple[str, str]]) -> bytes:
    """``application/x-www-form-urlencoded`` body as Twilio sends it (spaces as ``+``)."""
    return urlencode(list(params)).encode("utf-8")
