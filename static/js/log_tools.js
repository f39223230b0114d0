// What a reader does with a log: fold ::group:: sections, link to a line (#L120, kept
// across reloads), search with next/previous and a count, wrap lines or not. Needs
// log_view.js; run_panel.js attaches it to each panel's log.
"use strict";

(function (Executor) {
  const GROUP = "::group::";
  const END_GROUP = "::endgroup::";
  const LINE_HASH = /^#L(\d+)$/;
  const GUTTER_PX = 56; // the line numbers' column (.log .line::before in site.css)
  const FIND_DELAY_MS = 150;

  // `::group::title` ... `::endgroup::` (GitHub Actions' convention) become a section the
  // reader folds with the title's button; the lines keep their numbers.
  class LogGroups {
    constructor() {
      this.open = null; // { head, lines, folded }
    }

    started(line) {
      if (!this.open) return;
      this.open.lines.push(line);
      if (this.open.folded) line.hidden = true;
    }

    ended(line) {
      const text = line.textContent;
      if (text.startsWith(GROUP)) {
        this.open = this.makeGroup(line, text.slice(GROUP.length).trim() || "Group");
      } else if (this.open && text.trim() === END_GROUP) {
        line.classList.add("group-end");
        this.open = null;
      }
    }

    makeGroup(line, title) {
      const group = { head: line, lines: [], folded: false };
      const button = document.createElement("button");
      button.type = "button";
      button.className = "fold";
      button.setAttribute("aria-expanded", "true");
      button.textContent = title;
      line.replaceChildren(button, document.createTextNode("\n"));
      line.classList.add("group-head");
      button.addEventListener("click", () => {
        group.folded = !group.folded;
        button.setAttribute("aria-expanded", String(!group.folded));
        for (const member of group.lines) member.hidden = group.folded;
      });
      return group;
    }
  }

  // A click on a line's number makes it the page's #L link; a page opened with one (or
  // reloaded) scrolls there once the line has arrived.
  class LineLinks {
    constructor(view) {
      this.view = view;
      const wanted = LINE_HASH.exec(location.hash);
      this.wanted = wanted ? "L" + wanted[1] : null;
      view.el.addEventListener("click", (event) => {
        const line = event.target.closest(".line");
        if (!line || event.target.closest("button")) return;
        if (event.clientX - line.getBoundingClientRect().left > GUTTER_PX) return;
        history.replaceState(null, "", "#" + line.id);
        this.mark(line);
      });
      window.addEventListener("hashchange", () => {
        const match = LINE_HASH.exec(location.hash);
        if (match) this.go("L" + match[1]);
      });
    }

    // Called after each drawn batch: the wanted line may have come.
    drawn() {
      if (this.wanted) this.go(this.wanted);
    }

    go(id) {
      const line = document.getElementById(id);
      if (!line || !this.view.el.contains(line)) {
        this.wanted = id;
        return;
      }
      this.wanted = null;
      this.mark(line);
      this.view.reveal(line);
    }

    mark(line) {
      for (const old of this.view.el.querySelectorAll(".line.target")) old.classList.remove("target");
      line.classList.add("target");
    }
  }

  // Search the lines on the page: every match marked, the current one in view, "3 of 12".
  class LogFinder {
    constructor(view, tools) {
      this.view = view;
      this.input = tools.querySelector('[data-bind="find"]');
      this.count = tools.querySelector('[data-bind="find-count"]');
      this.matches = [];
      this.at = -1;
      let timer = null;
      this.input.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.find(), FIND_DELAY_MS);
      });
      this.input.addEventListener("keydown", (event) => {
        if (event.key !== "Enter") return;
        event.preventDefault();
        this.find(false);
        this.step(event.shiftKey ? -1 : 1);
      });
      tools.querySelector('[data-action="find-next"]').addEventListener("click", () => this.step(1));
      tools.querySelector('[data-action="find-prev"]').addEventListener("click", () => this.step(-1));
    }

    find(restart = true) {
      const query = this.input.value.toLowerCase();
      if (!restart && query === this.query) return;
      this.query = query;
      for (const line of this.matches) line.classList.remove("found", "found-current");
      this.view.flush();
      this.matches = query
        ? [...this.view.el.querySelectorAll(".line")].filter((line) => line.textContent.toLowerCase().includes(query))
        : [];
      for (const line of this.matches) line.classList.add("found");
      this.at = -1;
      if (this.matches.length) this.step(1);
      else this.show();
    }

    step(direction) {
      if (this.query !== this.input.value.toLowerCase()) this.find(false);
      if (!this.matches.length) return this.show();
      if (this.at >= 0) this.matches[this.at].classList.remove("found-current");
      this.at = (this.at + direction + this.matches.length) % this.matches.length;
      const line = this.matches[this.at];
      line.classList.add("found-current");
      if (line.hidden) line.hidden = false; // a match inside a folded group shows
      this.view.reveal(line);
      this.show();
    }

    show() {
      if (!this.query) this.count.textContent = "";
      else if (!this.matches.length) this.count.textContent = "No matches";
      else this.count.textContent = this.at + 1 + " of " + this.matches.length;
    }
  }

  function attach(view, root) {
    view.hooks.push(new LogGroups());
    const links = new LineLinks(view);
    const tools = root.querySelector('[data-bind="log-tools"]');
    if (tools) {
      tools.hidden = false;
      new LogFinder(view, tools);
      const wrap = tools.querySelector('[data-action="wrap"]');
      wrap.addEventListener("click", () => {
        const wrapped = !view.el.classList.toggle("nowrap");
        wrap.setAttribute("aria-pressed", String(wrapped));
      });
    }
    // The failure summary's "Show in the log" goes to the last line written to stderr.
    for (const link of document.querySelectorAll('[data-action="to-log"]')) {
      link.addEventListener("click", (event) => {
        const errors = view.el.querySelectorAll(".s-err");
        const last = errors.length ? errors[errors.length - 1].closest(".line") : null;
        if (!last) return;
        event.preventDefault();
        history.replaceState(null, "", "#" + last.id);
        links.mark(last);
        view.reveal(last);
        view.el.scrollIntoView({ block: "nearest" });
      });
    }
    return links;
  }

  Executor.attachLogTools = attach;
})((window.Executor = window.Executor || {}));
