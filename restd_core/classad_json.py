"""ClassAd -> JSON, the one place that decides how an ad looks to clients.

The contract: values exactly as HTCondor's own JSON form of the ad
(``ClassAd.printJson()``) gives them, keys lower-cased at every depth.
It is HTCondor itself that decides how an expression, ERROR or UNDEFINED
looks, and printJson is the fastest way out of the bindings (FACTS:
``dict(ad.items())`` takes three times as long). The keys of many ads are
lowered at once, in their text (``json_keys``), never through dicts.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, Protocol

import orjson

from .json_keys import lowered, lowered_by_parsing
from .shaping import REDACTED


class Ad(Protocol):
    def printJson(self) -> str: ...


def ads_to_dicts(ads: Iterable[Ad]) -> list[dict[str, Any]]:
    """ClassAds as JSON-ready dicts with lower-cased keys."""
    text = "[" + ",".join([ad.printJson() for ad in ads]) + "]"
    fast = lowered(text.encode())
    return orjson.loads(fast if fast is not None else lowered_by_parsing(text))


def ad_to_dict(ad: Ad) -> dict[str, Any]:
    """One ClassAd as ``ads_to_dicts`` makes it."""
    return ads_to_dicts([ad])[0]


def ads_to_json(
    ads: Sequence[Ad], key: Sequence[str], shown: set[str] | None = None, hidden: Iterable[str] = ()
) -> tuple[list[tuple[Any, ...]], list[str]]:
    """Each ad's JSON text, ``hidden`` attributes redacted, its keys as
    HTCondor names them: the caller lowers the keys of all of them at once
    (``json_keys``). And each ad's values of the ``key`` attributes
    (lower-cased names, two or more), by which a caller sorts them.

    ``shown``: the (lower-cased) attributes the ads were queried for; the
    ``key`` attributes were asked for too (in lower case, as the schedd then
    names them), and are shown only if in it. The schedd adds ServerTime
    to a projection: it is shown only if asked for.
    """
    hidden = {name.lower() for name in hidden}
    if shown is None:
        for name in hidden:
            for ad in ads:
                if name in ad:  # ClassAd names are case-insensitive
                    ad[name] = REDACTED
        return [tuple(ad[name] for name in key) for ad in ads], [ad.printJson() for ad in ads]
    dicts = orjson.loads("[" + ",".join([ad.printJson() for ad in ads]) + "]")
    keys = list(map(itemgetter(*key), dicts))
    unshown = [name for name in key if name not in shown] + (["ServerTime"] if "servertime" not in shown else [])
    for ad in dicts:
        for name in unshown:
            ad.pop(name, None)
    for name in hidden & shown:
        for ad in dicts:
            if name in ad:
                ad[name] = REDACTED
    return keys, [orjson.dumps(ad).decode() for ad in dicts]
