// The dashboard page: polls /api/state and redraws. Data goes in with textContent only.
"use strict";

const REFRESH_MS = 1000;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function bar(fraction) {
  const outer = el("span", null, "bar");
  const inner = el("span");
  inner.style.width = Math.max(0, Math.min(100, fraction * 100)).toFixed(1) + "%";
  outer.appendChild(inner);
  return outer;
}

function pct(part, whole) {
  return whole > 0 ? (100 * part / whole).toFixed(1) + "%" : "-";
}

function fillTable(id, rows, empty) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = el("tr");
    const td = el("td", empty, "muted");
    td.colSpan = document.querySelectorAll("#" + id + " th").length;
    tr.appendChild(td);
    body.appendChild(tr);
    return;
  }
  for (const cells of rows) {
    const tr = el("tr");
    for (const c of cells) tr.appendChild(c instanceof Node ? c : el("td", c));
    body.appendChild(tr);
  }
}

function td(child, cls) {
  const cell = el("td", null, cls);
  if (child instanceof Node) cell.appendChild(child); else cell.textContent = String(child);
  return cell;
}

function tiles(s) {
  const box = document.getElementById("tiles");
  box.replaceChildren();
  const runsActive = s.runs.filter(r => !r.done).length;
  const items = [
    ["live workers", s.fleet.liveWorkers],
    ["workspaces active", s.fleet.activeWorkspaces + " / " + s.fleet.capacity],
    ["open workspaces (results)", s.fleet.openWorkspaces],
    ["actions/s", s.fleet.actionsPerSecond.toFixed(1)],
    ["consumer lag", s.fleet.lag],
    ["runs in progress", runsActive],
  ];
  for (const [label, value] of items) {
    const t = el("div", null, "tile");
    t.appendChild(el("b", value));
    t.appendChild(el("span", label, "muted"));
    box.appendChild(t);
  }
}

function chart(buckets) {
  const svg = document.getElementById("chart");
  const NS = "http://www.w3.org/2000/svg";
  const W = 900, H = 180, PAD = 30;
  svg.replaceChildren();
  const n = buckets.length;
  if (n === 0) return;
  const rates = buckets.map(b => b.actions / b.seconds);
  const max = Math.max(1, ...rates);
  const x = i => PAD + (W - 2 * PAD) * (n === 1 ? 0 : i / (n - 1));
  const yRate = v => H - PAD + 10 - (H - 2 * PAD) * v / max;
  const ySucc = v => H - PAD + 10 - (H - 2 * PAD) * v / 100;
  const line = (points, color) => {
    const p = document.createElementNS(NS, "polyline");
    p.setAttribute("points", points.join(" "));
    p.setAttribute("fill", "none");
    p.setAttribute("stroke", color);
    p.setAttribute("stroke-width", "2");
    svg.appendChild(p);
  };
  const text = (tx, ty, s) => {
    const t = document.createElementNS(NS, "text");
    t.setAttribute("x", tx); t.setAttribute("y", ty); t.setAttribute("font-size", "11"); t.setAttribute("fill", "#6b7280");
    t.textContent = s;
    svg.appendChild(t);
  };
  const axis = document.createElementNS(NS, "line");
  axis.setAttribute("x1", PAD); axis.setAttribute("x2", W - PAD);
  axis.setAttribute("y1", H - PAD + 10); axis.setAttribute("y2", H - PAD + 10);
  axis.setAttribute("stroke", "#d0d5dd");
  svg.appendChild(axis);
  line(rates.map((r, i) => x(i).toFixed(1) + "," + yRate(r).toFixed(1)), "#2e90fa");
  const succ = [];
  buckets.forEach((b, i) => { if (b.actions > 0) succ.push(x(i).toFixed(1) + "," + ySucc(100 * b.succeeded / b.actions).toFixed(1)); });
  if (succ.length > 0) line(succ, "#12b76a");
  text(2, PAD - 10, max.toFixed(1) + "/s");
  text(W - PAD + 2, PAD - 10, "100%");
  text(PAD, H - 2, new Date(buckets[0].start).toLocaleTimeString());
  text(W - PAD - 50, H - 2, new Date(buckets[n - 1].start).toLocaleTimeString());
  document.getElementById("window").textContent =
      "last " + Math.round(n * buckets[0].seconds / 60) + " min, " + buckets[0].seconds + " s buckets";
}

function render(s) {
  document.getElementById("status").textContent = "updated " + new Date(s.at).toLocaleTimeString();
  tiles(s);
  chart(s.throughput);
  fillTable("runs", s.runs.map(r => [
    td(r.runId, "run-id"),
    td(r.finished + "/" + r.total, "progress"),
    td(bar(r.total > 0 ? r.finished / r.total : 0)),
    r.completed,
    td(r.failures, r.failures > 0 ? "bad" : ""),
    r.actionsSucceeded + " / " + r.actions + " (" + pct(r.actionsSucceeded, r.actions) + ")",
    r.evaluationsPassed + " / " + r.evaluations,
    td(r.done ? "finished" : "running", r.done ? "good" : ""),
  ]), "no runs in the look-back window");
  fillTable("workers", s.workers.map(w => [
    w.workerId,
    w.activeWorkspaces + " / " + w.capacity,
    td(bar(w.capacity > 0 ? w.activeWorkspaces / w.capacity : 0)),
    w.actionsPerSecond.toFixed(1),
    w.lag,
    w.actions,
    td(w.actionsFailed, w.actionsFailed > 0 ? "bad" : ""),
    Math.round(w.actionP95Ms),
    td(w.seenSecondsAgo + " s ago" + (w.silent ? " (silent)" : ""), w.silent ? "bad" : ""),
  ]), "no WorkerMetrics snapshots yet");
  fillTable("problems", s.problems.map(p => [
    new Date(p.at).toLocaleTimeString(),
    td(p.kind, "bad"),
    p.workspaceId,
    p.commandSeq,
    td(p.detail, "detail"),
  ]), "none");
}

async function refresh() {
  try {
    const response = await fetch("/api/state", { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    render(await response.json());
  } catch (e) {
    document.getElementById("status").textContent = "cannot reach the dashboard server: " + e.message;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
