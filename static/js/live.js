// The live parts of the pages: a run's panel (log, progress, status, actions) and tables
// whose rows follow their runs. Everything a script prints reaches the page through
// textContent and text nodes, never as markup.
"use strict";

(function () {
  const MAX_LINES = 5000; // lines kept on screen; older ones give way (the whole log is a link)
  const PAGE_LINES = 200; // lines per block: the browser skips drawing full blocks out of view
  const SLICE_CHARS = 8 * 1024; // text rendered in one step; steps fit in a frame's budget
  const FRAME_BUDGET_MS = 8;
  const POLL_MS = 1000;
  const ROWS_POLL_MS = 1500;
  const HIDDEN_CLOSE_MS = 15000; // a background tab gives its connection back after this
  const SSE_FAILURES_BEFORE_POLLING = 3;

  const announcer = document.getElementById("announcer");

  function announce(text) {
    if (announcer) announcer.textContent = text;
  }

  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "—";
    if (seconds < 1) return Math.round(seconds * 1000) + " ms";
    if (seconds < 60) return seconds.toFixed(1) + " s";
    let minutes = Math.floor(seconds / 60);
    const rest = Math.floor(seconds % 60);
    if (minutes < 60) return minutes + " min " + String(rest).padStart(2, "0") + " s";
    const hours = Math.floor(minutes / 60);
    minutes %= 60;
    return hours + " h " + String(minutes).padStart(2, "0") + " min";
  }

  function formatBytes(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  // ANSI colours: SGR sequences become classes; every other escape sequence is dropped.

  const ESCAPES = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\r\n|\r|\n/g;
  const SGR_ONLY = /\x1b\[([0-9;:]*)m/g;

  class AnsiStyle {
    constructor() {
      this.reset();
    }

    reset() {
      this.fg = null;
      this.bg = null;
      this.bold = this.dim = this.italic = this.underline = this.inverse = false;
      this.fgRgb = this.bgRgb = null;
    }

    apply(params) {
      const codes = params === "" ? [0] : params.split(/[;:]/).map((code) => parseInt(code, 10) || 0);
      for (let i = 0; i < codes.length; i++) {
        const code = codes[i];
        if (code === 0) this.reset();
        else if (code === 1) this.bold = true;
        else if (code === 2) this.dim = true;
        else if (code === 3) this.italic = true;
        else if (code === 4) this.underline = true;
        else if (code === 7) this.inverse = true;
        else if (code === 22) this.bold = this.dim = false;
        else if (code === 23) this.italic = false;
        else if (code === 24) this.underline = false;
        else if (code === 27) this.inverse = false;
        else if (code >= 30 && code <= 37) [this.fg, this.fgRgb] = [code - 30, null];
        else if (code >= 90 && code <= 97) [this.fg, this.fgRgb] = [code - 90 + 8, null];
        else if (code === 39) [this.fg, this.fgRgb] = [null, null];
        else if (code >= 40 && code <= 47) [this.bg, this.bgRgb] = [code - 40, null];
        else if (code >= 100 && code <= 107) [this.bg, this.bgRgb] = [code - 100 + 8, null];
        else if (code === 49) [this.bg, this.bgRgb] = [null, null];
        else if (code === 38 || code === 48) {
          // 38;5;N (256 colours) or 38;2;R;G;B (true colour)
          let colour = null;
          let rgb = null;
          if (codes[i + 1] === 5) {
            const n = codes[i + 2];
            if (n < 16) colour = n;
            else rgb = xterm256(n);
            i += 2;
          } else if (codes[i + 1] === 2) {
            rgb = [codes[i + 2], codes[i + 3], codes[i + 4]].map((v) => Math.max(0, Math.min(255, v || 0)));
            i += 4;
          }
          if (code === 38) [this.fg, this.fgRgb] = [colour, rgb];
          else [this.bg, this.bgRgb] = [colour, rgb];
        }
      }
    }

    get plain() {
      return (
        this.fg === null && this.bg === null && this.fgRgb === null && this.bgRgb === null &&
        !this.bold && !this.dim && !this.italic && !this.underline && !this.inverse
      );
    }

    classes(stream) {
      const names = [];
      if (stream === "err") names.push("s-err");
      if (this.fg !== null) names.push("fg" + this.fg);
      if (this.bg !== null) names.push("bg" + this.bg);
      if (this.bold) names.push("b");
      if (this.dim) names.push("dim");
      if (this.italic) names.push("i");
      if (this.underline) names.push("u");
      if (this.inverse) names.push("inv");
      return names.join(" ");
    }

    key(stream) {
      return this.classes(stream) + "|" + (this.fgRgb || "") + "|" + (this.bgRgb || "");
    }

    // Follow the colour changes in text that is not drawn (dropped from a backlog).
    consume(text) {
      SGR_ONLY.lastIndex = 0;
      let match;
      while ((match = SGR_ONLY.exec(text)) !== null) this.apply(match[1]);
    }
  }

  function xterm256(n) {
    if (n >= 232) {
      const v = 8 + (n - 232) * 10;
      return [v, v, v];
    }
    n -= 16;
    const steps = [0, 95, 135, 175, 215, 255];
    return [steps[Math.floor(n / 36) % 6], steps[Math.floor(n / 6) % 6], steps[n % 6]];
  }

  // The log view: appends output as it comes, a frame's worth of work at a time.

  class LogView {
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
      this.lineNodes = []; // nodes of the line being written, for "\r" (rewrite the line)
      this.last = null; // the node text may be added to, and its style key
      this.lastKey = null;
      this.pendingCR = false;
      this.trimmed = false;
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
        const atBottom = this.el.scrollTop + this.el.clientHeight >= this.el.scrollHeight - 8;
        const byReader = performance.now() - this.userScrollAt < 1000;
        const follow = atBottom || (this.follow && !byReader);
        if (follow !== this.follow) {
          this.follow = follow;
          this.onChange();
        }
      });
    }

    push(stream, text) {
      if (text) this.queue.push({ stream, text });
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
        let text = item.text;
        if (text.length > SLICE_CHARS) {
          let cut = text.lastIndexOf("\n", SLICE_CHARS);
          cut = cut > 0 ? cut + 1 : SLICE_CHARS;
          item.text = text.slice(cut);
          text = text.slice(0, cut);
        } else {
          this.queue.shift();
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
      let lines = 0;
      for (let i = this.queue.length - 1; i >= 0; i--) {
        const text = this.queue[i].text;
        let at = text.length;
        while ((at = text.lastIndexOf("\n", at - 1)) !== -1) {
          if (++lines > MAX_LINES) {
            for (const item of this.queue.slice(0, i)) this.skip(item);
            this.skip({ stream: this.queue[i].stream, text: text.slice(0, at + 1) });
            this.queue[i].text = text.slice(at + 1);
            this.queue.splice(0, i);
            this.clear();
            return;
          }
          if (at === 0) break;
        }
      }
    }

    skip(item) {
      if (item.stream !== "gap") this.styles[item.stream].consume(item.text);
    }

    clear() {
      this.el.textContent = "";
      this.pages = [];
      this.page = null;
      this.pageLines = this.lines = 0;
      this.lineNodes = [];
      this.last = this.lastKey = null;
      this.pendingCR = false;
      this.trimmed = true;
    }

    write(stream, text) {
      if (stream === "gap") {
        if (this.lineNodes.length) this.newline();
        this.add("gap", text.replace(/^\n+|\n+$/g, ""), "gap");
        this.newline();
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
      if (!this.page || (this.pageLines >= PAGE_LINES && !this.lineNodes.length)) this.newPage();
      this.page.appendChild(node);
      this.lineNodes.push(node);
      this.last = growable;
      this.lastKey = growable ? key : null;
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
      if (this.last) this.last.appendData("\n");
      else {
        if (!this.page) this.newPage();
        this.page.appendChild(document.createTextNode("\n"));
      }
      this.lineNodes = [];
      this.last = this.lastKey = null;
      this.pageLines++;
      this.page.lines++;
      this.lines++;
    }

    // "\r" without "\n": the script rewrites its line (progress bars do).
    clearLine() {
      for (const node of this.lineNodes) node.remove();
      this.lineNodes = [];
      this.last = this.lastKey = null;
    }

    // Older lines give way; while the reader is scrolled up, later (they may be reading
    // them), but not without bound.
    trim() {
      const keep = this.follow ? MAX_LINES : MAX_LINES * 4;
      while (this.lines > keep && this.pages.length > 1) {
        const page = this.pages.shift();
        this.lines -= page.lines;
        page.remove();
        this.trimmed = true;
      }
    }

    flush() {
      while (this.queue.length) this.render(Infinity);
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

    get text() {
      this.flush();
      return this.el.textContent;
    }
  }

  // A run's panel: follows the run through its event stream (or by polling) and keeps
  // the badge, progress, timings, actions and log current.

  class RunPanel {
    constructor(root) {
      this.root = root;
      this.id = root.dataset.run;
      this.shortId = this.id.slice(0, 8);
      this.bound = {};
      root.querySelectorAll("[data-bind]").forEach((el) => (this.bound[el.dataset.bind] = el));
      this.typical = parseFloat(root.dataset.typical) || null;
      this.tail = parseInt(root.dataset.tail, 10) || 0;
      this.position = null; // byte offset of the next output; null: not started
      this.startOffset = null;
      this.ended = false;
      this.state = null;
      this.failures = 0;
      this.source = null;
      this.pollTimer = null;
      this.log = new LogView(this.bound.log, () => this.logChanged());
      this.usePolling = !window.EventSource || new URLSearchParams(location.search).get("live") === "poll";
      this.setState(JSON.parse(root.dataset.state), false);
      this.renderedFinished = this.state.finished; // the server drew the page after the end
      this.wireActions();
      this.tick = setInterval(() => this.showTiming(), 1000);
      document.addEventListener("visibilitychange", () => this.visibilityChanged());
      this.start();
    }

    start() {
      if (this.ended) return;
      if (this.usePolling) this.poll();
      else this.connect();
    }

    where(url) {
      const target = new URL(url, location.href);
      if (this.position === null) {
        if (this.tail) target.searchParams.set("tail", this.tail);
      } else {
        target.searchParams.set("offset", this.position);
      }
      return target;
    }

    connect() {
      const source = new EventSource(this.where(this.root.dataset.eventsUrl));
      this.source = source;
      let received = false;
      source.onopen = () => this.showMode("Live");
      source.addEventListener("log", (event) => {
        received = true;
        this.failures = 0;
        this.receiveLog(JSON.parse(event.data));
      });
      source.addEventListener("state", (event) => {
        received = true;
        this.failures = 0;
        this.setState(JSON.parse(event.data), true);
      });
      source.addEventListener("end", (event) => {
        source.close();
        this.source = null;
        this.finish(JSON.parse(event.data));
      });
      source.onerror = () => {
        if (this.ended) return;
        // The browser reconnects by itself, sending the last event id; a stream that
        // keeps failing before it says anything is blocked somewhere: poll instead.
        if (!received) this.failures++;
        if (source.readyState === EventSource.CLOSED || this.failures >= SSE_FAILURES_BEFORE_POLLING) {
          source.close();
          this.source = null;
          this.usePolling = true;
          this.poll();
        } else {
          this.showMode("Reconnecting…");
        }
      };
    }

    async poll() {
      this.pollTimer = null;
      if (this.ended || document.hidden) return;
      let delay = POLL_MS;
      try {
        const response = await fetch(this.where(this.root.dataset.pollUrl), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (response.redirected || !(response.headers.get("Content-Type") || "").includes("json")) {
          this.showMode("Your session has ended: reload the page to sign in again.");
          return; // sent to the sign-in page: asking again will not help
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        const batch = await response.json();
        this.showMode("Live (polling)");
        if (batch.parts.length) {
          this.receiveLog({ offset: batch.offset, next_offset: batch.next_offset, parts: batch.parts });
        }
        if (batch.end) {
          this.finish(batch.state || { gone: true });
          return;
        }
        if (batch.state) this.setState(batch.state, true);
        if (batch.more) delay = 0;
      } catch (error) {
        this.showMode("Connection lost; retrying…");
        delay = POLL_MS * 5;
      }
      this.pollTimer = setTimeout(() => this.poll(), delay);
    }

    receiveLog(data) {
      if (this.position !== null && data.next_offset <= this.position) return; // seen already
      if (this.position === null) {
        this.startOffset = data.offset;
        if (data.offset > 0) this.bound["log-note"].hidden = false;
      }
      this.position = data.next_offset;
      for (const [stream, text] of data.parts) this.log.push(stream, text);
    }

    setState(state, live) {
      const before = this.state;
      this.state = state;
      this.stateAt = performance.now();
      if (state.gone) return;
      const badge = this.bound.status;
      const label = state.cancel_requested && !state.finished ? "Cancelling…" : state.status_display;
      badge.className = "badge " + state.status;
      badge.textContent = label;
      const progress = this.bound.progress;
      if (state.progress === null) {
        progress.removeAttribute("value");
        this.bound.percent.textContent = state.finished ? "—" : "…";
      } else {
        progress.value = state.progress;
        this.bound.percent.textContent = state.progress + " %";
      }
      progress.setAttribute("aria-valuetext", state.progress === null ? "unknown" : state.progress + " %");
      this.bound.message.textContent = state.progress_message || "";
      const cancel = this.root.querySelector('[data-action="cancel"]');
      if (cancel) cancel.hidden = state.finished;
      this.bound["log-size"].textContent = state.log_bytes ? formatBytes(state.log_bytes) : "";
      this.showTiming();
      if (live && before && (before.status !== state.status || before.cancel_requested !== state.cancel_requested)) {
        announce("Run " + this.shortId + ": " + label + (state.finished ? "." : ""));
      }
    }

    finish(state) {
      this.ended = true;
      clearInterval(this.tick);
      if (state.gone) {
        this.showMode("This run has been deleted.");
        return;
      }
      this.setState(state, true);
      this.showMode("");
      if (!this.renderedFinished) this.refreshFacts();
    }

    // The task page's details (return code, memory, ...) are rendered by the server:
    // fetch the page again once the run has ended and take its details section.
    async refreshFacts() {
      const facts = document.querySelector("[data-facts]");
      if (!facts) return;
      try {
        const response = await fetch(location.href, { credentials: "same-origin" });
        if (!response.ok) return;
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.querySelector("[data-facts]");
        if (fresh) facts.replaceChildren(...document.adoptNode(fresh).childNodes);
      } catch (error) {
        // The details stay as they were; the panel above is current.
      }
    }

    showTiming() {
      const state = this.state;
      if (!state || state.gone) return;
      const elapsed = this.bound.elapsed;
      const estimate = this.bound.estimate;
      if (state.elapsed === null) {
        elapsed.textContent = state.finished ? "" : "Waiting to start";
        estimate.textContent = this.typical ? "usually takes " + formatDuration(this.typical) : "";
        return;
      }
      if (state.finished) {
        elapsed.textContent = "Took " + formatDuration(state.elapsed);
        estimate.textContent = "";
        return;
      }
      const seconds = state.elapsed + (performance.now() - this.stateAt) / 1000;
      elapsed.textContent = "Running for " + formatDuration(seconds);
      let left = null;
      if (state.progress !== null && state.progress > 0 && state.progress < 100 && seconds >= 2) {
        left = (seconds * (100 - state.progress)) / state.progress;
      } else if (this.typical) {
        left = this.typical - seconds;
      }
      if (left === null) estimate.textContent = "";
      else if (left > 0) estimate.textContent = "· about " + formatDuration(left) + " left";
      else estimate.textContent = "· taking longer than usual (" + formatDuration(this.typical) + ")";
    }

    showMode(text) {
      this.bound.mode.textContent = text;
    }

    logChanged() {
      this.root.querySelector('[data-action="jump"]').hidden = this.log.follow;
      if (this.log.trimmed) this.bound["log-note"].hidden = false;
    }

    wireActions() {
      const copy = this.root.querySelector('[data-action="copy"]');
      copy.hidden = false;
      copy.addEventListener("click", () => this.copy());
      this.root.querySelector('[data-action="jump"]').addEventListener("click", () => this.log.jumpToEnd());
      const cancel = this.root.querySelector('[data-action="cancel"]');
      if (cancel) {
        cancel.addEventListener("submit", (event) => {
          event.preventDefault();
          this.cancel(cancel);
        });
      }
    }

    async cancel(form) {
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const body = await response.json();
        if (!response.ok) this.note(body.error || "Could not cancel the run.");
        // The stream may have brought the end already; this answer is older than that.
        else if (!this.ended) this.setState(body.state, true);
      } catch (error) {
        this.note("Could not reach the server to cancel the run.");
      } finally {
        button.disabled = false;
      }
    }

    async copy() {
      let text;
      try {
        if (!this.log.trimmed && this.startOffset === 0) {
          text = this.log.text;
        } else {
          const response = await fetch(this.root.querySelector(".log-whole").href, { credentials: "same-origin" });
          if (!response.ok) throw new Error("HTTP " + response.status);
          text = (await response.text()).replace(ESCAPES, (token) => (token === "\r\n" || token === "\n" ? "\n" : token === "\r" ? "\r" : ""));
        }
        await writeClipboard(text);
        const lines = text ? text.split("\n").length - (text.endsWith("\n") ? 1 : 0) : 0;
        this.note("Copied " + lines.toLocaleString() + " line" + (lines === 1 ? "" : "s") + ".");
      } catch (error) {
        this.note("Could not copy the log: " + error.message);
      }
    }

    note(text) {
      this.bound["action-note"].textContent = text;
    }

    // A background tab gives its connection back (browsers allow few per server) and
    // resumes from its offset when it is shown again.
    visibilityChanged() {
      if (document.hidden) {
        this.hiddenTimer = setTimeout(() => {
          if (this.source) {
            this.source.close();
            this.source = null;
            this.showMode("Paused in the background");
          }
        }, HIDDEN_CLOSE_MS);
        return;
      }
      clearTimeout(this.hiddenTimer);
      if (this.ended) return;
      if (this.usePolling && this.pollTimer === null) this.poll();
      else if (!this.usePolling && this.source === null) this.connect();
    }
  }

  async function writeClipboard(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "clipboard-helper";
    document.body.appendChild(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    if (!done) throw new Error("the browser refused");
  }

  // Tables of runs: rows of active runs follow them until they end.

  function followRows(table) {
    const url = table.dataset.statesUrl;
    async function tick() {
      const rows = table.querySelectorAll("tr[data-active]");
      if (!rows.length) return;
      if (!document.hidden) {
        const query = new URLSearchParams();
        rows.forEach((row) => query.append("id", row.dataset.task));
        try {
          const response = await fetch(url + "?" + query, {
            headers: { Accept: "application/json" },
            credentials: "same-origin",
          });
          if (response.ok) {
            const states = (await response.json()).tasks;
            rows.forEach((row) => updateRow(row, states[row.dataset.task]));
          }
        } catch (error) {
          // Try again at the next tick.
        }
      }
      setTimeout(tick, ROWS_POLL_MS);
    }
    setTimeout(tick, ROWS_POLL_MS);
  }

  function updateRow(row, state) {
    if (!state) return;
    const badge = row.querySelector('[data-cell="status"]');
    if (badge.textContent !== state.status_display) {
      badge.className = "badge " + state.status;
      badge.textContent = state.status_display;
      if (state.finished) announce("Run " + state.id.slice(0, 8) + ": " + state.status_display + ".");
    }
    row.querySelector('[data-cell="progress"]').textContent = state.progress === null ? "—" : state.progress + " %";
    row.querySelector('[data-cell="duration"]').textContent = formatDuration(state.elapsed);
    if (state.finished) row.removeAttribute("data-active");
  }

  // Filter forms leave empty fields out of the URL, so a bookmarked view reads plainly.
  function tidyFilters(form) {
    form.addEventListener("submit", () => {
      for (const field of form.elements) {
        if (field.name && field.value === "" && !field.disabled) field.disabled = true;
      }
      setTimeout(() => {
        for (const field of form.elements) field.disabled = false;
      });
    });
  }

  function init() {
    document.querySelectorAll("[data-run]").forEach((root) => new RunPanel(root));
    document.querySelectorAll("table[data-live-rows]").forEach(followRows);
    document.querySelectorAll("form.filters").forEach(tidyFilters);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
