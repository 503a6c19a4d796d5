"""The dashboard in a headless Chromium against the live server and the
real pool: it shows the pool's own numbers (checked against the API),
follows a new job without a reload, and says so when the pool is down,
when the caller is not allowed, and when there is nothing to show; on a
phone's screen too. Each test keeps a screenshot (under
$RESTD_SCREENSHOTS if set) for a person to look at."""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
import requests

from .browser import driven, png_size, screenshot
from .conftest import close_app, make_app
from .fake_issuer import AUDIENCE
from .live_server import serve
from .pool import IDLE_JOBS, autocluster, submit_idle, submit_idle_held
from .sse import Stream
from .test_archive import in_history, submit
from .waiting import eventually

JOB_STATES = ["idle", "running", "removed", "completed", "held", "transferring_output", "suspended"]
TOKEN = "dashboard-token-7f3a"
PATIENCE = 45  # the page refreshes its summaries every 15 s
#: Watchers the test servers allow (an app made in code allows none by default);
#: every browser of the tests is one caller, and a closed one's watchers are
#: given back within a second.
WATCHING = {"restd.watch.max_watchers": "16", "restd.watch.max_watchers_per_caller": "0",
            "restd.watch.heartbeat": "2"}
SERVER_THREADS = 24

#: What the page shows, read from its DOM.
SHOWN = """
const text = (el) => el ? el.textContent.trim() : null;
const number = (s) => s === null || s === "–" ? null : Number(s.replace(/,/g, ""));
const bars = (id) => Object.fromEntries([...document.querySelectorAll(`#${id} .bar-row`)]
  .map((row) => [row.dataset.label, number(text(row.querySelector(".bar-total")))]));
return {
  loaded: document.body.dataset.loaded === "true",
  live: document.getElementById("live").dataset.state,
  problem: document.body.dataset.problem || "",
  banner: document.getElementById("banner").hidden ? "" : text(document.getElementById("banner")),
  totals: Object.fromEntries([...document.querySelectorAll("#job-totals .tile")]
    .map((tile) => [tile.dataset.key, number(text(tile.querySelector(".tile-n")))])),
  owners: bars("jobs-by-owner"),
  schedds: bars("jobs-by-schedd"),
  slots: [...document.querySelectorAll("#slot-chart .bar-row")].map((row) => [row.dataset.label, text(row.querySelector(".bar-total"))]),
  slotsBy: text(document.querySelector("#slot-chart h3")),
  slotGroups: [...document.querySelectorAll("#slot-chart .legend")].slice(0, 1)
    .flatMap((legend) => [...legend.querySelectorAll("li")].map(text)),
  priorities: [...document.querySelectorAll("#prio tbody tr")].filter((tr) => !tr.querySelector("td.empty"))
    .map((tr) => text(tr.cells[0])),
  perScheddShown: !document.getElementById("per-schedd-box").hidden,
  daemons: [...document.querySelectorAll("#daemons tbody tr")].map((tr) => [...tr.cells].map(text)),
  jobs: [...document.querySelectorAll("#job-table tbody tr")].filter((tr) => !tr.querySelector("td.empty"))
    .map((tr) => [...tr.cells].map(text)),
  held: Object.fromEntries([...document.querySelectorAll("#held-reasons details.reason")]
    .map((reason) => [reason.dataset.label, number(text(reason.querySelector(".bar-total")))])),
  heldOpen: [...document.querySelectorAll("#held-reasons details.reason[open]")].map((reason) => [reason.dataset.label,
    [...reason.querySelectorAll(".examples tbody tr")].map((tr) => [...tr.cells].map(text))]),
  heldHidden: document.getElementById("held").hidden,
  healthVerdict: text(document.getElementById("health-verdict")),
  daemonVerdicts: [...document.querySelectorAll("#daemon-verdicts tbody tr")].filter((tr) => !tr.querySelector("td.empty"))
    .map((tr) => [text(tr.cells[0]), text(tr.querySelector(".kind")), text(tr.querySelector(".daemon-name")),
                  text(tr.cells[2])]),
  daemonHealthHidden: document.getElementById("daemon-health").hidden,
  idle: [...document.querySelectorAll("#idle-groups .idle-group")].map((group) => ({
    cause: group.dataset.cause, words: text(group.querySelector(".cause")), jobs: text(group.querySelector(".bar-total")),
    text: text(group.querySelector(".cause-text")), clause: text(group.querySelector("code.clause-text")),
    rejects: text(group.querySelector(".clause-n")), stages: text(group.querySelector(".stage-counts")),
    where: text(group.querySelector(".where"))})),
  idleTotal: text(document.getElementById("idle-total")),
  idleEmpty: text(document.querySelector("#idle-groups .empty")),
  idleHidden: document.getElementById("idle").hidden,
  updated: text(document.getElementById("updated")),
  ownersEmpty: text(document.querySelector("#jobs-by-owner .empty")),
  jobsEmpty: text(document.querySelector("#job-table td.empty")),
};
"""


def shown(browser) -> dict:
    return browser.execute_script(SHOWN)


@pytest.fixture(scope="module")
def live(condor_config, test_jobs) -> Iterator[Callable[..., str]]:
    """``live(env={...}, **settings)``: the URL of a live server of an app of those settings."""
    opened = []

    def start(env: dict[str, str] | None = None, **settings: str) -> str:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)  # read by the app's worker processes as they start
            app = make_app(**{**WATCHING, **settings})
        server = serve(app.app, threads=SERVER_THREADS)
        opened.append((app, server))
        return server.__enter__() + "/ui/"

    yield start
    for app, server in opened:
        server.__exit__(None, None, None)
        close_app(app)


