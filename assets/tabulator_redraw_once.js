// One full redraw of a Panel Tabulator after its first build, not two or three
// (decision 0085). Panel 1.9's table view redraws every row (reading each row's height,
// a forced layout per row) from `style_redraw` (once a frame after render, and again
// when its stylesheets have loaded) and from its resize flush, which itself waits for
// the stylesheets. Whenever that flush is still to come, or has already redrawn with
// the stylesheets loaded, a redraw from `style_redraw` only repeats it.
// app.configure_panel adds it to every page; tests/browser/test_table_redraw.py fails
// when a Panel upgrade moves what it relies on.
(function () {
  "use strict";

  function stylesLoaded(view) {
    const loaded = view._initialized_stylesheets;
    return loaded == null || [...loaded.values()].every((v) => v);
  }

  function patch() {
    const model = window.Bokeh && Bokeh.Panel && Bokeh.Panel.DataTabulator;
    const View = model && model.prototype.default_view;
    const proto = View && View.prototype;
    if (!proto || typeof proto.style_redraw !== "function" || typeof proto.redraw !== "function"
        || typeof proto.watch_stylesheets !== "function") {
      console.warn("dsa110: Panel's Tabulator view has changed; tables redraw as Panel does");
      return;
    }
    if (proto.style_redraw.dsa110_once) {
      return;
    }
    const redraw = proto.redraw;
    const style_redraw = proto.style_redraw;
    const watch_stylesheets = proto.watch_stylesheets;

    proto.redraw = function (columns = true, rows = true) {
      const draws = !(this._building || this.tabulator == null || this._redrawing);
      redraw.call(this, columns, rows);
      if (draws && rows && stylesLoaded(this)) {
        this._dsa110_styled = true;
      }
    };
    proto.watch_stylesheets = function () {
      this._dsa110_styled = false;  // new stylesheets: the next styled redraw counts
      watch_stylesheets.call(this);
      // Panel waits for each stylesheet's `load` only: one that fails would hold the
      // resize flush (and so the one redraw kept here) forever. A failed one counts as
      // settled, as Panel's newer views do.
      for (const stylesheet of this._applied_stylesheets ?? []) {
        const link = stylesheet.el;
        if (link instanceof HTMLLinkElement) {
          link.addEventListener("error", () => {
            this._initialized_stylesheets?.set(link.href, true);
          }, {once: true});
        }
      }
    };
    proto.style_redraw = function () {
      if (this.tabulator != null && (this._resize_pending || this._dsa110_styled)) {
        if (this.model.visible) {
          this.tabulator.element.style.visibility = "visible";
        }
        return;
      }
      style_redraw.call(this);
    };
    proto.style_redraw.dsa110_once = true;
  }

  // Panel's bundle loads after this script (config.js_files come first) and Bokeh draws
  // the page from its own DOMContentLoaded listener, added after this one.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", patch);
  } else {
    patch();
  }
})();
