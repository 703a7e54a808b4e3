"""The latest image: thumbnail (by URL), observation time, type, noise, DR, QA grade."""

from __future__ import annotations

from ...repositories.images import MJD_FROM_CREATED_AT
from ...repositories.qa import MEASURED, image_warnings
from ...viewmodels.overview import mjd_to_datetime, utc_text
from ..image_table import flag_badge
from .base import HtmlCard
from .style import GRADE_LIGHT, esc, light

THUMBNAIL_URL = "/api/v1/images/{id}/thumbnail.png"
DETAIL_URL = "/images/{id}"


def thumbnail_url(image_id: int) -> str:
    # The endpoint's defaults (512 px, zscale+asinh, inferno): prerendered cache hits.
    return THUMBNAIL_URL.format(id=int(image_id))


class LatestImageCard(HtmlCard):
    title = "Latest image"
    flex = "1 1 500px"

    def html(self, snapshot) -> str:
        image = snapshot.latest
        if image is None:
            return '<div class="ov-muted">No images in the database yet.</div>'
        grade, kind = self.model.latest_grade()
        kind_text = ("measured (image QA)" if kind == MEASURED
                     else "derived from dynamic range (no QA row)")
        if image.mjd is not None:
            when = mjd_to_datetime(image.mjd).strftime("%Y-%m-%d %H:%M:%S UTC")
            mjd = f"MJD {image.mjd:.5f}"
            if image.mjd_source == MJD_FROM_CREATED_AT:
                mjd += ' <span class="ov-muted">(from created_at: no MS time)</span>'
        else:
            when, mjd = "unknown", ""
        noise = (f"{image.noise_jy * 1e6:,.0f} µJy/beam" if image.noise_jy is not None
                 else "unknown")
        dr = f"{image.dynamic_range:,.0f}" if image.dynamic_range is not None else "unknown"
        warnings = image_warnings(image.noise_jy, image.dynamic_range)
        warn_html = "".join(f'<div class="ov-small">⚠ {esc(w)}</div>' for w in warnings)
        flag = snapshot.latest_flag
        flag_html = ""
        if flag:
            note = f" — {esc(flag['note'])}" if flag.get("note") else ""
            flag_html = (f'<span class="k">Flag</span><span class="ov-latest-flag">'
                         f'{flag_badge(flag["verdict"], flag.get("user"), flag.get("note"))}'
                         f'<br><span class="ov-small ov-muted">by {esc(flag.get("user"))}'
                         f'{note}</span></span>')
        bad = " ov-thumb-bad" if flag and flag["verdict"] == "bad" else ""
        detail = DETAIL_URL.format(id=image.id)
        name = image.path.rsplit("/", 1)[-1]
        text = (
            '<div class="ov-row">'
            f'<a href="{detail}" class="ov-latest-link" title="Open image {image.id}">'
            f'<img class="ov-thumb{bad}" src="{thumbnail_url(image.id)}" '
            f'alt="Thumbnail of image {image.id}" width="240" height="240"></a>'
            '<div style="flex: 1 1 220px">'
            f'<div><a class="ov-link" href="{detail}">Image {image.id}</a></div>'
            f'<div class="ov-small ov-muted" style="word-break: break-all">{esc(name)}</div>'
            '<div class="ov-grid2" style="margin-top: 6px">'
            f'<span class="k">Observed</span><span>{esc(when)}<br>{mjd}</span>'
            f'<span class="k">Made</span><span>{esc(utc_text(image.created_at))}</span>'
            f'<span class="k">Type</span><span>{esc(image.type)}</span>'
            f'<span class="k">Noise</span><span>{noise}</span>'
            f'<span class="k">Dynamic range</span><span>{dr}</span>'
            f'<span class="k">QA grade</span><span>'
            f'{light(GRADE_LIGHT.get(grade, "unknown"), grade)}'
            f'<br><span class="ov-small ov-muted">{esc(kind_text)}</span></span>'
            f"{flag_html}"
            "</div>"
            f"{warn_html}"
            "</div></div>")
        return text