@pytest.fixture(scope="module")
def url(live) -> str:
    return live()


@pytest.fixture
def browser() -> Iterator:
    with driven() as chromium:
        yield chromium


def loaded(browser) -> dict:
    return eventually(lambda: (lambda page: page if page["loaded"] else None)(shown(browser)), PATIENCE, "the page loading")


def api_state_counts(app) -> tuple[Counter, dict[str, Counter]]:
    """Jobs by state, over the pool and per owner, as the API lists them."""
    totals: Counter = Counter()
    per_owner: dict[str, Counter] = {}
    for ad in app.get("/v1/status?query=schedd").json:
        for job in app.get(f"/v1/jobs/{ad['name']}?projection=Owner,JobStatus").json:
            state = JOB_STATES[job["classad"]["jobstatus"] - 1]
            totals[state] += 1
            per_owner.setdefault(job["classad"]["owner"], Counter())[state] += 1
    return totals, per_owner


def test_the_page_shows_the_pools_job_counts_as_the_api_gives_them(app, url, browser, tmp_path):
    browser.get(url)
    loaded(browser)

    def agreeing():
        totals, per_owner = api_state_counts(app)
        page = shown(browser)
        expected = {state: totals[state] for state in page["totals"] if state != "jobs"}
        same = (page["totals"]["jobs"] == sum(totals.values())
                and {k: v for k, v in page["totals"].items() if k != "jobs"} == expected
                and page["owners"] == {owner: sum(c.values()) for owner, c in per_owner.items()})
        return page if same else None

    page = eventually(agreeing, PATIENCE, "the page agreeing with the API")
    assert page["banner"] == ""
    assert page["totals"]["held"] >= 3  # the suite's own held jobs
    png = screenshot(browser, "dashboard-pool", tmp_path)
    assert png_size(png)[0] == 1280 and len(png) > 40_000


def test_the_page_asks_only_its_own_server_and_breaks_no_rule_of_its_policy(url, browser):
    browser.get(url)
    loaded(browser)
    origin = url.removesuffix("/ui/")
    fetched = browser.execute_script("return performance.getEntriesByType('resource').map((e) => e.name);")
    assert fetched and all(name.startswith(origin + "/") for name in fetched)
    console = [entry["message"] for entry in browser.get_log("browser")]
    assert not [line for line in console if "Content Security Policy" in line or "Uncaught" in line]


def test_the_stream_reader_puts_events_together_across_pieces(url, browser):
    browser.get(url)
    loaded(browser)
    events = browser.execute_async_script(r"""
      const done = arguments[arguments.length - 1];
      const src = document.querySelector("script[type=module]").src.replace(/app\.js$/, "stream.js");
      import(src).then(({ EventParser }) => {
        const got = [];
        const parser = new EventParser((event) => got.push(event));
        for (const piece of ["event: snap", "shot\r\nid: 7-0\r\ndata: {\"a\"\n", "data: :1}\n\n: hb\n\n",
                             "event: removed\rdata: {\"id\": \"1.0\"}\r", "\r"]) parser.feed(piece);
        done(got);
      });
    """)
    assert events == [
        {"event": "snapshot", "data": '{"a"\n:1}', "id": "7-0"},
        {"event": "removed", "data": '{"id": "1.0"}', "id": None},
    ]


def test_the_page_shows_the_pools_slots_and_daemons_as_the_api_gives_them(app, url, browser):
    browser.get(url)
    page = loaded(browser)
    slots = app.get("/v1/status?query=startd&projection=Cpus").json
    assert dict(page["slots"])["slots"] == str(len(slots))
    daemons = {(ad["type"], ad["name"]) for ad in app.get("/v1/status?query=any").json
               if ad["type"] in ("Collector", "Negotiator", "Scheduler", "DaemonMaster")}
    assert {(row[0], row[1]) for row in page["daemons"]} == daemons


