"""ClassAd -> JSON, the one place that decides how an ad looks to clients.

The contract: values exactly as HTCondor's own JSON form of the ad
(``ClassAd.printJson()``) gives them, keys lower-cased at every depth.
It is HTCondor itself that decides how an expression, ERROR or UNDEFINED
looks, and printJson is the fastest way out of the bindings (FACTS:
``dict(ad.items())`` is slower). The keys of many ads are
lowered at once, in their text (``json_keys``), never through dicts.

Every job and status answer goes through one output filter here
(``filtered``, or for whole ads ``ads_to_json``): only the attributes a
caller asked for, whatever else a daemon sent (a projection also brings
every attribute its expressions refer to, in the spelling they use), keys
lower-cased, hidden attributes ``"<REDACTED>"`` whatever the case of their
names.

A job's author can put bytes that are not UTF-8 in their job's attributes
(``condor_qedit``), and the bindings cannot print such an ad: those values
are shown decoded with U+FFFD instead, so that one job never breaks a
listing for everyone (``printable``).
"""
from __future__ import annotations

import codecs
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

import orjson

from restd_core.gateway.worker.json_keys import lowered, lowered_by_parsing, with_keys_lowered
from restd_core.gateway.worker.shaping import REDACTED


class Ad(Protocol):
    """What of a ``classad2.ClassAd`` is used here (names case-insensitive)."""

    def printJson(self) -> str: ...

    def __contains__(self, name: object) -> bool: ...

    def __getitem__(self, name: str) -> Any: ...

    def __setitem__(self, name: str, value: Any) -> None: ...

    def keys(self) -> Iterable[str]: ...

    def lookup(self, name: str) -> Any: ...


def printable(ad: Ad) -> str:
    """``ad.printJson()``; for an ad holding bytes that are not UTF-8, the
    JSON of the ad with those values decoded with U+FFFD (in the ad itself)."""
    try:
        return ad.printJson()
    except UnicodeDecodeError:
        for name in list(ad.keys()):
            try:
                _single(ad, name).printJson()
            except UnicodeDecodeError:
                ad[name] = _decoded(str(ad.lookup(name)))
        return ad.printJson()


def _single(ad: Ad, name: str) -> Any:
    """A ClassAd of the one attribute ``name`` of ``ad``."""
    one = type(ad)()
    one[name] = ad.lookup(name)
    return one


def _decoded(expression: str) -> str:
    """An expression's text (where undecodable bytes are octal escapes) as
    a string: a string literal's value decoded with U+FFFD, anything else as
    printJson shows an expression."""
    if len(expression) > 1 and expression[0] == expression[-1] == '"':
        # typeshed says escape_decode answers a str; it answers bytes (CPython's codecs module).
        decoded: bytes = codecs.escape_decode(expression[1:-1].encode())[0]  # type: ignore[assignment]
        return decoded.decode("utf-8", "replace")
    return f"/Expr({expression})/"


#: Below this many characters, lowering keys through a parse costs less than
#: setting up the whole-text lowering (a few ads: one job, a status query).
_SMALL_TEXT = 16_384


def ads_to_dicts(ads: Iterable[Ad]) -> list[dict[str, Any]]:
    """ClassAds as JSON-ready dicts with lower-cased keys (at every depth)."""
    text = "[" + ",".join([printable(ad) for ad in ads]) + "]"
    if len(text) < _SMALL_TEXT:
        return with_keys_lowered(orjson.loads(text))
    fast = lowered(text.encode())
    return orjson.loads(fast if fast is not None else lowered_by_parsing(text))


def filtered(ads: list[dict[str, Any]], shown: set[str] | None, hidden: Iterable[str]) -> list[dict[str, Any]]:
    """The output filter over ``ads_to_dicts``' dicts: only the ``shown``
    keys (None: all), and every ``hidden`` one that is shown redacted
    (lower-cased names both)."""
    if shown is not None:
        ads = [{name: value for name, value in ad.items() if name in shown} for ad in ads]
    redact(ads, set(hidden) if shown is None else shown.intersection(hidden))
    return ads


class AdTexts(NamedTuple):
    """Ads as JSON texts: ``texts``; ``keys``, each ad's values of the
    attributes a caller sorts them by; ``lowered``, whether every key of the
    texts is lower-cased already (else the caller lowers all at once,
    ``json_keys``)."""

    keys: list[tuple[Any, ...]]
    texts: list[str]
    lowered: bool


def ads_to_json(
    ads: Sequence[Ad], key: Sequence[str], shown: set[str] | None = None, hidden: Iterable[str] = ()
) -> AdTexts:
    """Each ad's JSON text through the output filter, and its values of the
    ``key`` attributes (two or more; read from the ClassAds, whose names
    are case-insensitive, and shown only if in ``shown``).

    ``shown``: the (lower-cased) attributes the ads were queried for; whole
    ads (None) keep their keys as HTCondor names them, for the caller to
    lower in one pass over the whole listing.
    """
    keys = list(map(itemgetter(*key), ads))
    if shown is None:
        redact(ads, hidden)
        return AdTexts(keys, [printable(ad) for ad in ads], False)
    return AdTexts(keys, [orjson.dumps(ad).decode() for ad in filtered(ads_to_dicts(ads), shown, hidden)], True)


def redact(ads: Sequence[Ad] | Sequence[dict[str, Any]], names: Iterable[str]) -> None:
    """Each of ``names`` an ad has becomes ``"<REDACTED>"``, in the ad itself
    (ClassAd names are case-insensitive), before anything reads its value."""
    for name in names:
        for ad in ads:
            if _has(ad, name):
                ad[name] = REDACTED


def _has(ad: Ad | dict[str, Any], name: str) -> bool:
    try:
        return name in ad
    except UnicodeDecodeError:  # a ClassAd decodes the value to tell: it is there
        return True
