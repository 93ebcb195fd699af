"""Draw a `Value`'s computational graph with matplotlib alone (no graphviz).

    inputs ──▶ (op) ──▶ output,   one box per Value: `label | data … | grad …`

Layout by layers: a node's column is its depth, the longest path from the leaves, so an
operation sits after all its inputs; then each node moves on as far as its uses allow, so a
leaf or a constant sits just before its first use. An edge spanning several columns runs
through a lane reserved in each, so it never cuts a box. Within a column the order reduces
edge crossings (barycentre sweeps, then swaps); positions line each node up with its
neighbours by least squares, with a fixed gap between boxes. Sizes are in inches.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from backprop_ref.autograd import Value, topological_order

_FONT, _OP_FONT = 9.0, 9.0               # points; monospaced, so text widths are known
_CHAR = 0.602 / 72                       # inches per character per point (DejaVu Sans Mono)
_PAD_ALONG, _PAD_ACROSS = 0.10, 0.08     # inches inside a box
_GAP_RANK, _GAP_POS = 0.45, 0.22         # inches between columns, between boxes in one
_MARGIN, _MAX_INCHES = 0.12, 40.0
_STYLE = {"leaf": ("#fbf3e4", "#b08a3e"), "value": ("#eaf1fb", "#4a6fa5"),
          "op": ("#fde9e7", "#c0504d"), "edge": "#555555"}

Vertex = tuple  # ("v", Value) | ("op", Value) | ("dummy", edge_number, rank)


def _fmt(x: float) -> str:
    x = x + 0.0  # -0.0 prints as 0.0000
    return f"{x:.4f}" if x == 0 or 1e-4 <= abs(x) < 1e5 else f"{x:.3e}"


def box_text(v: Value) -> str:
    """A Value's box: `label | data 2.0000 | grad -3.0000` (no label field if unlabelled)."""
    fields = ([v.label] if v.label else []) + [f"data {_fmt(v.data)}", f"grad {_fmt(v.grad)}"]
    return " | ".join(fields)


def _layers(root: Value) -> tuple[list[list[Vertex]], list[tuple[list[Vertex], int]]]:
    """Vertices by column; each edge as a chain of one-column steps, with its multiplicity."""
    values = topological_order(root)
    edges: dict[tuple[Vertex, Vertex], int] = {}  # `a + a` is one edge of multiplicity 2
    rank: dict[Vertex, int] = {}
    for v in values:  # inputs before outputs: longest path from the leaves
        if v._op:
            for child in v._prev:
                key = (("v", child), ("op", v))
                edges[key] = edges.get(key, 0) + 1
            edges[(("op", v), ("v", v))] = 1
            rank[("op", v)] = max(rank[("v", c)] for c in v._prev) + 1
            rank[("v", v)] = rank[("op", v)] + 1
        else:
            rank[("v", v)] = 0
    succs: dict[Vertex, list[Vertex]] = defaultdict(list)
    for s, t in edges:
        succs[s].append(t)
    for v in reversed(values):  # then as late as the uses allow: each node beside its use
        for vertex in [("v", v)] + ([("op", v)] if v._op else []):
            if succs[vertex]:
                rank[vertex] = min(rank[t] for t in succs[vertex]) - 1
    layers: list[list[Vertex]] = [[] for _ in range(max(rank.values()) + 1)]
    for v in values:
        for vertex in ([("op", v)] if v._op else []) + [("v", v)]:
            layers[rank[vertex]].append(vertex)
    chains = []
    for number, ((s, t), mult) in enumerate(edges.items()):
        dummies = [("dummy", number, r) for r in range(rank[s] + 1, rank[t])]
        for d in dummies:
            layers[d[2]].append(d)
        chains.append(([s, *dummies, t], mult))
    return layers, chains


def _order(layers: list[list[Vertex]], steps: list[tuple[Vertex, Vertex]]) -> None:
    """Reorder each column in place to reduce crossings: barycentre sweeps, then swaps."""
    preds, succs = defaultdict(list), defaultdict(list)
    for a, b in steps:
        succs[a].append(b)
        preds[b].append(a)
    column = {n: r for r, layer in enumerate(layers) for n in layer}

    def crossings(sources: range) -> int:  # of the steps leaving these columns
        index = {n: i for layer in layers[sources.start:sources.stop + 1]
                 for i, n in enumerate(layer)}
        pairs = defaultdict(list)
        for a, b in steps:
            if column[a] in sources:
                pairs[column[a]].append((index[a], index[b]))
        return sum((p[0] - q[0]) * (p[1] - q[1]) < 0
                   for ps in pairs.values() for i, p in enumerate(ps) for q in ps[i + 1:])

    everything = range(len(layers))
    best, best_count = [list(layer) for layer in layers], crossings(everything)
    for sweep in range(8):
        down = sweep % 2 == 0
        for r in (range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)):
            near = {n: i for i, n in enumerate(layers[r - 1 if down else r + 1])}

            def key(item: tuple[int, Vertex]) -> float:
                nbrs = [near[m] for m in (preds if down else succs)[item[1]]]
                return sum(nbrs) / len(nbrs) if nbrs else item[0]
            layers[r] = [n for _, n in sorted(enumerate(layers[r]), key=key)]
        count = crossings(everything)
        if count < best_count:
            best, best_count = [list(layer) for layer in layers], count
    layers[:] = best
    if len(steps) > 300:  # the swaps below cost O(steps²) per try: small graphs only
        return
    improved = True
    while improved:  # swap neighbours in a column while that removes crossings
        improved = False
        for r, layer in enumerate(layers):
            near = range(max(r - 1, 0), r + 1)
            for i in range(len(layer) - 1):
                before = crossings(near)
                layer[i], layer[i + 1] = layer[i + 1], layer[i]
                if crossings(near) < before:
                    improved = True
                else:
                    layer[i], layer[i + 1] = layer[i + 1], layer[i]