def test_slots_are_grouped_by_the_attribute_the_user_types(app, url, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(url)
    loaded(browser)
    field = browser.find_element("id", "slot-label")
    field.clear()
    field.send_keys("Activity", Keys.ENTER)
    page = eventually(lambda: (lambda p: p if p["slotsBy"] == "by Activity" else None)(shown(browser)), PATIENCE,
                      "the slots by Activity")
    groups = app.get("/v1/summary/status?by=Activity").json["groups"]
    assert sorted(page["slotGroups"]) == sorted(str(group["key"]["activity"]) for group in groups)


def test_the_page_lists_the_negotiators_submitters(app, url, browser):
    browser.get(url)
    loaded(browser)
    expected = [submitter["name"] for submitter in app.get("/v1/summary/priorities").json["submitters"]]
    assert eventually(lambda: shown(browser)["priorities"] == expected or None, PATIENCE, "the submitters")


def test_picking_one_schedd_shows_its_jobs_alone(app, url, browser, test_jobs):
    from selenium.webdriver.support.ui import Select

    browser.get(url)
    loaded(browser)
    Select(browser.find_element("id", "schedd")).select_by_value(test_jobs.schedd_name)
    expected = len(app.get(f"/v1/jobs/{test_jobs.schedd_name}?projection=JobStatus").json)
    page = eventually(lambda: (lambda p: p if not p["perScheddShown"] and p["totals"]["jobs"] == expected
                               and len(p["jobs"]) == expected else None)(shown(browser)),
                      PATIENCE, "the one schedd's jobs")
    assert {row[1] for row in page["jobs"]} == {test_jobs.schedd_name}
    assert browser.current_url.endswith(f"#schedd={test_jobs.schedd_name}")


def test_the_page_shows_each_schedds_jobs_in_the_pool_view(app, url, browser):
    browser.get(url)
    loaded(browser)
    names = [ad["name"] for ad in app.get("/v1/status?query=schedd").json]
    counts = eventually(lambda: shown(browser)["schedds"], PATIENCE, "the jobs by schedd")
    assert set(counts) == set(names)
    assert counts == {name: len(app.get(f"/v1/jobs/{name}?projection=JobStatus").json) for name in names} or \
        eventually(lambda: shown(browser)["schedds"] == {
            name: len(app.get(f"/v1/jobs/{name}?projection=JobStatus").json) for name in names}, PATIENCE)


@pytest.fixture(scope="module")
def polling_url(live) -> str:
    """A server that allows no watchers: the page polls the job list."""
    return live(**{"restd.watch.max_watchers": "0"})


@pytest.mark.parametrize("source", ["live", "polling"])
def test_a_submitted_job_appears_without_a_reload(request, source, browser, test_jobs, tmp_path):
    url = request.getfixturevalue({"live": "url", "polling": "polling_url"}[source])
    browser.get(url)
    loaded(browser)
    eventually(lambda: shown(browser)["live"] == source, PATIENCE, f"the job list {source}")
    browser.execute_script("window.sameDocument = true;")
    batch = f"dashboard-live-{hashlib.sha1(url.encode()).hexdigest()[:6]}"
    cluster = submit_idle_held(batch)
    test_jobs.all_clusters.append(cluster)
    row = eventually(lambda: [r for r in shown(browser)["jobs"] if r[4] == batch], PATIENCE, "the new job's row")
    assert row[0][0] == f"{cluster}.0" and row[0][3] == "held"
    assert shown(browser)["banner"] == "", "watching or polling is no problem to report"
    screenshot(browser, f"dashboard-new-job-{source}", tmp_path)
    import htcondor2  # after the pool's CONDOR_CONFIG is set (tests/pool.py)

    htcondor2.Schedd().act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="dashboard test")
    eventually(lambda: not [r for r in shown(browser)["jobs"] if r[4] == batch], PATIENCE, "the job leaving the list")
    assert browser.execute_script("return window.sameDocument === true;"), "the page was reloaded"


def test_the_job_list_filters_by_owner_and_state(url, browser):
    from selenium.webdriver.support.ui import Select

    browser.get(url)
    eventually(lambda: shown(browser)["jobs"], PATIENCE, "the job list")
    Select(browser.find_element("id", "filter-state")).select_by_value("held")
    Select(browser.find_element("id", "filter-owner")).select_by_value("alice")
    rows = eventually(lambda: listed_only(browser, owner="alice", state="held"), 10, "only alice's held jobs listed")
    assert len(rows) >= 3  # the suite's own


def listed_only(browser, owner: str, state: str) -> list | None:
    rows = shown(browser)["jobs"]
    return rows if rows and all(row[2] == owner and row[3] == state for row in rows) else None


def test_a_filter_nothing_matches_says_so(url, browser, tmp_path):
    from selenium.webdriver.support.ui import Select

    browser.get(url)
    eventually(lambda: shown(browser)["jobs"], PATIENCE, "the job list")
    Select(browser.find_element("id", "filter-state")).select_by_value("suspended")
    eventually(lambda: shown(browser)["jobsEmpty"] == "No job matches these filters.", 10, "the empty filter's text")


def test_a_schedd_without_jobs_says_there_is_nothing_to_show(app, url, browser, tmp_path):
    schedd2 = next(ad["name"] for ad in app.get("/v1/status?query=schedd").json if ad["name"].startswith("schedd2@"))
    assert app.get(f"/v1/jobs/{schedd2}").json == [], "the suite submits to the default schedd only"
    browser.get(f"{url}#schedd={schedd2}")
    page = eventually(lambda: (lambda p: p if p["ownersEmpty"] not in (None, "Loading…") else None)(shown(browser)),
                      PATIENCE, "the empty view")
    assert page["ownersEmpty"] == "No jobs in the queue."
    assert page["jobsEmpty"] == "No jobs in the queue."
    assert page["totals"]["jobs"] == 0
    eventually(lambda: shown(browser)["idleEmpty"] == "No idle jobs.", PATIENCE, "the schedd's idle card, empty")
    screenshot(browser, "dashboard-empty-schedd", tmp_path)


def test_the_page_says_the_pool_is_down(live, browser, tmp_path):
    browser.get(live(env={"_CONDOR_COLLECTOR_HOST": "127.0.0.1:1"}, **{"restd.gateway.timeout": "3"}))
    page = eventually(lambda: (lambda p: p if p["problem"] == "pool" else None)(shown(browser)), PATIENCE,
                      "the pool-down banner")
    assert page["banner"].startswith("The pool is down: the collector does not answer")
    screenshot(browser, "dashboard-pool-down", tmp_path)


@pytest.fixture(scope="module")
def token_url(live, tmp_path_factory) -> str:
    tokens = tmp_path_factory.mktemp("tokens") / "tokens"
    tokens.write_text(hashlib.sha256(TOKEN.encode()).hexdigest() + " dashboard\n")
    return live(**{"restd.auth": "static-token", "restd.static_token.file": str(tokens)})


