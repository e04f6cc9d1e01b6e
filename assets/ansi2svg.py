#!/usr/bin/env python3
"""Turn a `tmux capture-pane -e -p` capture (text with SGR colour codes) into an SVG.

    python3 assets/ansi2svg.py in.ansi out.svg [--cols 80 --rows 24] [--title TEXT]

Only what tmux emits is handled: SGR 0/1/2/3/4/7/9 and their resets, the 16 basic
colours (30-37, 90-97, 40-47, 100-107), 256 colours (38;5;n / 48;5;n) and truecolour
(38;2;r;g;b). Each cell sits on a fixed grid so braille charts and box drawing line up
whatever font the viewer picks.
"""
import argparse
import html
import re

# xterm's default palette, which is what most terminals ship.
BASIC = [
    "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
    "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
]
FG, BG = "#d0d0d0", "#1c1c1c"
CELL_W, CELL_H, FONT = 8.4, 17, 14


def color256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (level, level, level)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = self.strike = False

    def key(self):
        return (self.fg, self.bg, self.bold, self.dim, self.italic, self.underline, self.reverse, self.strike)

    def apply(self, params):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 3:
                self.italic = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 9:
                self.strike = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif c == 29:
                self.strike = False
            elif 30 <= c <= 37:
                self.fg = BASIC[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASIC[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = BASIC[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASIC[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    value = color256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    value = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    value = None
                if c == 38:
                    self.fg = value
                else:
                    self.bg = value
            i += 1

    def colors(self):
        fg, bg = self.fg or FG, self.bg
        if self.reverse:
            fg, bg = (self.bg or BG), (self.fg or FG)
        return fg, bg


SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER_ESC = re.compile(r"\x1b(\[[0-9;?]*[A-Za-ln-z]|\][^\x07]*\x07|[()][0-9A-Za-z])")


def parse(text, cols, rows):
    """A grid of (char, style key) cells."""
    grid = [[(" ", Style().key()) for _ in range(cols)] for _ in range(rows)]
    style = Style()
    for y, line in enumerate(text.split("\n")[:rows]):
        line = OTHER_ESC.sub("", line)
        x = 0
        pos = 0
        for m in SGR.finditer(line):
            for ch in line[pos:m.start()]:
                if x < cols:
                    grid[y][x] = (ch, style.key())
                x += 1
            style.apply(m.group(1))
            pos = m.end()
        for ch in line[pos:]:
            if x < cols:
                grid[y][x] = (ch, style.key())
            x += 1
    return grid


def render(grid, cols, rows, title):
    bar = 26 if title else 0
    width, height = cols * CELL_W + 20, rows * CELL_H + 20 + bar
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
        f'viewBox="0 0 {width:.0f} {height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" '
        f'font-size="{FONT}">',
        f'<rect width="100%" height="100%" rx="8" fill="{BG}"/>',
    ]
    if title:
        out.append(f'<text x="{width / 2:.0f}" y="18" fill="#9a9a9a" text-anchor="middle">{html.escape(title)}</text>')
    s = Style()
    for y, row in enumerate(grid):
        top = 10 + bar + y * CELL_H
        x = 0
        while x < cols:
            key = row[x][1]
            end = x
            while end < cols and row[end][1] == key:
                end += 1
            s.fg, s.bg, s.bold, s.dim, s.italic, s.underline, s.reverse, s.strike = key
            fg, bg = s.colors()
            left = 10 + x * CELL_W
            if bg:
                out.append(f'<rect x="{left:.1f}" y="{top}" width="{(end - x) * CELL_W:.1f}" height="{CELL_H}" fill="{bg}"/>')
            # One <text> per cell keeps the grid exact; runs of spaces are skipped.
            attrs = f'fill="{fg}"'
            if s.bold:
                attrs += ' font-weight="bold"'
            if s.dim:
                attrs += ' opacity="0.6"'
            deco = [d for d, on in (("underline", s.underline), ("line-through", s.strike)) if on]
            if deco:
                attrs += f' text-decoration="{" ".join(deco)}"'
            cells = []
            for cx in range(x, end):
                ch = row[cx][0]
                if ch != " ":
                    cells.append(f'<tspan x="{10 + cx * CELL_W:.1f}">{html.escape(ch)}</tspan>')
            if cells:
                out.append(f'<text y="{top + CELL_H - 4}" {attrs}>{"".join(cells)}</text>')
            x = end
    out.append("</svg>")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--rows", type=int, default=24)
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    with open(a.input, encoding="utf-8", errors="replace") as f:
        text = f.read()
    grid = parse(text, a.cols, a.rows)
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(render(grid, a.cols, a.rows, a.title))


if __name__ == "__main__":
    main()
