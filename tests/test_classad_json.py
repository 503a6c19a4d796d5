"""ClassAd -> JSON: HTCondor's own JSON values, keys lower-cased at every depth."""
from __future__ import annotations

import classad2
import orjson

from restd_core.gateway.worker.classads import ads_to_dicts, ads_to_json


def ad_to_dict(ad: classad2.ClassAd) -> dict:
    return ads_to_dicts([ad])[0]


AD = classad2.ClassAd(
    """[
        Int = 42; Real = 1.0; Exp = 1e300; Negative = -0.5; Str = "with \\"quotes\\" and / slash";
        Yes = true; No = false; Undef = undefined; Err = error;
        List = {1, "a", [InnerKey = 1]}; Nested = [Inner = 2; Deeper = [X = "y"]; Ref = Other];
        Expression = TARGET.Arch == "X86_64"
    ]"""
)


def test_keys_are_lower_cased():
    assert set(ad_to_dict(AD)) == {
        "int", "real", "exp", "negative", "str", "yes", "no", "undef", "err", "list", "nested", "expression",
    }


def test_literals_keep_their_json_types():
    converted = ad_to_dict(AD)
    assert converted["int"] == 42 and isinstance(converted["int"], int)
    assert converted["real"] == 1.0 and isinstance(converted["real"], float)
    assert converted["exp"] == 1e300
    assert converted["negative"] == -0.5
    assert converted["str"] == 'with "quotes" and / slash'
    assert converted["yes"] is True and converted["no"] is False


def test_undefined_is_null_and_error_is_expr_error():
    converted = ad_to_dict(AD)
    assert converted["undef"] is None
    assert converted["err"] == "/Expr(error)/"


def test_an_expression_is_its_expr_string():
    assert ad_to_dict(AD)["expression"] == '/Expr(TARGET.Arch == "X86_64")/'


def test_nested_ads_and_lists_have_lower_cased_keys_too():
    converted = ad_to_dict(AD)
    assert converted["list"] == [1, "a", {"innerkey": 1}]
    assert converted["nested"] == {"inner": 2, "deeper": {"x": "y"}, "ref": "/Expr(Other)/"}


def test_values_that_defeat_the_fast_lowering_are_lowered_by_parsing():
    tricky = classad2.ClassAd('[Id = 1; Args = "say \\"Hi\\": now"; Nested = [Key = 2]]')
    assert ad_to_dict(tricky) == {"id": 1, "args": 'say "Hi": now', "nested": {"key": 2}}


def test_whole_ads_as_json_have_their_values_and_job_keys():
    keys, texts, lowered = ads_to_json([AD, AD], ("int", "real"))
    assert keys == [(42, 1.0), (42, 1.0)] and not lowered
    assert [orjson.loads(text)["Str"] for text in texts] == ['with "quotes" and / slash'] * 2


def test_hidden_attributes_are_redacted_in_whole_ads():
    _, texts, _ = ads_to_json([classad2.ClassAd('[Id = 1; Proc = 0; Env = "SECRET=1"]')], ("id", "proc"), hidden=["ENV"])
    assert orjson.loads(texts[0])["Env"] == "<REDACTED>"


def test_projected_ads_lose_the_job_keys_and_server_time_unless_asked_for():
    ad = classad2.ClassAd('[owner = "alice"; clusterid = 5; procid = 1; ServerTime = 7]')
    keys, texts, lowered = ads_to_json([ad], ("clusterid", "procid"), shown={"owner", "procid"})
    assert keys == [(5, 1)] and lowered
    assert orjson.loads(texts[0]) == {"owner": "alice", "procid": 1}


def test_projected_server_time_is_lower_cased_when_asked_for():
    ad = classad2.ClassAd('[owner = "alice"; clusterid = 5; procid = 1; ServerTime = 7]')
    _, texts, lowered = ads_to_json([ad], ("clusterid", "procid"), shown={"servertime"})
    assert orjson.loads(texts[0]) == {"servertime": 7} and lowered


def test_projected_ads_hold_only_the_shown_attributes_whatever_the_daemon_added():
    # A projection also brings every attribute its expressions refer to, as they spell it.
    ad = classad2.ClassAd('[a = B + 1; B = size(Environment); Environment = "SECRET=1"; ClusterId = 5; PROCID = 1]')
    keys, texts, _ = ads_to_json([ad], ("clusterid", "procid"), shown={"a", "b"}, hidden={"environment"})
    assert keys == [(5, 1)]
    assert orjson.loads(texts[0]) == {"a": "/Expr(B + 1)/", "b": "/Expr(size(Environment))/"}


def test_projected_nested_values_have_their_keys_lowered():
    ad = classad2.ClassAd('[clusterid = 5; procid = 1; numholdsbyreason = [UserRequest = 1]]')
    _, texts, lowered = ads_to_json([ad], ("clusterid", "procid"), shown={"numholdsbyreason"})
    assert orjson.loads(texts[0]) == {"numholdsbyreason": {"userrequest": 1}} and lowered