def paste_token(browser, token: str) -> None:
    field = browser.find_element("id", "token")
    if not field.is_displayed():
        browser.find_element("id", "token-toggle").click()
    field.send_keys(token)
    browser.find_element("id", "token-save").click()


def problem_is(browser, kind: str, saying: str = "") -> dict:
    return eventually(lambda: (lambda p: p if p["problem"] == kind and p["banner"].startswith(saying) else None)(
        shown(browser)), PATIENCE, f"the {kind!r} banner {saying!r}")


def test_without_credentials_the_page_says_the_caller_is_not_allowed(token_url, browser, tmp_path):
    browser.get(token_url)
    problem_is(browser, "auth", "Not allowed: sign in first")
    assert browser.find_element("id", "token").is_displayed()
    screenshot(browser, "dashboard-not-signed-in", tmp_path)


def test_a_token_the_server_rejects_is_said_so(token_url, browser):
    browser.get(token_url)
    problem_is(browser, "auth")
    paste_token(browser, "not-the-token")
    problem_is(browser, "auth", "Not allowed: the server does not accept this token")


def the_pool_shown(browser) -> dict:
    """The page once it shows the pool's numbers (no banner)."""
    return eventually(lambda: (lambda p: p if p["problem"] == "" and p["totals"].get("jobs") else None)(shown(browser)),
                      PATIENCE, "the pool's numbers with the token")


def test_a_pasted_token_shows_the_pool_and_stays_in_the_tab_only(token_url, browser):
    browser.get(token_url)
    problem_is(browser, "auth")
    paste_token(browser, TOKEN)
    page = the_pool_shown(browser)
    assert page["totals"]["held"] >= 3
    assert browser.execute_script("return sessionStorage.getItem('restd.token')") == TOKEN
    assert browser.execute_script("return localStorage.length") == 0
    assert browser.get_cookies() == []


def test_a_pasted_openid_connect_token_shows_the_pool(live, issuer, browser):
    oidc_url = live(**{"restd.auth": "oidc", "restd.oidc.issuers": issuer.url, "restd.oidc.audiences": AUDIENCE})
    browser.get(oidc_url)
    problem_is(browser, "auth")
    paste_token(browser, issuer.token())
    assert the_pool_shown(browser)["totals"]["held"] >= 3


def test_a_kbase_cookie_without_the_read_role_is_forbidden(live, auth2, browser, tmp_path, monkeypatch):
    monkeypatch.delenv("AUTH_URL", raising=False)
    kbase_url = live(**{"restd.auth": "kbase", "restd.kbase.auth_url": auth2.url})
    browser.get(kbase_url.replace("/ui/", "/healthz"))
    browser.add_cookie({"name": "kbase_session", "value": "other-role-token"})
    browser.get(kbase_url)
    problem_is(browser, "forbidden", "Not allowed: your account may not read this pool")
    screenshot(browser, "dashboard-forbidden", tmp_path)


def test_a_kbase_cookie_with_the_read_role_shows_the_pool(live, auth2, browser, monkeypatch):
    monkeypatch.delenv("AUTH_URL", raising=False)
    kbase_url = live(**{"restd.auth": "kbase", "restd.kbase.auth_url": auth2.url})
    browser.get(kbase_url.replace("/ui/", "/healthz"))
    browser.add_cookie({"name": "kbase_session", "value": "readonly-token"})
    browser.get(kbase_url)
    page = eventually(lambda: (lambda p: p if p["loaded"] and p["totals"].get("jobs") else None)(shown(browser)),
                      PATIENCE, "the pool's numbers with the cookie")
    assert page["problem"] == ""


def test_on_a_phone_the_cards_stack_and_nothing_is_wider_than_the_screen(url, tmp_path):
    with driven(390, 1800, phone=True) as phone:
        phone.get(url)
        loaded(phone)
        layout = phone.execute_script("""
          const cards = [...document.querySelectorAll('.card')].map((c) => c.getBoundingClientRect());
          return {page: document.documentElement.scrollWidth, screen: window.innerWidth,
                  lefts: [...new Set(cards.map((r) => Math.round(r.left)))],
                  widest: Math.max(...cards.map((r) => r.right))};
        """)
        png = screenshot(phone, "dashboard-phone", tmp_path)
    assert layout["page"] <= layout["screen"]
    assert len(layout["lefts"]) == 1, "one column"
    assert layout["widest"] <= layout["screen"]
    assert png_size(png)[0] == 390


def test_without_the_summary_and_watch_plugins_the_page_counts_from_the_listings(app, live, browser):
    browser.get(live(**{"restd.endpoints": "jobs status ui"}))
    loaded(browser)
    totals, per_owner = api_state_counts(app)
    page = eventually(lambda: (lambda p: p if p["live"] == "polling" and p["totals"]["jobs"] == sum(totals.values())
                               else None)(shown(browser)), PATIENCE, "the counts made in the page")
    assert page["owners"] == {owner: sum(counts.values()) for owner, counts in per_owner.items()}
    assert page["banner"] == ""
    assert "this server has no /v1/summary/jobs" in browser.find_element("id", "jobs-note").text
    assert page["heldHidden"] and page["daemonHealthHidden"] and page["idleHidden"], \
        "a server without the why plugin has no why cards"
    assert dict(page["slots"])["slots"] == str(len(app.get("/v1/status?query=startd&projection=Cpus").json))


