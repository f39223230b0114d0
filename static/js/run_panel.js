// A run's panel: follows the run through its event stream (or by polling) and keeps
// the badge, progress, timings, actions and log current. Needs format.js, ansi.js,
// log_view.js and log_held.js; starts every [data-run] element on the page.
"use strict";

(function (Executor) {
  const { announce, formatDuration, formatBytes, ESCAPES, LogView } = Executor;

  const POLL_MS = 1000;
  const HIDDEN_CLOSE_MS = 15000; // a background tab gives its connection back after this
  const SSE_FAILURES_BEFORE_POLLING = 3;

  class RunPanel {
    constructor(root) {
      this.root = root;
      this.id = root.dataset.run;
      this.shortId = this.id.slice(0, 8);
      this.bound = {};
      root.querySelectorAll("[data-bind]").forEach((el) => (this.bound[el.dataset.bind] = el));
      this.typical = parseFloat(root.dataset.typical) || null;
      this.typicalBasis = root.dataset.typicalBasis ? " " + root.dataset.typicalBasis : ""; // "with these parameters"
      this.tail = parseInt(root.dataset.tail, 10) || 0;
      this.position = null; // byte offset of the next output; null: not started
      this.startOffset = null;
      this.ended = false;
      this.state = null;
      this.failures = 0;
      this.source = null;
      this.pollTimer = null;
      this.log = new LogView(this.bound.log, () => this.logChanged());
      // A window on logs longer than the page holds (log_window.js), then line links,
      // groups, search, times and wrapping (log_tools.js), where the page loads them.
      this.window = Executor.LogWindow ? new Executor.LogWindow(this) : null;
      this.links = Executor.attachLogTools ? Executor.attachLogTools(this.log, root, this.window) : null;
      this.usePolling = !window.EventSource || new URLSearchParams(location.search).get("live") === "poll";
      this.setState(JSON.parse(root.dataset.state), false);
      this.renderedFinished = this.state.finished; // the server drew the page after the end
      this.wireActions();
      if (Executor.notifyEnd && !this.state.finished) Executor.notifyEnd.wire(this);
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
      // A page that starts at the tail is first told the colours in force there.
      source.addEventListener("styles", (event) => this.log.restyle(JSON.parse(event.data)));
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
        if (batch.styles) this.log.restyle(batch.styles);
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
      document.querySelectorAll('[data-facts] [data-live="log-size"]').forEach((size) => {
        size.textContent = formatBytes(data.next_offset);
      });
      if (this.log.detached) return; // the reader holds a window elsewhere in the log
      for (const part of data.parts) this.log.push(...part); // [stream, text, at, line, styles]
    }

    // Follow the live output again from `offset`, the end of the window just shown.
    resumeAt(offset) {
      this.position = offset;
      this.log.detached = false;
      if (this.ended) return;
      if (this.source) {
        this.source.close();
        this.source = null;
        this.connect();
      }
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
      this.root.dataset.status = state.status; // the progress bar turns red on a failure
      if (Executor.showTabStatus) Executor.showTabStatus(state, label);
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
      // A finished run that never told its progress has no bar to show.
      this.bound["progress-row"].hidden = state.finished && state.progress === null;
      this.root.toggleAttribute("data-finished", state.finished);
      const cancel = this.root.querySelector('[data-action="cancel"]');
      if (cancel) cancel.hidden = state.finished;
      this.bound["log-size"].textContent = state.log_bytes ? formatBytes(state.log_bytes) : "";
      // The details below the panel are the server's, drawn at load: draw them again
      // when the run starts (status, started, worker); receiveLog keeps their log size.
      if (live && before && before.status !== state.status && !state.finished) this.refreshFacts();
      this.showTiming();
      if (live && before && !before.finished && state.finished && Executor.notifyEnd) {
        Executor.notifyEnd.ended(this, state, label);
      }
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

    // The task page's details and failure summary are rendered by the server: fetch the
    // page again once the run has ended and take each [data-facts] part of it.
    async refreshFacts() {
      const parts = document.querySelectorAll("[data-facts]");
      if (!parts.length) return;
      try {
        const response = await fetch(location.href, { credentials: "same-origin" });
        if (!response.ok) return;
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        for (const part of parts) {
          const fresh = page.querySelector('[data-facts="' + part.dataset.facts + '"]');
          if (fresh) part.replaceChildren(...document.adoptNode(fresh).childNodes);
        }
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
        estimate.textContent = this.typical ? "usually takes " + formatDuration(this.typical) + this.typicalBasis : "";
        return;
      }
      if (state.finished) {
        elapsed.textContent = "Took " + formatDuration(state.elapsed);
        estimate.textContent = "";
        return;
      }
      const seconds = state.elapsed + (performance.now() - this.stateAt) / 1000;
      elapsed.textContent = "Running for " + formatDuration(seconds);
      const fromProgress = state.progress !== null && state.progress > 0 && state.progress < 100 && seconds >= 2;
      const usual = this.typical ? formatDuration(this.typical) + this.typicalBasis : "";
      let left = null;
      if (fromProgress) left = (seconds * (100 - state.progress)) / state.progress;
      else if (this.typical) left = this.typical - seconds;
      if (left === null) estimate.textContent = "";
      else if (left > 0) {
        estimate.textContent = "· about " + formatDuration(left) + " left" + (fromProgress ? " (from its progress)" : " (usually " + usual + ")");
      } else estimate.textContent = "· taking longer than usual (" + usual + ")";
    }

    showMode(text) {
      this.bound.mode.textContent = text;
    }

    logChanged() {
      if (this.links) this.links.drawn();
      this.root.querySelector('[data-action="jump"]').hidden = this.log.follow && !this.log.detached;
      if (this.window) this.window.showPosition();
      if (this.log.trimmed) this.bound["log-note"].hidden = false;
    }

    wireActions() {
      const copy = this.root.querySelector('[data-action="copy"]');
      copy.hidden = false;
      copy.addEventListener("click", () => this.copy());
      this.root.querySelector('[data-action="jump"]').addEventListener("click", () => {
        if (this.log.detached && this.window) this.window.toEnd();
        else this.log.jumpToEnd();
      });
      const cancel = this.root.querySelector('[data-action="cancel"]');
      if (cancel) this.wireCancel(cancel);
    }

    // Cancel asks first, in the page (a confirm() dialog is what a phone or a CSP mishandles):
    // "Yes" cancels; "Keep it running", Escape or a second click on Cancel dismiss the question.
    wireCancel(form) {
      const ask = this.bound["cancel-ask"];
      const question = this.bound["cancel-confirm"];
      const asking = (open) => {
        question.hidden = !open;
        ask.setAttribute("aria-expanded", String(open));
        if (open) question.querySelector('[data-action="cancel-yes"]').focus();
      };
      asking(false);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        asking(question.hidden);
      });
      question.querySelector('[data-action="cancel-yes"]').addEventListener("click", () => {
        asking(false);
        ask.focus();
        this.cancel(form);
      });
      question.querySelector('[data-action="cancel-no"]').addEventListener("click", () => {
        asking(false);
        ask.focus();
      });
      form.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && !question.hidden) {
          event.preventDefault();
          asking(false);
          ask.focus();
        }
      });
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

  function init() {
    document.querySelectorAll("[data-run]").forEach((root) => new RunPanel(root));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  Executor.RunPanel = RunPanel;
})((window.Executor = window.Executor || {}));
