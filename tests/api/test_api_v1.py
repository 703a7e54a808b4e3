"""The endpoints a script or notebook needs beside the pages (issue 17): stats, the
image list with the /images page's filters, one image and its provenance, sources with
name and cone search and statistic filters, one source and its variability, and a run's
log tail - on a real server over the generated demo dataset."""

from __future__ import annotations

import sqlite3
import urllib.parse

import pytest

from api_helpers import fetch


def get(server, path: str) -> dict:
    reply = fetch(server.url, path)
    assert reply.status == 200, (path, reply.status, reply.body[:300])
    return reply.json()


@pytest.fixture(scope="module")
def demo_rows(api_demo):
    with sqlite3.connect(f"file:{api_demo / 'pipeline.sqlite3'}?mode=ro", uri=True) as c:
        return {
            "images": c.execute("SELECT count(*) FROM images").fetchone()[0],
            "types": dict(c.execute("SELECT type, count(*) FROM images GROUP BY type")),
            "image": c.execute("SELECT id, path, ms_path FROM images ORDER BY id LIMIT 1")
            .fetchone(),
            "source": c.execute("SELECT source_id, ra_deg, dec_deg, count(*) n FROM photometry "
                                "GROUP BY source_id ORDER BY n DESC LIMIT 1").fetchone(),
        }


def test_stats_are_the_overview_counts_with_when(demo_api, demo_rows):
    body = get(demo_api, "/api/v1/stats")
    assert body["images"]["value"] == demo_rows["images"] and body["images"]["exact"]
    assert body["images"]["by"] == demo_rows["types"]
    assert body["_meta"]["generated_at"].endswith("Z")
    assert {"measurement_sets", "sources", "photometry", "jobs"} <= set(body)


def test_the_image_list_pages_filters_and_totals_as_the_page(demo_api, demo_rows):
    body = get(demo_api, "/api/v1/images?limit=5")
    assert body["total"] == demo_rows["images"] and len(body["images"]) == 5
    assert body["sort"] == "mjd" and body["order"] == "desc"
    mjds = [i["mjd"] for i in body["images"]]
    assert mjds == sorted(mjds, reverse=True)
    second = get(demo_api, "/api/v1/images?limit=5&offset=5")
    assert not {i["id"] for i in body["images"]} & {i["id"] for i in second["images"]}
    kind, count = sorted(demo_rows["types"].items())[0]
    typed = get(demo_api, f"/api/v1/images?type={kind}&limit=1&sort=id&order=asc")
    assert typed["total"] == count and typed["images"][0]["type"] == kind
    first = typed["images"][0]
    assert first["url"] == f"/api/v1/images/{first['id']}"
    assert first["thumbnail"].endswith("/thumbnail.png")


@pytest.mark.parametrize("query, parameter", [
    ("limit=100000", "limit"), ("limit=0", "limit"), ("offset=-1", "offset"),
    ("sort=secret", "sort"), ("dec_min=91", "dec_min"), ("grade=shiny", "grade"),
    ("from=yesterday-ish", "from"), ("noise_min=nan", "noise_min"),
])
def test_a_bad_image_list_parameter_is_named(demo_api, query, parameter):
    reply = fetch(demo_api.url, f"/api/v1/images?{query}")
    assert reply.status == 400, query
    assert reply.json()["details"]["parameter"] == parameter


def test_one_image_and_its_provenance(demo_api, demo_rows):
    image_id, path, ms_path = demo_rows["image"]
    body = get(demo_api, f"/api/v1/images/{image_id}")
    assert body["id"] == image_id and body["path"] == path and body["ms_path"] == ms_path
    prov = get(demo_api, f"/api/v1/images/{image_id}/provenance")
    assert prov["image"]["id"] == image_id
    assert prov["measurement_set"]["path"] == ms_path
    assert all(job["url"].startswith("/api/v1/jobs/") for job in prov["jobs"])
    assert fetch(demo_api.url, "/api/v1/images/99999999").status == 404
    assert fetch(demo_api.url, "/api/v1/images/abc/provenance").json()["details"][
        "parameter"] == "id"


def test_sources_by_name_cone_and_statistics(demo_api, demo_rows):
    source_id, ra, dec, _ = demo_rows["source"]
    everything = get(demo_api, "/api/v1/sources?limit=3")
    assert everything["total"] > 3 and len(everything["sources"]) == 3
    prefix = urllib.parse.quote(source_id.split("J", 1)[1][:6])
    named = get(demo_api, f"/api/v1/sources?name=J{prefix}")
    assert source_id in {s["source_id"] for s in named["sources"]}
    cone = get(demo_api, f"/api/v1/sources?ra={ra}&dec={dec}&radius=0.01")
    assert cone["sources"][0]["source_id"] == source_id
    assert cone["sources"][0]["sep_arcsec"] < 36
    eta = get(demo_api, "/api/v1/sources?eta_min=0&limit=500")
    assert all(s["eta_metric"] is not None and s["eta_metric"] >= 0 for s in eta["sources"])
    half = fetch(demo_api.url, f"/api/v1/sources?ra={ra}&dec={dec}")
    assert half.status == 400 and half.json()["details"]["parameter"] == "radius"
    upside = fetch(demo_api.url, "/api/v1/sources?eta_min=5&eta_max=1")
    assert upside.status == 400 and upside.json()["details"]["parameter"] == "eta_min"


def test_one_source_and_its_variability(demo_api, demo_rows):
    source_id = demo_rows["source"][0]
    quoted = urllib.parse.quote(source_id, safe="")
    body = get(demo_api, f"/api/v1/sources/{quoted}")
    assert body["source_id"] == source_id and body["lightcurve"].endswith("/lightcurve")
    var = get(demo_api, f"/api/v1/sources/{quoted}/variability")
    assert var["source_id"] == source_id
    assert {"eta_metric", "v", "chi2_nu", "vs_max", "ese_status"} <= set(var)
    missing = fetch(demo_api.url, "/api/v1/sources/NVSS%20J000000.0%2B000000/variability")
    assert missing.status == 404 and missing.json()["error"] == "not_found"


def test_a_run_log_tail_by_the_old_path(demo_api):
    jobs = get(demo_api, "/api/v1/jobs?limit=50")["jobs"]
    run_id = next(j["run_id"] for j in jobs if j.get("run_id"))
    body = get(demo_api, f"/api/v1/logs/{urllib.parse.quote(run_id, safe='')}?tail=3")
    assert body["run_id"] == run_id and len(body["lines"]) <= 3
    assert fetch(demo_api.url, "/api/v1/logs/job-2001-01-01-000000").status == 404
    odd = fetch(demo_api.url, "/api/v1/logs/no-such-run")
    assert odd.status == 400 and odd.json()["details"]["parameter"] == "run_id"
    bad = fetch(demo_api.url, f"/api/v1/logs/{run_id}?tail=0")
    assert bad.status == 400 and bad.json()["details"]["parameter"] == "tail"