def held_by_reason(app) -> dict[str, int]:
    """The pool's held jobs by HoldReasonCode's name, as /v1/why/held/* counts them."""
    groups = app.get("/v1/why/held/*", params={"by": "HoldReasonCode", "examples": "0"}).json["groups"]
    return {group["key"]["holdreasoncode_name"]: group["count"] for group in groups}


def clicked(browser, selector: str) -> None:
    """Click the element ``selector`` finds, found again if the page redrew it meanwhile."""
    from selenium.common.exceptions import StaleElementReferenceException

    def click() -> bool:
        try:
            browser.find_element("css selector", selector).click()
        except StaleElementReferenceException:
            return False
        return True

    eventually(click, 10, f"a click on {selector}")


def scrolled_to(browser, card: str) -> None:
    browser.execute_script("document.getElementById(arguments[0]).scrollIntoView();", card)


def test_the_held_card_shows_the_held_jobs_by_reason_as_the_api_counts_them(app, url, browser, held_for_reasons,
                                                                           tmp_path):
    browser.get(url)
    loaded(browser)
    page = eventually(lambda: (lambda p: p if p["held"] == held_by_reason(app) else None)(shown(browser)), PATIENCE,
                      "the held reasons as the API counts them")
    assert page["held"]["SubmittedOnHold"] >= 3  # the suite's own held jobs
    assert {"UserRequest", "JobPolicy", "TransferInputError"} <= set(page["held"])
    scrolled_to(browser, "daemon-health")
    screenshot(browser, "dashboard-why", tmp_path)


def test_clicking_a_reason_shows_its_example_jobs_and_they_stay_shown(app, url, browser, held_for_reasons, tmp_path):
    browser.get(url)
    eventually(lambda: "UserRequest" in shown(browser)["held"], PATIENCE, "the held reasons")
    clicked(browser, '#held-reasons details.reason[data-label="UserRequest"] summary')
    (opened,) = eventually(lambda: shown(browser)["heldOpen"], 10, "the reason's example jobs")
    groups = app.get("/v1/why/held/*", params={"by": "HoldReasonCode", "examples": "5"}).json["groups"]
    examples = next(group["examples"] for group in groups if group["key"]["holdreasoncode_name"] == "UserRequest")
    assert opened == ["UserRequest", [[f"{job['jobid']} · {job['schedd']}", job["hold_reason"]] for job in examples]]
    assert len(examples) == 2 and "restd test: held by its user" in examples[0]["hold_reason"]
    scrolled_to(browser, "held")
    screenshot(browser, "dashboard-held-examples", tmp_path)
    updated = shown(browser)["updated"]
    eventually(lambda: shown(browser)["updated"] != updated, PATIENCE, "the next refresh")
    assert [label for label, _ in shown(browser)["heldOpen"]] == ["UserRequest"], "a refresh keeps it open"


def test_the_health_card_shows_each_daemons_verdict_as_the_api_judges_it(app, url, browser):
    browser.get(url)
    loaded(browser)
    health = app.get("/v1/why/health").json
    expected = {(kind.removesuffix("s"), daemon["name"]): daemon["verdict"]
                for kind in ("schedds", "negotiators", "collectors") for daemon in health[kind]}
    page = eventually(lambda: (lambda p: p if {(row[1], row[2]): row[0] for row in p["daemonVerdicts"]} == expected
                               else None)(shown(browser)), PATIENCE, "the daemons' verdicts as the API judges them")
    assert page["healthVerdict"] == health["verdict"]


def test_thresholds_a_site_lowered_show_critical_daemons_and_why(live, browser, tmp_path):
    browser.get(live(**{"restd.why.health.duty_cycle.warning": "0", "restd.why.health.duty_cycle.critical": "0"}))
    page = eventually(lambda: (lambda p: p if p["healthVerdict"] == "critical" and p["daemonVerdicts"] else None)(
        shown(browser)), PATIENCE, "the critical verdicts")
    assert {row[0] for row in page["daemonVerdicts"]} == {"critical"}
    assert all("duty cycle" in row[3] for row in page["daemonVerdicts"])
    scrolled_to(browser, "daemon-health")
    screenshot(browser, "dashboard-health-critical", tmp_path)


def test_a_job_held_meanwhile_is_counted_in_the_held_card_without_a_reload(app, url, browser, test_jobs):
    browser.get(url)
    loaded(browser)
    before = eventually(lambda: (lambda p: p["held"] if p["held"] == held_by_reason(app) else None)(shown(browser)),
                        PATIENCE, "the held reasons")
    browser.execute_script("window.sameDocument = true;")
    cluster = submit_idle_held(f"dashboard-held-{hashlib.sha1(url.encode()).hexdigest()[:6]}")
    test_jobs.all_clusters.append(cluster)
    try:
        eventually(lambda: shown(browser)["held"].get("SubmittedOnHold") == before["SubmittedOnHold"] + 1, PATIENCE,
                   "the new held job counted")
    finally:
        import htcondor2

        htcondor2.Schedd().act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="dashboard test")
    assert browser.execute_script("return window.sameDocument === true;"), "the page was reloaded"


#: A server of two watch places, one caller's share one, with no heartbeat
#: during a test: a place given back is the server seeing the client go.
TWO_PLACES = {"restd.watch.max_watchers": "2", "restd.watch.heartbeat": "300"}
#: Callers other than the browser (auth none: one per address).
OTHERS = ("127.0.0.2", "127.0.0.3")


def api_of(page_url: str) -> str:
    return page_url.removesuffix("/ui/")


