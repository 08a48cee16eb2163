#!/usr/bin/env python3
"""make_site.py OUT_DIR [FILES] [TOTAL_MIB] — writes a deterministic, realistic static site.

The same arguments always give the same bytes (a seeded generator, fixed mtimes), so runs on
different days deploy the same site. About 99% of the files are HTML, CSS and JS pages of
1-30 KiB built from a made-up vocabulary (they compress about like real pages do); the rest
are "images" of 100 KiB-2 MiB of random bytes behind a PNG or JPEG signature (incompressible,
like real ones), sized so that the whole site is TOTAL_MIB. Every file starts with its own
path, so no two files have the same content (a content-addressed store cannot deduplicate
them). Prints "FILES BYTES" of what it wrote.
"""
import math
import os
import random
import sys

KIB = 1024
MIB = 1024 * KIB
IMAGE_SHARE = 0.012  # 60 of 5,000 files
MTIME = 1_700_000_000  # fixed, so the archive is the same every time

rng = random.Random(20240611)


def vocabulary(count):
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ven", "dar", "el", "is",
                 "tor", "ga", "qu", "ber", "son", "lin", "fa", "zo", "ux", "ard", "mon", "pre"]
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    return sorted(words)


WORDS = vocabulary(3000)


def sentence():
    words = [rng.choice(WORDS) for _ in range(rng.randint(5, 18))]
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "?", "!"])


def html_corpus(size):
    parts, length = [], 0
    while length < size:
        kind = rng.random()
        if kind < 0.6:
            block = "<p>" + " ".join(sentence() for _ in range(rng.randint(2, 6))) + "</p>\n"
        elif kind < 0.75:
            block = f"<h2 id=\"{rng.choice(WORDS)}\">{sentence()}</h2>\n"
        elif kind < 0.9:
            items = "".join(f"  <li><a href=\"/{rng.choice(WORDS)}/{rng.choice(WORDS)}.html\">"
                            f"{rng.choice(WORDS)} {rng.choice(WORDS)}</a></li>\n"
                            for _ in range(rng.randint(3, 8)))
            block = f"<ul class=\"nav-{rng.choice(WORDS)}\">\n{items}</ul>\n"
        else:
            block = (f"<div class=\"card {rng.choice(WORDS)}\"><img src=\"/images/{rng.choice(WORDS)}.png\" "
                     f"alt=\"{sentence()}\" width=\"{rng.randint(100, 900)}\" height=\"{rng.randint(100, 600)}\">"
                     f"<span>{sentence()}</span></div>\n")
        parts.append(block)
        length += len(block)
    return "".join(parts)


def css_corpus(size):
    properties = ["margin", "padding", "color", "background", "border", "font-size", "line-height",
                  "display", "width", "max-width", "grid-template-columns", "transition", "opacity"]
    values = ["0", "auto", "1rem", "0.5rem 1rem", "#1e293b", "#f8fafc", "1px solid #cbd5e1", "flex",
              "grid", "100%", "960px", "repeat(3, 1fr)", "opacity 0.2s ease-in", "1.5", "0.8"]
    parts, length = [], 0
    while length < size:
        selector = f".{rng.choice(WORDS)}-{rng.choice(WORDS)}" + rng.choice(["", " > a", ":hover", " li", "::before"])
        body = "".join(f"  {rng.choice(properties)}: {rng.choice(values)};\n" for _ in range(rng.randint(2, 7)))
        block = f"{selector} {{\n{body}}}\n"
        parts.append(block)
        length += len(block)
    return "".join(parts)


def js_corpus(size):
    parts, length = [], 0
    while length < size:
        name = rng.choice(WORDS)
        args = ", ".join(rng.sample(WORDS, rng.randint(0, 3)))
        lines = []
        for _ in range(rng.randint(3, 10)):
            a, b = rng.choice(WORDS), rng.choice(WORDS)
            lines.append(rng.choice([
                f"  const {a} = {b}.{rng.choice(WORDS)}({rng.randint(0, 999)});",
                f"  if ({a} !== undefined && {a}.length > {rng.randint(1, 64)}) return {b};",
                f"  document.querySelector('.{a}').classList.toggle('{b}');",
                f"  // {sentence()}",
                f"  for (let i = 0; i < {a}.length; i++) {{ {b}.push({a}[i] * {rng.randint(2, 9)}); }}",
            ]))
        block = f"export function {name}({args}) {{\n" + "\n".join(lines) + "\n}\n\n"
        parts.append(block)
        length += len(block)
    return "".join(parts)


def wrapping(kind, path):
    """The start (naming the file) and the end of a text file of KIND."""
    if kind == "html":
        return (f"<!doctype html>\n<!-- {path} -->\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{sentence()}</title>\n<link rel=\"stylesheet\" href=\"/assets/css/site.css\">"
                f"<script type=\"module\" src=\"/assets/js/site.js\"></script></head>\n<body>\n",
                "</body></html>\n")
    return ("/* {} */\n" if kind == "css" else "// {}\n").format(path), ""


def main():
    out = sys.argv[1]
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    total = int(float(sys.argv[3]) * MIB) if len(sys.argv) > 3 else 100 * MIB

    corpora = {"html": html_corpus(2 * MIB), "css": css_corpus(MIB), "js": js_corpus(2 * MIB)}
    images = max(1, round(files * IMAGE_SHARE))
    texts = files - images

    # Folders like a documentation site: /docs/<section>/<topic>/page.html, /assets/..., /images/...
    sections = [f"docs/{rng.choice(WORDS)}-{i}" for i in range(40)]
    entries = []  # (path, kind, size)
    for i in range(texts):
        kind = rng.choices(["html", "css", "js"], weights=[70, 12, 18])[0] if i else "html"
        size = rng.randint(1 * KIB, 30 * KIB)
        if i == 0:
            path = "index.html"
        elif kind == "html":
            path = f"{rng.choice(sections)}/{rng.choice(WORDS)}-{i}.html"
        else:
            path = f"assets/{kind}/{rng.choice(WORDS)}-{i}.{kind}"
        entries.append((path, kind, size))

    # Images share what is left of the total: log-uniform weights, scaled, clamped to the range.
    budget = max(0, total - sum(size for _, _, size in entries))
    weights = [math.exp(rng.uniform(math.log(100 * KIB), math.log(2 * MIB))) for _ in range(images)]
    scale = budget / sum(weights)
    for i, weight in enumerate(weights):
        size = int(min(2 * MIB, max(100 * KIB, weight * scale)))
        extension = rng.choice(["png", "jpg"])
        entries.append((f"images/{rng.choice(WORDS)}-{i}.{extension}", extension, size))

    written = 0
    for path, kind, size in entries:
        full = os.path.join(out, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if kind in corpora:
            head, tail = wrapping(kind, path)
            corpus = corpora[kind]
            length = size - len(head) - len(tail)
            start = rng.randrange(0, len(corpus) - length)
            data = (head + corpus[start:start + length] + tail).encode()
        else:
            signature = b"\x89PNG\r\n\x1a\n" if kind == "png" else b"\xff\xd8\xff\xe0"
            data = signature + path.encode() + b"\0" + rng.randbytes(size - len(signature) - len(path) - 1)
        with open(full, "wb") as f:
            f.write(data)
        os.utime(full, (MTIME, MTIME))
        written += len(data)
    for folder, _, _ in os.walk(out):
        os.utime(folder, (MTIME, MTIME))
    print(len(entries), written)


if __name__ == "__main__":
    main()
