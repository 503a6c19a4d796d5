"""ClassAd -> JSON, the one place that decides how an ad looks to clients.

The contract: values exactly as HTCondor's own JSON form of the ad
(``ClassAd.printJson()``) gives them, keys lower-cased at every depth.
It is HTCondor itself that decides how an expression, ERROR or UNDEFINED
looks, and printJson is the fastest way out of the bindings (FACTS:
``dict(ad.items())`` takes three times as long).

Whole ads (about 80 attributes each) have their keys lowered in the text of
a whole listing at once (``json_keys``), never parsed: that costs a third of
what parsing, lowering and encoding again do. Projected ads are parsed: the
schedd names projected attributes as they are asked for, so the gateway
asks in lower case and only ServerTime (and the job ids it adds) is left to
drop; elsewhere top-level keys are lowered once per distinct key sequence
(the ads of one query mostly share it).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, Protocol

import orjson

from .json_keys import lower_keys
from .shaping import REDACTED


class Ad(Protocol):
    def printJson(self) -> str: ...


#: Never raw in JSON text (printJson escapes control characters).
_SEPARATOR = "\x1e"
#: A key inside a nested object or list (printJson indents by two per level
#: and writes one member per line; string values never hold a raw newline).
_NESTED_KEY = re.compile(r'\n    +"(?:[^"\\\n]|\\.)*": ')


def _lower(match: re.Match[str]) -> str:
    return match[0].lower()


def _with_nested_keys_lowered(text: str) -> str:
    return _NESTED_KEY.sub(_lower, text) if "\n    " in text else text


def _parsed(ads: Iterable[Ad]) -> list[dict[str, Any]]:
    """The ads' own JSON, nested keys lowered, in one string: one parse."""
    return orjson.loads("[" + _with_nested_keys_lowered(",".join([ad.printJson() for ad in ads])) + "]")


def _lower_top_level_keys(dicts: list[dict[str, Any]]) -> None:
    lowered: dict[tuple[str, ...], tuple[str, ...]] = {}
    for at, parsed in enumerate(dicts):
        keys = tuple(parsed)
        names = lowered.get(keys)
        if names is None:
            names = tuple(key.lower() for key in keys)
            names = lowered[keys] = keys if names == keys else names
        if names is not keys:
            dicts[at] = dict(zip(names, parsed.values()))


def ads_to_dicts(ads: Iterable[Ad]) -> list[dict[str, Any]]:
    """ClassAds as JSON-ready dicts with lower-cased keys."""
    dicts = _parsed(ads)
    _lower_top_level_keys(dicts)
    return dicts


def ad_to_dict(ad: Ad) -> dict[str, Any]:
    """One ClassAd as ``ads_to_dicts`` makes it."""
    return ads_to_dicts([ad])[0]


def ads_to_json(
    ads: Sequence[Ad], key: Sequence[str], shown: set[str] | None = None, hidden: Iterable[str] = ()
) -> tuple[list[tuple[Any, ...]], list[bytes]]:
    """Each ad's JSON text (as ``ads_to_dicts`` makes the ad), ``hidden``
    attributes redacted; and each ad's values of the ``key`` attributes
    (lower-cased names, two or more), by which a caller sorts them.

    ``shown``: the (lower-cased) attributes the ads were queried for; the
    ``key`` attributes were asked for too, and are shown only if in it.
    The schedd adds ServerTime to a projection: it is shown only if asked.
    """
    if shown is None:
        texts = _full_ads_json(ads, key, hidden)
        if texts is not None:
            return texts
    dicts = _parsed(ads)
    if shown is not None:
        # Left in, ServerTime (the schedd's case) would cost every ad a new dict.
        server_time = "servertime" in shown
        for ad in dicts:
            value = ad.pop("ServerTime", None)
            if server_time and value is not None:
                ad["servertime"] = value
    _lower_top_level_keys(dicts)
    keys = list(map(itemgetter(*key), dicts))
    if shown is not None and not shown.issuperset(key):
        unasked = [name for name in key if name not in shown]
        for ad in dicts:
            for name in unasked:
                del ad[name]
    for name in {name.lower() for name in hidden}:
        for ad in dicts:
            if name in ad:
                ad[name] = REDACTED
    return keys, list(map(orjson.dumps, dicts))


def _full_ads_json(
    ads: Sequence[Ad], key: Sequence[str], hidden: Iterable[str]
) -> tuple[list[tuple[Any, ...]], list[bytearray]] | None:
    """``ads_to_json`` of whole ads, their keys lowered in the text of all
    of them at once (``json_keys``); None where that cannot be done. Hidden
    attributes are redacted in the ads themselves."""
    for name in hidden:
        for ad in ads:
            if name in ad:  # ClassAd names are case-insensitive
                ad[name] = REDACTED
    text = bytearray(_SEPARATOR.join([ad.printJson() for ad in ads]).encode())
    if not lower_keys(text):
        return None
    texts = text.split(_SEPARATOR.encode()) if ads else []
    return [tuple(ad[name] for name in key) for ad in ads], texts