def watched_by_another(page_url: str, source: str) -> Stream:
    """A stream of the default schedd's queue held by the caller at ``source``."""
    stream = Stream(api_of(page_url) + "/v1/watch/jobs/DEFAULT?projection=JobStatus", source=source)
    assert stream.status == 200
    stream.next()
    return stream


def refused(page_url: str) -> dict[str, float]:
    """The server's watchers refused so far, by reason (its /metrics)."""
    counts = {}
    for line in requests.get(api_of(page_url) + "/metrics", timeout=PATIENCE).text.splitlines():
        if line.startswith("restd_watch_refused_total{"):
            name, value = line.rsplit(" ", 1)
            counts[name.split('"')[1]] = float(value)
    return counts


def test_a_reload_while_every_watch_place_is_taken_keeps_watching(live, browser, test_jobs):
    url = live(**TWO_PLACES)
    page = f"{url}#schedd={test_jobs.schedd_name}"  # one schedd: one stream
    with watched_by_another(url, OTHERS[0]):
        browser.get(page)
        eventually(lambda: shown(browser)["live"] == "live", PATIENCE, "the page watching")
        browser.execute_script("window.sameDocument = true;")
        browser.refresh()  # every place taken: the page's own, the other caller's
        eventually(lambda: not browser.execute_script("return window.sameDocument === true;"), PATIENCE, "a reload")
        eventually(lambda: shown(browser)["live"] == "live", PATIENCE, "the reloaded page watching")
        assert refused(url) == {"full": 0, "caller": 0}


def test_under_a_full_server_the_page_polls_then_watches_once_a_place_frees(live, browser, test_jobs, tmp_path):
    url = live(**TWO_PLACES)
    with watched_by_another(url, OTHERS[0]), watched_by_another(url, OTHERS[1]) as freed:
        browser.get(f"{url}#schedd={test_jobs.schedd_name}")
        polling = eventually(lambda: (lambda p: p if p["live"] == "polling" and p["jobs"] else None)(shown(browser)),
                             PATIENCE, "the page polling the job list")
        assert polling["banner"] == "", "no place to watch is no problem to report"
        screenshot(browser, "dashboard-polling-no-place", tmp_path)
        browser.execute_script("window.sameDocument = true;")
        freed.close()
        eventually(lambda: shown(browser)["live"] == "live", PATIENCE, "the page watching again")
        assert refused(url)["full"] >= 1
    assert browser.execute_script("return window.sameDocument === true;"), "the page was reloaded"
    assert {row[0] for row in shown(browser)["jobs"]} == {row[0] for row in polling["jobs"]}


@pytest.mark.disruptive
def test_a_frozen_pool_is_said_so_and_the_page_recovers_without_a_reload(live, browser, tmp_path):
    from .pool import frozen

    browser.get(live(**{"restd.gateway.timeout": "3", "restd.readyz.timeout": "2"}))
    loaded(browser)
    browser.execute_script("window.sameDocument = true;")
    with frozen("condor_schedd"):
        page = problem_is(browser, "pool")
        screenshot(browser, "dashboard-schedd-frozen", tmp_path)
    assert page["banner"].startswith("The pool is")
    eventually(lambda: shown(browser)["problem"] == "", PATIENCE, "the banner going once the schedds answer")
    assert browser.execute_script("return window.sameDocument === true;"), "the page was reloaded"


# ------------------------------------------------ over time, archived --

#: The "over time" card's archived part, read from the page.
ARCHIVED = """
const box = document.getElementById("archive-box");
const chart = document.getElementById("archive-chart");
return {
  hidden: box.hidden,
  title: document.getElementById("archive-title").textContent,
  from: Number(chart.dataset.from), to: Number(chart.dataset.to), bucket: Number(chart.dataset.bucket),
  completed: Object.fromEntries([...chart.querySelectorAll("rect.s-completed")]
    .map((rect) => [rect.dataset.start, Number(rect.dataset.value)])),
  note: document.getElementById("archive-note").textContent,
  efficiency: [...chart.querySelectorAll("polyline.efficiency")].map((line) => line.getAttribute("points")),
  pressed: [...box.querySelectorAll("button[aria-pressed=true]")].map((b) => b.dataset.range),
  timeline: Boolean(document.querySelector("#jobs-timeline .legend, #jobs-timeline .empty")),
};
"""


@pytest.fixture(scope="module")
def archived_url(live, tmp_path_factory) -> tuple[str, int]:
    """A live server with an archive, and jobs that completed once it ran: its
    URL and how many jobs it archived since."""
    import htcondor2

    path = tmp_path_factory.mktemp("archive") / "archive.sqlite3"
    url = live(**{"restd.archive": f"sqlite:///{path}", "restd.archive.interval": "0.3",
                  "restd.archive.settle": "0", "restd.archive.backfill": "false", "restd.gateway.workers": "3"})
    api = url.removesuffix("ui/")
    eventually(lambda: requests.get(api + "readyz").json().get("archive", {}).get("lag_seconds") is not None,
               what="the ingester's first round")  # the jobs recorded from then on are archived
    client = htcondor2.Schedd()
    done = submit(client, "dashboard-over-time", 3)
    busy = submit(client, "dashboard-over-time", 1, executable="/bin/sleep", arguments="2")  # a CPU efficiency
    in_history(client, done, 3)
    in_history(client, busy, 1)

    def archived() -> int:
        answer = requests.get(api + "v1/summary/history").json()
        return sum(group["completed"] for bucket in answer["buckets"] for group in bucket["groups"])

    return url, eventually(lambda: (n := archived()) >= 4 and n, what="the jobs archived")


