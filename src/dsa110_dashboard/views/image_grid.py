"""The thumbnail grid of /images: one tile per image of the page, thumbnails by URL.

``loading="lazy"`` lets the browser fetch a thumbnail only as it scrolls into view. The
URL uses the thumbnail endpoint's defaults (512 px, noise_asinh, inferno), the ones
``dsa110-dash thumbnails`` pre-renders, so a pre-rendered cache is hit.
"""

from __future__ import annotations

import html

import pandas as pd

from .image_table import flag_badge, grade_badge, mjd_to_utc

TILE_PX = 200


def grid_html(rows: pd.DataFrame) -> str:
    if rows.empty:
        return "<div style='padding:12px;opacity:0.8'>No images on this page.</div>"
    tiles = []
    for r in rows.to_dict("records"):
        image_id = int(r["id"])
        path = str(r.get("path") or "")
        name = path.rsplit("/", 1)[-1]
        verdict = r.get("flag_verdict")
        bad = " dsa-tile-bad" if verdict == "bad" else ""
        tiles.append(
            f'<a class="dsa-tile{bad}" href="/images/{image_id}" title="{html.escape(path)}">'
            f'<img loading="lazy" src="/api/v1/images/{image_id}/thumbnail.png" '
            f'width="{TILE_PX}" height="{TILE_PX}" alt="thumbnail of image {image_id}">'
            f'<div class="dsa-tile-cap"><span>{html.escape(mjd_to_utc(r.get("mjd")))}</span>'
            f'<span>{grade_badge(r.get("qa_grade"))} '
            f'{flag_badge(verdict, r.get("flag_user"), r.get("flag_note"))}</span></div>'
            f'<div class="dsa-tile-name">#{image_id} · {html.escape(str(r.get("type") or ""))}'
            f' · {html.escape(name)}</div></a>')
    return "<div class='dsa-grid'>" + "".join(tiles) + "</div>"


GRID_CSS = f"""
.dsa-grid {{ display: grid; gap: 10px;
  grid-template-columns: repeat(auto-fill, minmax({TILE_PX + 12}px, 1fr)); }}
.dsa-tile {{ display: flex; flex-direction: column; gap: 4px; padding: 6px;
  border: 1px solid rgba(127,127,127,0.35); border-radius: 6px; text-decoration: none;
  color: inherit; background: rgba(127,127,127,0.06); }}
.dsa-tile:hover {{ border-color: #f2a541; box-shadow: 0 0 0 2px rgba(242,165,65,0.35); }}
.dsa-tile img {{ width: 100%; height: auto; aspect-ratio: 1 / 1; object-fit: contain;
  background: #000; border-radius: 4px; }}
.dsa-tile-cap {{ display: flex; justify-content: space-between; align-items: center;
  font-size: 0.85em; gap: 6px; }}
.dsa-tile-bad {{ border: 2px solid #c62828; }}
.dsa-tile-bad img {{ opacity: 0.55; }}
.dsa-tile-name {{ font-size: 0.75em; opacity: 0.75; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }}
"""
