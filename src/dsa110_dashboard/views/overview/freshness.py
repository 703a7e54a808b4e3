"""Freshness: time since the last image with its light, and observation-to-image latency."""

from __future__ import annotations

from ...viewmodels.overview import freshness_light, human_age, human_duration, utc_text
from ...viewmodels.overview import mjd_to_datetime
from .base import HtmlCard
from .style import esc, light

RULE = "green < 15 min, amber < 1 h, red otherwise (time since the last image was made)"


class FreshnessCard(HtmlCard):
    title = "Freshness"
    flex = "1 1 340px"
    watches = ("snapshot", "error", "now")

    def html(self, snapshot) -> str:
        f = snapshot.freshness
        age = self.model.seconds_since_latest
        state = freshness_light(age)
        if f.latency_images:
            latency = (f"median {human_duration(f.latency_median_s)} over the last "
                       f"{f.latency_images} images; latest "
                       f"{human_duration(f.latency_latest_s)}")
        else:
            latency = "unknown (no image with an MS observation time)"
        observed = ("—" if f.latest_ms_mid_mjd is None else
                    mjd_to_datetime(f.latest_ms_mid_mjd).strftime("%Y-%m-%d %H:%M UTC")
                    + f" (MJD {f.latest_ms_mid_mjd:.4f})")
        text = (
            f'<div class="ov-freshness">{light(state, human_age(age), RULE, "ov-big-light")}'
            "</div>"
            '<div class="ov-grid2" style="margin-top: 8px">'
            f'<span class="k">Last image made</span><span>'
            f"{esc(utc_text(f.latest_image_created_at, seconds=True))}</span>"
            f'<span class="k">Latest observation</span><span>{esc(observed)}</span>'
            f'<span class="k">Observation → image</span><span>{esc(latency)}</span>'
            "</div>"
            f'<div class="ov-small ov-muted" style="margin-top: 6px">Lights: {esc(RULE)}.'
            f" Checked {esc(utc_text(self.model.now, seconds=True))}.</div>")
        return text
