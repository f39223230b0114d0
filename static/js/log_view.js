// The lines of a log as they come: appended a frame's worth of work at a time, in
// blocks of lines, older ones giving way, the end followed while the reader is there.
// Everything a script prints reaches the page through text nodes, never as markup.
// Each part of output carries the number of its line and its arrival time, so a view
// that holds a window of a long log (log_held.js, log_window.js) numbers and stamps it
// right. Needs ansi.js.
"use strict";

(function (Executor) {
  const { AnsiStyle, ESCAPES } = Executor;

  const MAX_LINES = 5000; // lines kept on screen; older ones give way (the whole log is a link)
  const PAGE_LINES = 200; // lines per block: the browser skips drawing full blocks out of view
  const SLICE_CHARS = 8 * 1024; // text rendered in one step; steps fit in a frame's budget
  const FRAME_BUDGET_MS = 8;

  class LogLines {
    constructor(element, onChange) {
      this.el = element;
      this.onChange = onChange;
      this.el.textContent = ""; // drops the <noscript> note
      this.styles = { out: new AnsiStyle(), err: new AnsiStyle() };
      this.queue = [];
      this.pages = [];
      this.page = null;
      this.pageLines = 0;
      this.lines = 0; // complete lines on screen
      this.line = null; // the line being written (an element of its own, for "\r" and links)
      this.lineNo = 1; // the number of the next line: #L120 links to line 120
      this.hooks = []; // told of each line as it starts and ends (log_tools.js: groups)
      this.last = null; // the node text may be added to, and its style key
      this.lastKey = null;
      this.pendingCR = false;
      this.trimmed = false;
      this.detached = false; // holds a window away from the live end: output is not drawn
      this.at = null; // arrival time (ms) of the output being written
      this.follow = true;
      this.scheduled = false;
      // Only the reader stops the following: layout (blocks getting their real height,
      // old lines giving way) moves the scroll position too, and must not.
      this.userScrollAt = -Infinity;
      const reader = () => (this.userScrollAt = performance.now());
      for (const type of ["wheel", "touchmove", "keydown", "mousedown"]) {
        this.el.addEventListener(type, reader, { passive: true });
      }
      this.el.addEventListener("scroll", () => {
        // The bottom of a window held away from the live end is not the end: following
        // there would scroll each slice fetched below to its end, past lines unread.
        const atBottom = !this.detached && this.el.scrollTop + this.el.clientHeight >= this.el.scrollHeight - 8;
        const byReader = performance.now() - this.userScrollAt < 1000;
        const follow = atBottom || (this.follow && !byReader);
        if (follow !== this.follow) {
          this.follow = follow;
          this.onChange();
        }
      });
    }

    // `line`: the number of the line the text's first byte is on; `at`: when it arrived.
    // A "skip" part (no text; `styles`: the colours where it goes on) is log_skip.js's.
    push(stream, text, at, line, styles) {
      if (text || stream === "skip") this.queue.push({ stream, text, at, line, styles });
      this.schedule();
    }

    schedule() {
      if (this.scheduled) return;
      this.scheduled = true;
      requestAnimationFrame(() => {
        this.scheduled = false;
        this.render(performance.now() + FRAME_BUDGET_MS);
      });
    }

    // Draw queued output until the frame's budget is spent; the rest waits a frame.
    render(deadline) {
      this.dropBacklog();
      let drew = false;
      while (this.queue.length && performance.now() < deadline) {
        const item = this.queue[0];
        if (item.stream === "skip") {
          this.queue.shift();
          Executor.drawSkip(this, item);
          drew = true;
          continue;
        }
        let text = item.text;
        if (text.length > SLICE_CHARS) {
          let cut = text.lastIndexOf("\n", SLICE_CHARS);
          cut = cut > 0 ? cut + 1 : SLICE_CHARS;
          item.text = text.slice(cut);
          text = text.slice(0, cut);
          this.number(item);
          item.line = null; // the rest goes on from where this piece ends
        } else {
          this.queue.shift();
          this.number(item);
        }
        this.write(item.stream, text);
        drew = true;
      }
      if (drew) {
        this.trim();
        if (this.follow) this.scrollToEnd();
        this.onChange();
      }
      if (this.queue.length) this.schedule();
    }

    // When more lines wait than the screen keeps, skip drawing the ones that would give
    // way at once: a flood costs the page the same as a screenful.
    dropBacklog() {
      if (this.whole) return;
      let lines = 0;
      for (let i = this.queue.length - 1; i >= 0; i--) {
        const text = this.queue[i].text;
        let at = text.length;
        while ((at = text.lastIndexOf("\n", at - 1)) !== -1) {
          if (++lines > MAX_LINES) {
            for (const item of this.queue.slice(0, i)) this.skip(item);
            this.skip({ stream: this.queue[i].stream, text: text.slice(0, at + 1) });
            this.queue[i].text = text.slice(at + 1);
            this.queue[i].line = null;
            this.queue.splice(0, i);
            this.clear();
            return;
          }
          if (at === 0) break;
        }
      }
    }

    number(item) {
      if (item.line) this.lineNo = item.line;
      if (item.at) this.at = item.at;
    }

    skip(item) {
      this.number(item);
      if (item.stream === "gap") this.lineNo = item.line || this.lineNo + 1;
      else if (item.stream === "skip") {
        if (this.restyle) this.restyle(item.styles);
      } else {
        this.styles[item.stream].consume(item.text);
        this.lineNo += item.text.split("\n").length - 1; // the lines keep their numbers
      }
    }

    clear() {
      this.el.textContent = "";
      this.pages = [];
      this.page = null;
      this.pageLines = this.lines = 0;
      this.line = null;
      this.last = this.lastKey = null;
      this.pendingCR = false;
      this.trimmed = true;
    }

    write(stream, text) {
      if (stream === "gap") {
        // A marker line without a number; the lines after it keep theirs (the part's line).
        const next = this.lineNo;
        if (this.line) this.newline();
        this.add("gap", text.replace(/^\n+|\n+$/g, ""), "gap");
        this.line.removeAttribute("id");
        this.line.dataset.n = "";
        this.newline();
        this.lineNo = next;
        return;
      }
      const style = this.styles[stream];
      if (this.pendingCR) {
        this.pendingCR = false;
        if (text[0] === "\n") {
          this.newline();
          text = text.slice(1);
        } else {
          this.clearLine();
        }
      }
      ESCAPES.lastIndex = 0;
      let start = 0;
      let match;
      while ((match = ESCAPES.exec(text)) !== null) {
        if (match.index > start) this.addStyled(stream, style, text.slice(start, match.index));
        start = ESCAPES.lastIndex;
        const token = match[0];
        if (token === "\n" || token === "\r\n") this.newline();
        else if (token === "\r") {
          if (start === text.length) this.pendingCR = true;
          else this.clearLine();
        } else if (match[2] === "m") style.apply(match[1]);
      }
      if (start < text.length) this.addStyled(stream, style, text.slice(start));
    }

    addStyled(stream, style, text) {
      const key = style.key(stream);
      if (this.last && this.lastKey === key) {
        this.last.appendData(text);
        return;
      }
      const classes = style.classes(stream);
      let node;
      if (!classes && style.plain) {
        node = document.createTextNode(text);
        this.appendNode(node, key, node);
        return;
      }
      node = document.createElement("span");
      node.className = classes;
      if (style.fgRgb) node.style.color = "rgb(" + style.fgRgb.join(",") + ")";
      if (style.bgRgb) node.style.backgroundColor = "rgb(" + style.bgRgb.join(",") + ")";
      const textNode = document.createTextNode(text);
      node.appendChild(textNode);
      this.appendNode(node, key, textNode);
    }

    add(className, text, key) {
      const node = document.createElement("span");
      node.className = className;
      node.textContent = text;
      this.appendNode(node, key, null);
    }

    appendNode(node, key, growable) {
      if (!this.line) this.startLine();
      this.line.appendChild(node);
      this.last = growable;
      this.lastKey = growable ? key : null;
    }

    // Each line is an element numbered in data-n (shown by CSS, so copied text has no
    // numbers) with the id its #L link names.
    startLine() {
      if (!this.page || this.pageLines >= PAGE_LINES) this.newPage();
      const line = document.createElement("div");
      line.className = "line";
      line.dataset.n = this.lineNo;
      line.id = "L" + this.lineNo;
      if (this.at) line.dataset.t = Executor.clockTime(this.at);
      this.page.appendChild(line);
      this.line = line;
      for (const hook of this.hooks) hook.started(line);
    }

    newPage() {
      if (this.page) this.page.classList.add("full");
      this.page = document.createElement("div");
      this.page.className = "log-page";
      this.page.lines = 0;
      this.el.appendChild(this.page);
      this.pages.push(this.page);
      this.pageLines = 0;
    }

    newline() {
      if (!this.line) this.startLine();
      const line = this.line;
      if (this.last) this.last.appendData("\n");
      else line.appendChild(document.createTextNode("\n"));
      this.line = null;
      this.lineNo++;
      for (const hook of this.hooks) hook.ended(line);
      this.last = this.lastKey = null;
      this.pageLines++;
      this.page.lines++;
      this.lines++;
    }

    // "\r" without "\n": the script rewrites its line (progress bars do).
    clearLine() {
      if (this.line) this.line.replaceChildren();
      this.last = this.lastKey = null;
    }

    // Older lines give way; while the reader is scrolled up, later (they may be reading
    // them), but not without bound.
    trim() {
      if (this.holdTop) return; // a window being read upwards trims its bottom instead
      const keep = this.follow ? MAX_LINES : MAX_LINES * 4;
      if (this.lines <= keep) return; // (reading scrollHeight lays the page out at once)
      const height = this.el.scrollHeight;
      let trimmed = false;
      while (this.lines > keep && this.pages.length > 1) {
        const page = this.pages.shift();
        this.lines -= page.lines;
        page.remove();
        this.trimmed = trimmed = true;
      }
      // What the reader sees stays in place (following, the end is shown anyway).
      if (trimmed && !this.follow) this.el.scrollTop -= height - this.el.scrollHeight;
    }

    jumpToEnd() {
      this.follow = true;
      this.scrollToEnd();
      this.onChange();
    }

    // Blocks that come into view get their real height, which moves the end: look again
    // next frame.
    scrollToEnd() {
      this.el.scrollTop = this.el.scrollHeight;
      requestAnimationFrame(() => {
        if (this.follow) this.el.scrollTop = this.el.scrollHeight;
      });
    }

    flush() {
      while (this.queue.length) this.render(Infinity);
    }

    // Draw all of a window's parts now, none skipped (a window is never a flood).
    drawAll(parts) {
      this.whole = true;
      for (const [stream, text, at, line] of parts) this.push(stream, text, at, line);
      this.flush();
      this.whole = false;
    }

    get text() {
      this.flush();
      return this.el.textContent;
    }
  }

  Executor.LogLines = LogLines;
  Executor.LOG_MAX_LINES = MAX_LINES;
  Executor.LOG_PAGE_LINES = PAGE_LINES;
})((window.Executor = window.Executor || {}));
