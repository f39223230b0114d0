// The note a live log shows where the page skipped ahead: during a flood the server
// sends a page that fell more than a screenful behind the latest lines instead of all
// of them (tasks/web/stream.py, `skip`), led by a "skip" part that carries the number of
// the line it goes on at and the colours in force there. The note says how many lines
// were skipped and is a button that opens them (log_window.js sets view.openSkipped).
// Skips that follow one another in one flood make one note: what was drawn after the
// note gives way to the next skip's lines, unless the reader scrolled away from the end.
// Needs log_view.js and format.js.
"use strict";

(function (Executor) {
  const MERGE_LINES = Executor.LOG_MAX_LINES / 2; // drawn after a note: still one flood
  const ANNOUNCE_EVERY_MS = 10000;

  let announcedAt = -Infinity;

  // Draw the note for a skip part (`item`: {line, styles}) at the end of `view`.
  function drawSkip(view, item) {
    if (view.line) view.newline(); // the rest of that line was skipped
    const last = view.skipNote;
    const next = item.line || view.lineNo;
    if (last && last.isConnected && view.follow && view.lineNo - last.next <= MERGE_LINES) {
      cutAfter(view, last);
      last.next = next;
    } else {
      view.skipNote = note(view, view.lineNo, next);
      announceOnce();
    }
    describe(view.skipNote);
    view.lineNo = next;
    if (view.restyle) view.restyle(item.styles);
  }

  // A line of its own without a number, holding the button.
  function note(view, from, next) {
    view.startLine();
    const line = view.line;
    line.classList.add("skip-note");
    line.removeAttribute("id");
    line.dataset.n = "";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link skipped";
    button.addEventListener("click", () => {
      if (view.openSkipped) view.openSkipped(line.from);
    });
    line.appendChild(button);
    line.from = from;
    line.next = next;
    view.newline();
    return line;
  }

  function describe(line) {
    const count = Math.max(0, line.next - line.from);
    const lines = count === 1 ? "1 line" : count.toLocaleString() + " lines";
    line.firstChild.textContent = "… " + lines + " skipped to keep up with the output: show them";
  }

  // Lines drawn after `line` give way (the next skip's lines follow it instead).
  function cutAfter(view, line) {
    const page = line.parentNode;
    while (line.nextSibling) line.nextSibling.remove();
    for (const later of view.pages.splice(view.pages.indexOf(page) + 1)) later.remove();
    page.classList.remove("full");
    page.lines = page.querySelectorAll(".line").length;
    view.page = page;
    view.pageLines = page.lines;
    view.lines = view.pages.reduce((sum, each) => sum + each.lines, 0);
    view.line = null;
    view.last = view.lastKey = null;
    view.pendingCR = false;
    for (const hook of view.hooks) hook.reset();
  }

  // The note's button: the skipped lines from the first, held away from the live end
  // (the "New output below" button goes back). The note is gone with the lines it was
  // among, so the reader is taken to the log itself, at that line.
  async function openSkipped(logWindow, number) {
    const shown = await logWindow.showLine(number);
    const line = document.getElementById("L" + number);
    if (!shown || !line) return;
    logWindow.view.el.focus({ preventScroll: true });
    logWindow.view.reveal(line);
    if (Executor.announce) Executor.announce("Showing the skipped lines from line " + number.toLocaleString() + ".");
  }

  // Said once per flood, politely (the note itself is in the log, which is not live).
  function announceOnce() {
    const now = performance.now();
    if (now - announcedAt < ANNOUNCE_EVERY_MS) return;
    announcedAt = now;
    if (Executor.announce) {
      Executor.announce("The output comes faster than the page shows it: skipped ahead to the latest lines.");
    }
  }

  Executor.drawSkip = drawSkip;
  Executor.openSkipped = openSkipped;
})((window.Executor = window.Executor || {}));