def _place(desired: list[float], seps: list[float]) -> list[float]:
    """argmin Σ (p_i − d_i)² subject to p_{i+1} − p_i ≥ seps_i (pool-adjacent-violators)."""
    offs = [0.0]
    for s in seps:
        offs.append(offs[-1] + s)
    blocks: list[list[float]] = []  # [sum, count] of pooled runs of d_i − offs_i
    for d, o in zip(desired, offs):
        blocks.append([d - o, 1])
        while len(blocks) > 1 and blocks[-2][0] * blocks[-1][1] > blocks[-1][0] * blocks[-2][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    z = [s / c for s, c in blocks for _ in range(int(c))]
    return [zi + o for zi, o in zip(z, offs)]


def _layout(layers: list[list[Vertex]], steps: list[tuple[Vertex, Vertex]], lr: bool):
    """Each vertex's size and centre in inches, and the limits of the drawing."""
    text = {n: box_text(n[1]) for layer in layers for n in layer if n[0] == "v"}
    size: dict[Vertex, tuple[float, float]] = {}  # (width, height)
    for layer in layers:
        widest = max((len(text[n]) for n in layer if n[0] == "v"), default=0)
        for n in layer:
            if n[0] == "v":  # LR: one width per column reads best
                chars = widest if lr else len(text[n])
                size[n] = (chars * _CHAR * _FONT + 2 * _PAD_ALONG,
                           1.3 * _FONT / 72 + 2 * _PAD_ACROSS)
            elif n[0] == "op":
                d = max(0.32, len(n[1]._op) * _CHAR * _OP_FONT + 0.14)
                size[n] = (d, d)
            else:
                size[n] = (0.0, 0.0)
    along = {n: wh[0 if lr else 1] for n, wh in size.items()}   # extent along the ranks
    across = {n: wh[1 if lr else 0] for n, wh in size.items()}  # extent within a column

    centre, end = [], 0.0
    for layer in layers:
        extent = max(along[n] for n in layer)
        centre.append(end + extent / 2)
        end += extent + _GAP_RANK
    end -= _GAP_RANK
    seps = [[(across[a] + across[b]) / 2 + _GAP_POS for a, b in zip(layer, layer[1:])]
            for layer in layers]
    pos = {n: p for layer, s in zip(layers, seps)
           for n, p in zip(layer, _place([0.0] * len(layer), s))}
    preds, succs = defaultdict(list), defaultdict(list)
    for a, b in steps:
        succs[a].append(b)
        preds[b].append(a)
    for sweep in range(12):  # align with the neighbours: above, below, ..., then both
        down = sweep % 2 == 0
        for r in (range(len(layers)) if down else range(len(layers) - 1, -1, -1)):
            desired = []
            for n in layers[r]:
                near = preds[n] + succs[n] if sweep >= 8 else (preds if down else succs)[n]
                desired.append(sum(pos[m] for m in near) / len(near) if near else pos[n])
            pos.update(zip(layers[r], _place(desired, seps[r])))

    xy = {n: ((centre[r], -pos[n]) if lr else (pos[n], -centre[r]))
          for r, layer in enumerate(layers) for n in layer}
    lo = min(pos[n] - across[n] / 2 for n in pos) - _MARGIN
    hi = max(pos[n] + across[n] / 2 for n in pos) + _MARGIN
    ranks = (-_MARGIN, end + _MARGIN)
    xlim, ylim = (ranks, (-hi, -lo)) if lr else ((lo, hi), (-ranks[1], -ranks[0]))
    return text, size, xy, xlim, ylim


def _edge_points(chain: list[Vertex], xy: dict, size: dict, lr: bool) -> list[tuple]:
    """Where an edge runs: from a box's side to a circle's rim (or back), through its lane."""
    def side(n: Vertex, out: bool) -> tuple[float, float]:  # LR: right/left, TB: bottom/top
        (x, y), (w, h) = xy[n], size[n]
        sign = 1 if out else -1
        return (x + sign * w / 2, y) if lr else (x, y - sign * h / 2)

    def rim(n: Vertex, toward: tuple[float, float]) -> tuple[float, float]:
        (x, y), r = xy[n], size[n][0] / 2
        dx, dy = toward[0] - x, toward[1] - y
        norm = max((dx * dx + dy * dy) ** 0.5, 1e-12)
        return (x + r * dx / norm, y + r * dy / norm)

    if chain[0][0] == "v":  # value → op, possibly through lanes
        start, lanes = side(chain[0], out=True), [xy[d] for d in chain[1:-1]]
        return [start, *lanes, rim(chain[-1], (lanes or [start])[-1])]
    end = side(chain[-1], out=False)  # op → its output, always in the next column
    return [rim(chain[0], end), end]


def _smooth(points: list[tuple[float, float]], lr: bool) -> Any:
    """A Bézier curve through `points`, level with the ranks at both ends, Catmull–Rom inside."""
    from matplotlib.path import Path

    n = len(points)
    tangents = []
    for i in range(n):
        (xa, ya), (xb, yb) = points[max(i - 1, 0)], points[min(i + 1, n - 1)]
        if 0 < i < n - 1:
            tangents.append(((xb - xa) / 2, (yb - ya) / 2))
        else:
            tangents.append((1.5 * (xb - xa), 0.0) if lr else (0.0, 1.5 * (yb - ya)))
    verts = [points[0]]
    for (x0, y0), (x1, y1), (tx0, ty0), (tx1, ty1) in zip(points, points[1:], tangents,
                                                          tangents[1:]):
        verts += [(x0 + tx0 / 3, y0 + ty0 / 3), (x1 - tx1 / 3, y1 - ty1 / 3), (x1, y1)]
    return Path(verts, [Path.MOVETO] + [Path.CURVE4] * (len(verts) - 1))


def draw_graph(root: Value, ax: Any = None, *, rankdir: str = "LR") -> Any:
    """Draw every Value `root` depends on, the operations between them, and their gradients.

    One box per Value (`label | data | grad`; leaves in sand, the root outlined), one circle
    per operation, arrows input → op → output; `rankdir` "LR" puts the inputs on the left,
    "TB" on top. With `ax=None` a new figure is sized to the graph; into a given `ax` the
    drawing is scaled to fit, text included. Returns the matplotlib Axes.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: expected root to be a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"draw_graph: expected rankdir 'LR' or 'TB', got {rankdir!r}")
    try:  # lazily: the rest of the package works without matplotlib
        from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
    except ImportError as err:
        raise ImportError("draw_graph needs matplotlib: pip install 'backprop_ref[plot]'") from err
    lr = rankdir == "LR"
    layers, chains = _layers(root)
    steps = [(c[i], c[i + 1]) for c, _ in chains for i in range(len(c) - 1)]
    _order(layers, steps)
    text, size, xy, xlim, ylim = _layout(layers, steps, lr)

    width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
    if ax is None:
        import matplotlib.pyplot as plt

        scale = min(1.0, _MAX_INCHES / width, _MAX_INCHES / height)
        ax = plt.figure(figsize=(width * scale, height * scale), layout="none").add_axes((0, 0, 1, 1))
    else:
        box, (fig_w, fig_h) = ax.get_position(), ax.figure.get_size_inches()
        scale = min(box.width * fig_w / width, box.height * fig_h / height)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()

    for chain, mult in chains:
        points = _edge_points(chain, xy, size, lr)
        ax.add_patch(FancyArrowPatch(path=_smooth(points, lr), arrowstyle="-|>", lw=scale,
                                     color=_STYLE["edge"], mutation_scale=9 * scale, zorder=1))
        if mult > 1:  # `a + a`: one arrow, marked ×2
            (x0, y0), (x1, y1) = points[0], points[1]
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, f" ×{mult}", ha="center" if lr else "left",
                    va="bottom" if lr else "center", fontsize=_OP_FONT * scale,
                    color=_STYLE["edge"], zorder=3)
    for n, (x, y) in xy.items():
        if n[0] == "v":
            (w, h), v = size[n], n[1]
            face, line = _STYLE["value" if v._op else "leaf"]
            ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, fc=face, ec=line,
                                        boxstyle="round,pad=0,rounding_size=0.05", zorder=2,
                                        lw=(2.0 if v is root else 1.0) * scale, gid="value"))
            ax.text(x, y, text[n], ha="center", va="center", family="monospace",
                    fontsize=_FONT * scale, zorder=3)
        elif n[0] == "op":
            face, line = _STYLE["op"]
            ax.add_patch(Circle((x, y), size[n][0] / 2, fc=face, ec=line, lw=scale, zorder=2,
                                gid="op"))
            ax.text(x, y, n[1]._op, ha="center", va="center", family="monospace",
                    fontsize=_OP_FONT * scale, zorder=3)
    return ax
