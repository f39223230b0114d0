// Search the log with next/previous and a count ("3 of 12"). When the whole log is on
// the page, the lines on the page are searched; otherwise the server searches the whole
// log (/tasks/<id>/log/search/) and the window jumps to each match. Needs log_view.js;
// log_tools.js attaches it.
"use strict";

(function (Executor) {
  const FIND_DELAY_MS = 150;

  class LogFinder {
    constructor(view, tools, logWindow, links) {
      this.view = view;
      this.window = logWindow;
      this.links = links;
      this.url = view.el.closest("[data-run]").dataset.searchUrl;
      this.input = tools.querySelector('[data-bind="find"]');
      this.count = tools.querySelector('[data-bind="find-count"]');
      this.matches = [];
      this.at = -1;
      this.found = null; // the server's current match: { index, offset, line, count }
      let timer = null;
      this.input.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.find(), FIND_DELAY_MS);
      });
      this.input.addEventListener("keydown", (event) => {
        if (event.key !== "Enter") return;
        event.preventDefault();
        this.step(event.shiftKey ? -1 : 1);
      });
      tools.querySelector('[data-action="find-next"]').addEventListener("click", () => this.step(1));
      tools.querySelector('[data-action="find-prev"]').addEventListener("click", () => this.step(-1));
    }

    get onServer() {
      return this.window !== null && !this.window.holdsAll;
    }

    find() {
      this.query = this.input.value.toLowerCase();
      this.found = null;
      if (this.onServer && this.query) return this.ask(0, false);
      this.markLines();
      this.at = -1;
      if (this.matches.length) this.step(1);
      else this.show();
    }

    step(direction) {
      if (this.query !== this.input.value.toLowerCase()) return this.find();
      if (this.onServer && this.query) {
        if (!this.found) return this.ask(0, false);
        return direction > 0 ? this.ask(this.found.offset + 1, false) : this.ask(this.found.offset, true);
      }
      if (!this.matches.length) return this.show();
      if (this.at >= 0) this.matches[this.at].classList.remove("found-current");
      this.at = (this.at + direction + this.matches.length) % this.matches.length;
      this.current(this.matches[this.at]);
      this.show();
    }

    // Every line on the page with the text is marked.
    markLines() {
      for (const line of this.view.el.querySelectorAll(".line.found")) line.classList.remove("found", "found-current");
      this.view.flush();
      const query = this.query;
      this.matches = query ? [...this.view.el.querySelectorAll(".line")].filter((line) => line.textContent.toLowerCase().includes(query)) : [];
      for (const line of this.matches) line.classList.add("found");
    }

    current(line) {
      line.classList.add("found-current");
      if (line.hidden) line.hidden = false; // a match inside a folded group shows
      this.view.reveal(line);
    }

    async ask(from, back) {
      const query = this.query;
      const url = new URL(this.url, location.href);
      url.searchParams.set("q", this.input.value);
      url.searchParams.set("from", from);
      if (back) url.searchParams.set("back", "1");
      this.count.textContent = "Searching…";
      let found;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        found = await response.json();
        if (!response.ok) throw new Error(found.error || "HTTP " + response.status);
      } catch (error) {
        this.count.textContent = "Search failed: " + error.message;
        return;
      }
      if (query !== this.query) return; // typed on meanwhile
      this.found = found.index ? found : null;
      this.complete = found.complete;
      if (this.found) {
        const id = "L" + found.line;
        if (!document.getElementById(id)) await this.window.showLine(found.line);
        this.markLines();
        const line = document.getElementById(id);
        if (line) this.current(line);
      }
      this.show(found.count);
    }

    show(total) {
      const more = this.complete === false ? "+" : "";
      if (!this.query) this.count.textContent = "";
      else if (this.onServer) {
        this.count.textContent = this.found ? this.found.index.toLocaleString() + " of " + total.toLocaleString() + more : "No matches" + (more ? " (search stopped early)" : "");
      } else if (!this.matches.length) this.count.textContent = "No matches";
      else this.count.textContent = this.at + 1 + " of " + this.matches.length;
    }
  }

  Executor.LogFinder = LogFinder;
})((window.Executor = window.Executor || {}));
