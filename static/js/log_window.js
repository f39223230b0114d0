// A window on a log longer than the page holds: as the reader scrolls near the top of
// what is held, the lines before it are fetched (by the server's line index and byte
// offsets, /tasks/<id>/log/window/); jumps to a line, to the end or to a search match
// fetch the lines there. Lines far from the reader give way, so a 10,000,000-line log
// costs the page what 20,000 lines do. Needs log_held.js; run_panel.js makes one per panel.
"use strict";

(function (Executor) {
  const EDGE_PX = 800; // this close to an end of what is held, the next lines are fetched
  const KEEP_LINES = Executor.LOG_MAX_LINES * 2; // held while reading away from the live end
  const CONTEXT_LINES = 30; // lines shown above a line jumped to

  class LogWindow {
    constructor(panel) {
      this.panel = panel;
      this.view = panel.log;
      this.url = panel.root.dataset.windowUrl;
      this.loading = null;
      this.totalLines = parseInt(panel.root.dataset.logLines, 10) || null;
      this.position = panel.bound["log-position"];
      this.view.el.addEventListener("scroll", () => this.scrolled(), { passive: true });
      this.view.openSkipped = (line) => Executor.openSkipped(this, line); // log_skip.js
    }

    // The whole log is on the page: search and copy need not ask the server.
    get holdsAll() {
      const view = this.view;
      return !view.trimmed && !view.detached && this.panel.startOffset === 0;
    }

    async fetch(params) {
      const url = new URL(this.url, location.href);
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || "HTTP " + response.status);
      this.error = null;
      this.totalLines = body.total_lines;
      this.view.el.style.setProperty("--digits", String(Math.max(4, String(body.total_lines).length)));
      return body;
    }

    // One fetch at a time; a jump waits for a scroll's fetch to land, then replaces it.
    // A refusal (no such line yet) is shown beside the log and answers null.
    run(work) {
      const next = (this.loading || Promise.resolve())
        .then(work)
        .catch((error) => {
          this.error = error.message; // shown beside the log until the next fetch lands
          this.showPosition();
          return null;
        });
      this.loading = next;
      next.then(() => {
        if (this.loading !== next) return;
        this.loading = null;
        requestAnimationFrame(() => this.scrolled()); // still near an end: more
      });
      return next;
    }

    // Show the lines from `number` on, a few before it above; the live end stops drawing.
    showLine(number) {
      return this.run(async () => {
        const slice = await this.fetch({ line: Math.max(1, number - CONTEXT_LINES) });
        if (number > slice.total_lines) {
          const lines = slice.total_lines.toLocaleString();
          throw new Error("The log has " + lines + " lines, there is no line " + number.toLocaleString() + ".");
        }
        this.replace(slice);
        return slice;
      });
    }

    // The last lines; a live run is followed again from there.
    toEnd() {
      return this.run(async () => {
        const slice = await this.fetch({ end: 1 });
        this.replace(slice);
        this.panel.resumeAt(slice.next_offset);
        this.view.jumpToEnd();
        return slice;
      });
    }

    replace(slice) {
      this.view.reset(slice.line, true, slice.styles);
      this.view.holdTop = false;
      this.view.follow = false;
      this.draw(slice);
      this.view.el.scrollTop = 0;
      this.panel.logChanged();
    }

    draw(slice) {
      this.view.drawAll(slice.parts);
    }

    scrolled() {
      if (this.loading) return;
      const el = this.view.el;
      const first = this.view.firstLine;
      if (el.scrollTop < EDGE_PX && first > 1 && !this.holdsAll) {
        this.run(() => this.earlier(first));
        return;
      }
      const last = this.view.lastLine;
      const nearBottom = el.scrollHeight - el.scrollTop - el.clientHeight < EDGE_PX;
      if (nearBottom && this.view.detached && last !== null && (this.totalLines === null || last < this.totalLines)) {
        this.run(() => this.later(last));
      }
    }

    async earlier(first) {
      const slice = await this.fetch({ before_line: first });
      if (this.view.firstLine !== first) return; // a jump replaced the lines meanwhile
      this.view.holdTop = true;
      this.view.prepend(slice.parts, slice.styles);
      this.view.trimBottom(KEEP_LINES);
      this.panel.logChanged();
    }

    async later(last) {
      const slice = await this.fetch({ line: last + 1 });
      if (this.view.lastLine !== last) return;
      this.view.holdTop = false;
      if (this.view.bottomGone) this.view.restyle(slice.styles);
      this.draw(slice);
      this.view.trim();
      if (slice.next_offset >= slice.total_bytes) this.panel.resumeAt(slice.next_offset);
      this.panel.logChanged();
    }

    // "Lines 4,990,001–5,000,200 of 10,000,000" while the page holds part of the log.
    showPosition() {
      // Holding part of the log, the box's edges are where more lines are fetched: a
      // wheel or a swipe there must not scroll the page on, and the box away from them.
      this.view.el.classList.toggle("windowed", !this.holdsAll);
      if (!this.position) return;
      if (this.error) {
        this.position.textContent = this.error;
        return;
      }
      const first = this.view.firstLine;
      const last = this.view.lastLine;
      if (this.holdsAll || first === null || this.totalLines === null) {
        this.position.textContent = "";
        return;
      }
      const format = (n) => n.toLocaleString();
      this.position.textContent = "lines " + format(first) + "–" + format(last) + " of " + format(this.totalLines);
    }
  }

  Executor.LogWindow = LogWindow;
})((window.Executor = window.Executor || {}));
