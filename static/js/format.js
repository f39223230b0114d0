// What every live part shares: the screen reader announcer and the way durations and
// sizes read. Loaded first by every page with live parts (window.Executor holds them).
"use strict";

(function (Executor) {
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

  // A line's arrival time, in the reader's time zone: 14:03:07.250.
  const clock = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    fractionalSecondDigits: 3,
    hour12: false,
  });
  let lastStamp = null;
  let lastText = "";

  function clockTime(ms) {
    if (ms !== lastStamp) {
      lastStamp = ms;
      lastText = clock.format(new Date(ms));
    }
    return lastText;
  }

  Executor.announce = announce;
  Executor.clockTime = clockTime;
  Executor.formatDuration = formatDuration;
  Executor.formatBytes = formatBytes;
})((window.Executor = window.Executor || {}));
