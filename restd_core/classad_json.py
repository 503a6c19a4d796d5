"""ClassAd -> JSON, the one place that decides how an ad looks to clients.

The contract: values exactly as HTCondor's own JSON form of the ad
(``ClassAd.printJson()``) gives them, keys lower-cased at every depth.
It is HTCondor itself that decides how an expression, ERROR or UNDEFINED
looks, and printJson is the fastest way out of the bindings (FACTS:
``dict(ad.items())`` takes three times as long). The keys of many ads are
lowered at once, in their text (``json_keys``), never through dicts.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from operator import itemgetter, methodcaller
from typing import Any, NamedTuple, Protocol

import orjson

from .json_keys import lowered, lowered_by_parsing
from .shaping import REDACTED


class Ad(Protocol):
    """What of a ``classad2.ClassAd`` is used here (names case-insensitive)."""

    def printJson(self) -> str: ...

    def __contains__(self, name: object) -> bool: ...

    def __getitem__(self, name: str) -> Any: ...

    def __setitem__(self, name: str, value: Any) -> None: ...


def ads_to_dicts(ads: Iterable[Ad]) -> list[dict[str, Any]]:
    """ClassAds as JSON-ready dicts with lower-cased keys."""
    text = "[" + ",".join([ad.printJson() for ad in ads]) + "]"
    fast = lowered(text.encode())
    return orjson.loads(fast if fast is not None else lowered_by_parsing(text))


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
    """Each ad's JSON text, ``hidden`` attributes redacted, and its values
    of the ``key`` attributes (lower-cased names, two or more).

    ``shown``: the (lower-cased) attributes the ads were queried for; the
    ``key`` attributes were asked for too (in lower case: the schedd then
    names them so), and are shown only if in it. The schedd adds ServerTime
    to a projection: it is shown only if asked for. Whole ads (no
    ``shown``) keep their keys as HTCondor names them.
    """
    hidden = {name.lower() for name in hidden}
    if shown is None:
        _redact(ads, hidden)  # ClassAd names are case-insensitive
        return AdTexts(list(map(itemgetter(*key), ads)), [ad.printJson() for ad in ads], False)
    text = ",".join([ad.printJson() for ad in ads])
    dicts = orjson.loads("[" + text + "]")
    keys = list(map(itemgetter(*key), dicts))
    unshown = [name for name in key if name not in shown]
    if "servertime" in shown:
        for ad in dicts:
            if "ServerTime" in ad:
                ad["servertime"] = ad.pop("ServerTime")
    else:
        unshown.append("ServerTime")
    for name in unshown:  # ad.pop(name, None) for every ad, without a Python loop
        deque(map(methodcaller("pop", name, None), dicts), maxlen=0)
    _redact(dicts, hidden & shown)
    # printJson indents nested values by 4 and more: without them, every key
    # is one the gateway asked for, in lower case.
    return AdTexts(keys, [orjson.dumps(ad).decode() for ad in dicts], "\n    " not in text)


def _redact(ads: Sequence[Ad] | Sequence[dict[str, Any]], names: Iterable[str]) -> None:
    """Each of ``names`` an ad has becomes ``"<REDACTED>"``, in the ad itself."""
    for name in names:
        for ad in ads:
            if name in ad:
                ad[name] = REDACTED