def archived_card(browser, bucket: int) -> dict:
    return eventually(lambda: (lambda card: card if card["bucket"] == bucket and card["completed"] else None)(
        browser.execute_script(ARCHIVED)), PATIENCE, "the archived jobs drawn")


def api_summary(url: str, card: dict, bucket: int | None = None) -> list[dict]:
    """The API's summary of the card's window: its buckets' groups."""
    return [bucket["groups"] for bucket in requests.get(url.removesuffix("ui/") + "v1/summary/history", params={
        "from": card["from"], "to": card["to"], "bucket": bucket or card["bucket"]}).json()["buckets"]]


def api_completed(url: str, card: dict) -> dict[str, int]:
    """Jobs completed per bucket (that has any), as the API counts them for the card's window."""
    completed = {str(card["from"] + i * card["bucket"]): sum(g["completed"] for g in groups)
                 for i, groups in enumerate(api_summary(url, card))}
    return {start: n for start, n in completed.items() if n}


def api_efficiency(url: str, card: dict) -> tuple[list, str]:
    """The CPU efficiency per bucket (null: none), and of the whole window in the card's words."""
    per_bucket = [groups[0]["cpu_efficiency"] if groups else None for groups in api_summary(url, card)]
    [whole] = api_summary(url, card, card["to"] - card["from"])
    return per_bucket, f"CPU efficiency {round(whole[0]['cpu_efficiency'] * 100)}%"


def test_the_over_time_card_shows_the_archived_completions_of_the_last_day_at_first_load(archived_url, browser,
                                                                                        tmp_path):
    url, archived = archived_url
    browser.get(url)
    card = archived_card(browser, 3600)
    assert card["to"] - card["from"] == 24 * 3600
    assert card["completed"] == api_completed(url, card)
    assert sum(card["completed"].values()) >= archived
    assert card["pressed"] == ["day"] and card["timeline"]  # today's lines of what the page saw stay
    assert card["note"].startswith(f"{sum(card['completed'].values()):,} completed")
    per_bucket, overall = api_efficiency(url, card)
    assert len(card["efficiency"]) == sum(1 for i, e in enumerate(per_bucket)  # a line per run of measured buckets
                                          if e is not None and (i == 0 or per_bucket[i - 1] is None))
    assert card["efficiency"] and overall in card["note"]
    screenshot(browser, "dashboard-over-time-day", tmp_path)


def test_the_switch_shows_the_last_seven_days_in_quarter_days(archived_url, browser, tmp_path):
    url, archived = archived_url
    browser.get(url)
    archived_card(browser, 3600)
    browser.find_element("css selector", '#archive-box button[data-range="week"]').click()
    card = archived_card(browser, 6 * 3600)
    assert card["to"] - card["from"] == 7 * 24 * 3600
    assert card["completed"] == api_completed(url, card)
    assert sum(card["completed"].values()) >= archived
    assert card["pressed"] == ["week"]
    screenshot(browser, "dashboard-over-time-week", tmp_path)


def test_without_an_archive_the_over_time_card_draws_what_the_page_saw(url, browser):
    browser.get(url)
    loaded(browser)
    assert requests.get(url.removesuffix("ui/") + "v1/summary/history").status_code == 404
    card = browser.execute_script(ARCHIVED)
    assert card["hidden"] and card["timeline"]


def test_on_a_phone_the_archived_columns_fit_the_screen(archived_url, tmp_path):
    url, _ = archived_url
    with driven(390, 1200, phone=True) as phone:
        phone.get(url)
        archived_card(phone, 3600)
        layout = phone.execute_script("""
          const box = document.getElementById('archive-box').getBoundingClientRect();
          return {page: document.documentElement.scrollWidth, screen: window.innerWidth, right: box.right};
        """)
        screenshot(phone, "dashboard-over-time-phone", tmp_path)
    assert layout["page"] <= layout["screen"]
    assert layout["right"] <= layout["screen"]


#: A Requirements on an attribute no slot has, whose text is markup: the
#: idle card draws it as text (a caller writes its jobs' Requirements).
MARKUP_CLAUSE = 'TARGET.RestdWhyNoSuchAttribute == "<img src=x id=restd-injected><b id=restd-bold>bold</b>"'
#: The idle card's own jobs, their clusters' sizes making them its largest groups: jobs no slot can run (a
#: requirement on a missing attribute; the same with markup in it) and jobs the unclaimed slots would run.
CARD_IDLE_JOBS = {"missing_attribute": (IDLE_JOBS["missing_attribute"], 5),
                  "markup": ({"requirements": f"{MARKUP_CLAUSE} && TARGET.RestdWhySlot =?= true"}, 4),
                  "will_run": (IDLE_JOBS["will_run"], 4)}


@pytest.fixture(scope="module")
def card_idle_jobs(why_slots) -> Iterator[dict[str, int]]:
    """CARD_IDLE_JOBS' clusters by name, each in its autocluster; removed after the module."""
    import htcondor2

    clusters = {name: submit_idle(description, count) for name, (description, count) in CARD_IDLE_JOBS.items()}
    for cluster in clusters.values():
        autocluster(cluster)
    yield clusters
    htcondor2.Schedd().act(htcondor2.JobAction.Remove, " || ".join(f"ClusterId == {c}" for c in clusters.values()),
                           reason="restd test ended")


IDLE_GROUPS = 6  # as app.js asks


