/**
 * Plot — small dependency-free SVG line charts for the files the fitter writes next to each
 * JSON: marginal entropy against position (fixed T, fitted schedule, target) and T(t), or a
 * calibration table over its held-out tokens. Panels stack vertically; NaN points break lines.
 */

export interface Series {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  label: string;
  color: string;
  dash?: boolean;
  /** Draw points instead of a line. */
  dots?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** "log1p" spaces x as ln(1 + x): the early positions, where entropy moves, get room. */
  xScale?: "linear" | "log1p";
  xTicks?: number[];
}

const escapeXml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** Round-number ticks covering [lo, hi]. */
function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function renderPanel(p: Panel, top: number, width: number, height: number): string {
  const m = { left: 56, right: 150, top: 26, bottom: 38 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const fx = p.xScale === "log1p" ? (v: number) => Math.log1p(Math.max(0, v)) : (v: number) => v;
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of p.series) {
    for (let i = 0; i < s.x.length; i++) {
      const x = fx(s.x[i]!);
      const y = s.y[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, y);
      yMax = Math.max(yMax, y);
    }
  }
  if (!Number.isFinite(xMin)) return "";
  const pad = (yMax - yMin || 1) * 0.05;
  yMin -= pad;
  yMax += pad;
  const px = (x: number): number => m.left + ((fx(x) - xMin) / (xMax - xMin || 1)) * w;
  const py = (y: number): number => top + m.top + (1 - (y - yMin) / (yMax - yMin)) * h;
  const parts: string[] = [];
  parts.push(`<text x="${m.left}" y="${top + 16}" font-weight="bold">${escapeXml(p.title)}</text>`);
  parts.push(`<rect x="${m.left}" y="${top + m.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (const t of niceTicks(yMin, yMax)) {
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  const xTicks = p.xTicks ?? niceTicks(p.xScale === "log1p" ? Math.expm1(xMin) : xMin, p.xScale === "log1p" ? Math.expm1(xMax) : xMax);
  for (const t of xTicks) {
    parts.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${top + m.top}" y2="${top + m.top + h}" stroke="#eee"/>`);
    parts.push(`<text x="${px(t).toFixed(1)}" y="${top + m.top + h + 14}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(`<text x="${m.left + w / 2}" y="${top + height - 6}" text-anchor="middle">${escapeXml(p.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${top + m.top + h / 2}) rotate(-90)" text-anchor="middle">${escapeXml(p.yLabel)}</text>`);
  p.series.forEach((s, k) => {
    if (s.dots) {
      const dots = [];
      for (let i = 0; i < s.x.length; i++) {
        if (Number.isFinite(s.y[i]!) && Number.isFinite(fx(s.x[i]!))) dots.push(`<circle cx="${px(s.x[i]!).toFixed(1)}" cy="${py(s.y[i]!).toFixed(1)}" r="1.5"/>`);
      }
      parts.push(`<g fill="${s.color}" fill-opacity="0.35">${dots.join("")}</g>`);
    } else {
      let d = "";
      let pen = "M";
      for (let i = 0; i < s.x.length; i++) {
        if (!Number.isFinite(s.y[i]!) || !Number.isFinite(fx(s.x[i]!))) {
          pen = "M";
          continue;
        }
        d += `${pen}${px(s.x[i]!).toFixed(1)} ${py(s.y[i]!).toFixed(1)}`;
        pen = "L";
      }
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${s.dash ? ' stroke-dasharray="6 4"' : ""}/>`);
    }
    const ly = top + m.top + 10 + 16 * k;
    parts.push(`<line x1="${m.left + w + 10}" x2="${m.left + w + 30}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="6 4"' : ""}/>`);
    parts.push(`<text x="${m.left + w + 34}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  return parts.join("\n");
}

/** An SVG document with `panels` stacked top to bottom. */
export function renderSvg(panels: readonly Panel[], width = 760, panelHeight = 270): string {
  const body = panels.map((p, k) => renderPanel(p, k * panelHeight, width, panelHeight)).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${panels.length * panelHeight}" font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
