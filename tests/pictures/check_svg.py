#!/usr/bin/env python3
"""Checks the rendered pictures of one scenario run (tests/pictures/check.sh).

  check_svg.py LOG GRAPH.svg TIMELINE.svg [TIMELINE-p2.svg ...]

Each SVG, fitted to a 16:9 slide 1920 x 1080 pixels, must show its smallest
text at 12 pt or more (16 px at 96 dpi). The graph: no "(no trap)" labels,
no red no-trap arrow into the VMM, and its "VM exits xN" equals the sum of
the summaries' "vmm: VM exits N" in LOG (when LOG has a summary); under VT-x
the counts on the arrows into the hypervisor add up to "VM exits (VMX) N". The timeline, when it shows the run's
end: its last page holds the last word of the stop line (the note is whole). One line per failure; status 1
when any."""
import html
import re
import sys

SLIDE_W, SLIDE_H, MIN_PX = 1920, 1080, 16.0   # 12 pt at 96 dpi


def load(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def geometry(svg):
    w = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    h = float(re.search(r'height="([\d.]+)pt"', svg).group(1))
    vb = [float(x) for x in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]
    return w, h, w / vb[2] if vb[2] else 1.0


def texts(svg):
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def check_fit(path, svg, fails):
    w, h, scale = geometry(svg)
    fonts = [float(x) for x in re.findall(r'font-size="([\d.]+)"', svg)]
    if not fonts:
        fails.append(f"{path}: no text")
        return
    px_per_pt = 96.0 / 72.0
    fit = min(SLIDE_W / (w * px_per_pt), SLIDE_H / (h * px_per_pt))
    smallest = min(fonts) * scale * px_per_pt * fit
    if smallest < MIN_PX:
        fails.append(f"{path}: {w:.0f}x{h:.0f} pt fitted to {SLIDE_W}x{SLIDE_H} px shows its smallest text "
                     f"at {smallest:.1f} px (< {MIN_PX:.0f} px = 12 pt)")
    if h > w:
        fails.append(f"{path}: {w:.0f}x{h:.0f} pt is portrait, not for a 16:9 slide")


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip().splitlines()[2])
        return 2
    log, graph_path, pages = argv[1], argv[2], argv[3:]
    fails = []
    graph = load(graph_path)
    check_fit(graph_path, graph, fails)
    words = " ".join(texts(graph))
    if "(no trap)" in words:
        fails.append(f"{graph_path}: an ambiguous '(no trap)' label")
    for title, body in re.findall(r'<g id="edge\d+" class="edge">\s*<title>([^<]*)</title>(.*?)</g>', graph, re.S):
        ends = html.unescape(title).split("->")
        if 'stroke="red"' in body and "vmm" in (e.strip() for e in ends):
            fails.append(f"{graph_path}: a red no-trap arrow touches the VMM ({html.unescape(title)})")
    text_log = load(log)
    summary = [int(n) for n in re.findall(r"vmm: VM exits\s+(\d+)", text_log)]
    drawn = re.findall(r"VM exits x(\d+)", words)
    # runs cut by a snapshot or a migration print no summary: nothing to compare
    if (summary or drawn) and "trapsim: summary" in text_log:
        # no exit at all (a translator's run): the graph names none
        if ([str(sum(summary))] if sum(summary) else []) != drawn:
            fails.append(f"{graph_path}: the graph says VM exits x{','.join(drawn) or '-'}, "
                         f"the summary {sum(summary)}")
    # under VT-x: the solid arrows into the hypervisor are its VM exits
    vmx_summary = [int(n) for n in re.findall(r"VM exits \(VMX\)\s+(\d+)", text_log)]
    if "VMX root operation" in words and vmx_summary:
        exits = 0
        for title, body in re.findall(r'<g id="edge\d+" class="edge">\s*<title>([^<]*)</title>(.*?)</g>', graph, re.S):
            head = html.unescape(title).split("->")[-1].strip()
            if head == "vmm" and "stroke-dasharray" not in body and 'stroke="transparent"' not in body:
                exits += sum(int(n) for n in re.findall(r" x(\d+)</text>", body))
        if exits != sum(vmx_summary):
            fails.append(f"{graph_path}: the graph's VM exits into the hypervisor add up to {exits}, "
                         f"the summary's VM exits (VMX) {sum(vmx_summary)}")
    for p in pages:
        check_fit(p, load(p), fails)
    stops = [l for l in text_log.splitlines() if re.match(r"^\d{10} r\d stop ", l)]
    if stops and "the last steps before the run ended" in " ".join(texts(load(pages[0]))):
        last_word = stops[-1].split()[-1]
        if last_word not in " ".join(texts(load(pages[-1]))):
            fails.append(f"{pages[-1]}: the stop note is cut: '{last_word}' missing")
    for f in fails:
        print("FAIL " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