def idle_groups_as_shown(app) -> list[dict]:
    """/v1/why/idle/*'s groups as the idle card shows them: its cause, the
    clause rejecting the most slots and the slots at each stage."""
    groups = app.get("/v1/why/idle/*", params={"groups": str(IDLE_GROUPS)}).json["groups"]
    shown_groups = []
    for group in groups:
        slots = group["slots"]
        worst = max(group["clauses"], key=lambda clause: clause["rejects"], default=None)
        worst = worst if worst and worst["rejects"] and slots else None
        drained = f", {slots['if_drained']} if drained" if slots and slots["if_drained"] else ""
        shown_groups.append({
            "cause": group["cause"]["code"],
            "text": group["cause"]["text"] if group["cause"]["clause"] is None else None,  # else the clause's line
            "jobs": f"{group['idle']} job{'' if group['idle'] == 1 else 's'}",
            "clause": worst["clause"] if worst else None,
            "rejects": f"{worst['rejects']} of {slots['total']}" if worst else None,
            "stages": f"{slots['match_job']} match / {slots['accept_job']} accept / {slots['unclaimed']} unclaimed of "
                      f"{slots['total']}{drained}" if slots else None,
        })
    return shown_groups


def idle_card_agreeing(app, browser) -> dict:
    """The page once its idle card shows what the API analyses."""
    def agreeing():
        page = shown(browser)
        seen = [{key: group[key] for key in ("cause", "text", "jobs", "clause", "rejects", "stages")}
                for group in page["idle"]]
        return page if seen and seen == idle_groups_as_shown(app) else None

    return eventually(agreeing, PATIENCE, "the idle card agreeing with the API")


def idle_group_of(page: dict, cluster: int, schedd: str) -> dict:
    """The idle card's group of the cluster's autocluster (of the pool view)."""
    (group,) = [group for group in page["idle"] if group["where"] == f"autocluster {autocluster(cluster)} · {schedd}"]
    return group


def test_the_idle_card_shows_each_groups_cause_and_blocking_clause_as_the_api_analyses_them(
        app, url, browser, card_idle_jobs, test_jobs, tmp_path):
    browser.get(url)
    page = idle_card_agreeing(app, browser)
    missing, will_run = (idle_group_of(page, card_idle_jobs[name], test_jobs.schedd_name)
                         for name in ("missing_attribute", "will_run"))
    assert (missing["cause"], missing["words"], missing["jobs"]) == ("no_slot_matches", "no slot matches", "5 jobs")
    assert missing["clause"] == "TARGET.RestdWhyNoSuchAttribute == 1"
    total = missing["stages"].rsplit(" of ", 1)[1]
    assert missing["rejects"] == f"{total} of {total}", "the missing attribute rejects every slot"
    assert missing["stages"].startswith("0 match / 0 accept / 0 unclaimed")
    assert missing["text"] is None, "the clause's line says it"
    assert will_run["cause"] in ("not_considered_yet", "owner_priority") and will_run["words"] != "no slot matches"
    assert int(will_run["stages"].split(" / ")[2].split()[0]) > 0, "unclaimed slots would run it"
    scrolled_to(browser, "idle")
    screenshot(browser, "dashboard-idle", tmp_path)


def test_a_clause_of_markup_is_drawn_as_its_text(app, url, browser, card_idle_jobs, test_jobs):
    browser.get(url)
    group = idle_group_of(idle_card_agreeing(app, browser), card_idle_jobs["markup"], test_jobs.schedd_name)
    assert group["clause"] == MARKUP_CLAUSE and group["cause"] == "no_slot_matches"
    assert MARKUP_CLAUSE in browser.execute_script(
        "return [...document.querySelectorAll('#idle .cause')].map((cause) => cause.title).join()")
    assert browser.execute_script(
        "return document.querySelectorAll('#restd-injected, #restd-bold, #idle img, #idle b').length") == 0


def test_on_a_phone_the_idle_card_fits_the_screen(app, url, card_idle_jobs, tmp_path):
    with driven(390, 1800, phone=True) as phone:
        phone.get(url)
        idle_card_agreeing(app, phone)
        scrolled_to(phone, "idle")
        layout = phone.execute_script("""
          const card = document.getElementById('idle').getBoundingClientRect();
          const inside = [...document.querySelectorAll('#idle *')].map((e) => e.getBoundingClientRect());
          return {page: document.documentElement.scrollWidth, screen: window.innerWidth, card: card.right,
                  widest: Math.max(...inside.map((r) => r.right))};
        """)
        screenshot(phone, "dashboard-idle-phone", tmp_path)
    assert layout["page"] <= layout["screen"]
    assert layout["card"] <= layout["screen"] and layout["widest"] <= layout["card"]


def test_jobs_gone_idle_meanwhile_are_shown_with_their_clause_without_a_reload(app, url, browser, card_idle_jobs):
    browser.get(url)
    idle_card_agreeing(app, browser)
    browser.execute_script("window.sameDocument = true;")
    clause = "TARGET.RestdWhyLateAttribute == 7"
    cluster = submit_idle({"requirements": f"{clause} && TARGET.RestdWhySlot =?= true"}, 6)  # the largest group
    try:
        group = eventually(lambda: next((group for group in shown(browser)["idle"] if group["clause"] == clause), None),
                           PATIENCE, "the new idle group")
    finally:
        import htcondor2

        htcondor2.Schedd().act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", reason="dashboard test")
    assert (group["jobs"], group["cause"], group["words"]) == ("6 jobs", "no_slot_matches", "no slot matches")
    assert browser.execute_script("return window.sameDocument === true;"), "the page was reloaded"
