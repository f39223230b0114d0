// The part of a long log the view holds, and bringing a line into view: a window starts
// again elsewhere (a jump), takes lines in above (the reader scrolls up) and lets lines
// far below go, each window in the colours the server says are in force where it starts.
// log_window.js decides what to fetch; this keeps the lines and the reader's place.
// Needs ansi.js and log_view.js.
"use strict";

(function (Executor) {
  const { AnsiStyle, LogLines } = Executor;
  const PAGE_LINES = Executor.LOG_PAGE_LINES;

  // {"out": "1;31", "err": ""} from the server: each stream's state at a window's start.
  function stylesAt(styles) {
    return { out: AnsiStyle.at(styles && styles.out), err: AnsiStyle.at(styles && styles.err) };
  }

  class LogView extends LogLines {
    // Start again with a window of the log whose first line is `lineNo` (log_window.js).
    reset(lineNo, detached, styles) {
      this.queue = [];
      this.clear();
      this.trimmed = false;
      this.detached = detached;
      this.lineNo = lineNo || 1;
      this.styles = stylesAt(styles);
      this.bottomGone = false;
      for (const hook of this.hooks) hook.reset();
    }

    // Go on below with the lines from a window that starts where these end: in its colours
    // (ours carry on, unless the lines that ended here gave way: then the server's).
    restyle(styles) {
      this.styles = stylesAt(styles);
      this.bottomGone = false;
    }

    // Draw whole lines above what is shown, keeping what the reader sees in place. They
    // are drawn by a view of their own on a detached element, then moved in.
    prepend(parts, styles) {
      const other = new LogLines(document.createElement("div"), () => {});
      other.styles = stylesAt(styles);
      other.hooks = this.hooks.map((hook) => hook.fresh());
      other.drawAll(parts);
      if (other.line) other.newline();
      if (!other.pages.length) return;
      // A group that opens above and closes below takes in the lines already shown.
      const shown = this.el.querySelectorAll(".line");
      for (const hook of other.hooks) hook.continues(shown);
      // The line at the top of the view stays where it is (estimated heights of pages
      // out of view would make a sum of heights drift).
      const box = this.el.getBoundingClientRect();
      const hit = document.elementFromPoint(box.left + box.width / 2, box.top + 4);
      const anchor = (hit && hit.closest && hit.closest(".line")) || this.pages[0];
      const before = anchor ? anchor.getBoundingClientRect().top : 0;
      const holder = document.createDocumentFragment();
      for (const page of other.pages) {
        // Out of view a page takes its estimated height: only a page of PAGE_LINES has it.
        page.classList.toggle("full", page.lines >= PAGE_LINES);
        holder.appendChild(page);
      }
      this.el.prepend(holder);
      this.pages = other.pages.concat(this.pages);
      this.lines += other.lines;
      if (anchor) this.el.scrollTop += anchor.getBoundingClientRect().top - before;
    }

    // The reader went up: lines far below give way, and the view leaves the live end.
    trimBottom(keep) {
      let dropped = false;
      while (this.lines > keep && this.pages.length > 1) {
        const page = this.pages.pop();
        this.lines -= page.lines;
        page.remove();
        dropped = true;
      }
      if (!dropped) return;
      this.page = null;
      this.line = null;
      this.last = this.lastKey = null;
      for (const hook of this.hooks) hook.reset();
      this.bottomGone = true; // the colours at the end of what is held are not known
      this.detached = true;
      this.follow = false;
      this.onChange();
    }

    // The number of the first and last whole lines held.
    get firstLine() {
      const line = this.el.querySelector(".line[id]");
      return line ? parseInt(line.dataset.n, 10) : null;
    }

    get lastLine() {
      const lines = this.el.querySelectorAll(".log-page:last-child .line[id]");
      return lines.length ? parseInt(lines[lines.length - 1].dataset.n, 10) : null;
    }

    // Scroll the log (not the page) so that `line` shows a third of the way down. Blocks
    // that come into view get their real height and may move it: placed again for a
    // couple of frames, unless the reader scrolls meanwhile.
    reveal(line) {
      this.follow = false;
      const since = performance.now();
      const place = (frames) => {
        if (!line.isConnected || this.userScrollAt > since) return;
        const top = this.offsetOf(line) - this.el.clientHeight / 3;
        if (Math.abs(this.el.scrollTop - top) > 1) this.el.scrollTop = top;
        if (frames > 0) requestAnimationFrame(() => place(frames - 1));
      };
      place(2);
      this.onChange();
    }

    // Where `node` starts in the log's scrolled content. A full block is a containing
    // block of its own (content-visibility), so a line's offsetTop counts from its block.
    offsetOf(node) {
      let top = 0;
      while (node && node !== this.el && node !== this.el.offsetParent) {
        top += node.offsetTop;
        node = node.offsetParent;
      }
      if (node !== this.el) top -= this.el.offsetTop + this.el.clientTop;
      return top;
    }
  }

  Executor.LogView = LogView;
})((window.Executor = window.Executor || {}));
