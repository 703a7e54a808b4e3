"""The wall display's stylesheet (inside its shadow root).

Every length follows the screen: the base font is a share of the viewport
(``min(1.15vw, 2.05vh)``: 22 px on 1920x1080, 44 px on 3840x2160), the rest is in
``em`` and fractions, so one layout fills an HD or a 4K wall without scroll bars.
Dark colours always: a control room keeps its lights low.
"""

WALL_CSS = """
:host { display: block; }
.wall { position: fixed; inset: 0; box-sizing: border-box; overflow: hidden;
  display: flex; flex-direction: column; gap: 0.5em; padding: 0.6em 0.9em;
  background: #0b0f14; color: #e8edf2; z-index: 10;
  font: 400 min(1.15vw, 2.05vh)/1.25 system-ui, -apple-system, "Segoe UI", Roboto,
        "DejaVu Sans", sans-serif; font-variant-numeric: tabular-nums; }
.wall * { box-sizing: border-box; }
.wall-header { display: flex; align-items: center; gap: 1.6em; flex: 0 0 auto; }
.wall-brand { display: flex; align-items: center; gap: 0.5em; font-size: 1.25em;
  font-weight: 600; margin-right: auto; }
.wall-brand img { height: 1.6em; }
.wall-kpi { display: flex; align-items: center; gap: 0.45em; font-size: 1.5em; }
.wall-label { font-size: 0.72em; text-transform: uppercase; letter-spacing: 0.05em;
  color: #9aa7b4; }
.wall-kpi .wall-label { font-size: 0.5em; }
.wall-value { font-weight: 650; }
.wall-clock { font-size: 1.5em; font-weight: 600; }
.wall-light { display: inline-block; padding: 0.1em 0.6em; border-radius: 0.6em;
  color: #fff; font-weight: 700; white-space: nowrap; }
.wall-big { font-size: 1.05em; letter-spacing: 0.04em; }
.wall-dot { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 50%;
  margin-right: 0.35em; vertical-align: -0.05em; flex: 0 0 auto; }
.wall-ok { background: #2e7d32; } .wall-warn { background: #c77700; }
.wall-bad { background: #c62828; } .wall-unknown { background: #5f6b78; }
.wall-banner { flex: 0 0 auto; padding: 0.3em 0.7em; border-radius: 0.3em;
  font-size: 1.5em; font-weight: 700; color: #fff; }
.wall-banner.wall-bad { animation: wall-pulse 2s ease-in-out infinite; }
.wall-note { background: #37474f; font-size: 1em; font-weight: 500; }
@keyframes wall-pulse { 50% { opacity: 0.75; } }
.wall-main { flex: 1 1 auto; min-height: 0; display: grid; gap: 0.8em;
  grid-template-columns: minmax(0, 0.8fr) minmax(0, 1.2fr); }
.wall-newest { min-height: 0; display: flex; flex-direction: column; gap: 0.35em; }
.wall-newest-img { flex: 1 1 auto; min-height: 0; width: 100%; object-fit: contain;
  object-position: center top; background: #000; border-radius: 0.3em; }
.wall-caption { flex: 0 0 auto; font-size: 1.05em; }
.wall-grade { padding: 0 0.4em; border-radius: 0.3em; color: #fff; font-weight: 600; }
.wall-right { min-height: 0; display: flex; flex-direction: column; gap: 0.7em; }
.wall-tiles { flex: 0 0 auto; display: grid; grid-template-columns: 1.15fr 1fr 1fr;
  gap: 0.7em; }
.wall-tile { background: #141b23; border-radius: 0.4em; padding: 0.45em 0.6em;
  min-width: 0; overflow: hidden; }
.wall-figure { font-size: 2.1em; font-weight: 700; line-height: 1.1; display: flex;
  align-items: baseline; flex-wrap: wrap; column-gap: 0.2em; }
.wall-figure .wall-dot { align-self: center; }
.wall-unit { font-size: 0.4em; font-weight: 500; color: #b8c3cd; }
.wall-small { font-size: 0.8em; }
.wall-muted { color: #9aa7b4; }
.wall-list { margin: 0.2em 0 0 0; padding: 0; list-style: none; font-size: 0.8em; }
.wall-list li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wall-chart { display: block; width: 100%; height: auto; max-height: 100%; }
.wall-tile .wall-chart { margin-top: 0.2em; }
.wall-rotor { flex: 1 1 auto; min-height: 0; display: flex; flex-direction: column;
  background: #141b23; border-radius: 0.4em; padding: 0.4em 0.6em; }
.wall-tabs { display: flex; gap: 1.2em; flex: 0 0 auto; font-size: 0.95em;
  color: #6f7c89; margin-bottom: 0.3em; }
.wall-tab { padding-bottom: 0.1em; border-bottom: 0.15em solid transparent; }
.wall-tab.wall-active { color: #e8edf2; border-bottom-color: #f2a541; font-weight: 650; }
.wall-panels { position: relative; flex: 1 1 auto; min-height: 0; }
.wall-panel { position: absolute; inset: 0; display: none; flex-direction: column;
  gap: 0.3em; overflow: hidden; }
.wall-panel.wall-active { display: flex; }
.wall-mosaic { flex: 1 1 auto; min-height: 0; display: grid; gap: 0.4em;
  grid-template-columns: repeat(6, minmax(0, 1fr));
  grid-template-rows: repeat(2, minmax(0, 1fr)); }
.wall-mosaic-tile { margin: 0; min-height: 0; display: flex; flex-direction: column; }
.wall-mosaic-tile img { flex: 1 1 auto; min-height: 0; width: 100%; object-fit: contain;
  background: #000; border-radius: 0.2em; }
.wall-mosaic-tile figcaption { flex: 0 0 auto; font-size: 0.8em; text-align: center; }
.wall-two { flex: 1 1 auto; min-height: 0; display: grid; gap: 0.8em;
  grid-template-columns: 1fr 1fr; align-items: center; }
.wall-two .wall-chart { max-height: 100%; }
.wall-table { border-collapse: collapse; width: 100%; font-size: 1.3em; }
.wall-table td { padding: 0.25em 0.5em; border-bottom: 1px solid #26313c; }
.wall-table td:first-child { white-space: nowrap; }
.wall-table.wall-dense { font-size: 0.95em; }
.wall-table.wall-dense td { padding: 0.12em 0.5em; }
.wall-funnel { display: grid; grid-template-columns: max-content 1fr max-content;
  gap: 0.35em 0.7em; align-items: center; font-size: 1.35em; }
.wall-bar-cell { background: #1d2731; border-radius: 0.2em; height: 1em; }
.wall-bar { background: #4f8fd6; height: 100%; border-radius: 0.2em; min-width: 2px; }
.wall-stuck { color: #ff8a80; font-weight: 650; margin-left: 0.4em; }
.wall-empty { margin: auto; font-size: 1.5em; color: #9aa7b4; }
.wall-lost { position: fixed; inset: 0; z-index: 20; display: none;
  align-items: center; justify-content: center; text-align: center;
  background: rgba(11, 15, 20, 0.82); color: #fff; font: 700 min(2.4vw, 4.3vh)/1.3 system-ui,
  sans-serif; padding: 2em; }
"""
