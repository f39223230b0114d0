// What a reader does with a log: fold ::group:: sections, link to a line (#L120, kept
// across reloads; in a long log the window fetches it), go to a line, show each line's
// arrival time, wrap lines or not; search is log_find.js. Needs log_view.js;
// run_panel.js attaches it to each panel's log.
"use strict";

(function (Executor) {
  const GROUP = "::group::";
  const END_GROUP = "::endgroup::";
  const LINE_HASH = /^#L(\d+)$/;

  // `::group::title` ... `::endgroup::` (GitHub Actions' convention) become a section the
  // reader folds with the title's button; the lines keep their numbers.
  class LogGroups {
    constructor() {
      this.open = null; // { head, lines, folded }
    }

    // For the lines a view draws above these (LogView.prepend): groups of their own.
    fresh() {
      return new LogGroups();
    }

    // The lines below were drawn before; a group still open at the end of the lines put
    // above them takes them in, up to its ::endgroup::.
    continues(lines) {
      if (!this.open) return;
      for (const line of lines) {
        if (line.classList.contains("group-head")) break;
        this.started(line);
        if (line.textContent.trim() === END_GROUP) {
          this.ended(line);
          break;
        }
      }
    }

    // The lines it was writing are gone (a jump, or the bottom giving way).
    reset() {
      this.open = null;
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
    constructor(view, logWindow) {
      this.view = view;
      this.window = logWindow;
      this.asked = null; // the line the window was last asked for
      const wanted = LINE_HASH.exec(location.hash);
      this.wanted = wanted ? "L" + wanted[1] : null;
      view.el.addEventListener("click", (event) => {
        const line = event.target.closest(".line");
        if (!line || event.target.closest("button")) return;
        const gutter = parseFloat(getComputedStyle(line).paddingLeft);
        if (event.clientX - line.getBoundingClientRect().left > gutter) return;
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
        // Not on the page: a long log's window fetches it (once; a line a live run has
        // not written yet comes with the stream).
        if (this.window && this.asked !== id) {
          this.asked = id;
          this.window.showLine(parseInt(id.slice(1), 10)).then((shown) => {
            if (shown && this.wanted === id && document.getElementById(id)) this.go(id);
          });
        }
        return;
      }
      this.wanted = null;
      this.mark(line);
      this.view.reveal(line);
    }

    // Go to line `number` and make it the page's #L link.
    open(number) {
      history.replaceState(null, "", "#L" + number);
      this.asked = null;
      this.go("L" + number);
    }

    mark(line) {
      for (const old of this.view.el.querySelectorAll(".line.target")) old.classList.remove("target");
      line.classList.add("target");
    }
  }

  function toggle(button, view, className, on) {
    button.addEventListener("click", () => {
      const pressed = view.el.classList.toggle(className) === on;
      button.setAttribute("aria-pressed", String(pressed));
    });
  }

  function attach(view, root, logWindow) {
    view.hooks.push(new LogGroups());
    const links = new LineLinks(view, logWindow);
    const tools = root.querySelector('[data-bind="log-tools"]');
    if (tools) {
      tools.hidden = false;
      if (Executor.LogFinder) new Executor.LogFinder(view, tools, logWindow, links);
      toggle(tools.querySelector('[data-action="wrap"]'), view, "nowrap", false);
      // The time the engine received each line's chunk (within its ~50 ms flush).
      toggle(tools.querySelector('[data-action="times"]'), view, "times", true);
      const goto = tools.querySelector('[data-bind="goto"]');
      goto.addEventListener("submit", (event) => {
        event.preventDefault();
        const number = parseInt(goto.elements.line.value, 10);
        if (number > 0) links.open(number);
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
