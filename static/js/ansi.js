// ANSI colours: SGR sequences become classes; every other escape sequence is dropped.
// AnsiStyle is the state of one stream's colours; ESCAPES finds every sequence and line end.
"use strict";

(function (Executor) {
  const ESCAPES = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\r\n|\r|\n/g;
  const SGR_ONLY = /\x1b\[([0-9;:]*)m/g;

  class AnsiStyle {
    constructor() {
      this.reset();
    }

    // The state the server says is in force where a window starts ("1;31": the codes
    // since the stream's last reset; tasks/history/log_styles.py).
    static at(params) {
      const style = new AnsiStyle();
      if (params) style.apply(params);
      return style;
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

  Executor.ESCAPES = ESCAPES;
  Executor.AnsiStyle = AnsiStyle;
})((window.Executor = window.Executor || {}));
