// Palimpsest viewer: a film page. The frame with its attribution map and the map's legend, the
// shot strip, the film's metrics over time, and a provenance panel that follows the frame (what
// made it, what is heard there). Hovering a record in the legend, the panel or the map highlights
// it in all three.
"use strict";

const PIXEL_SECTIONS = [["Keyframes", "keyframe"], ["Borrowed pictures", "borrowed"], ["Denoiser records", "denoiser"],
  ["Initial image", "init"], ["Language", "language"], ["Guidance", "guidance"]];

function entryTitle(p) {
  if (p.role === "language") return "language guidance (pixels the text drew)";
  const r = p.record;
  return r ? recordName(r) : "record " + p.record_id + " (deleted)";
}

// Where a record's own media opens: a video frame's video at its time, a sound's clip.
function sourceMediaLink(r) {
  if (!r) return null;
  if (r.kind === "frame") return el("a", { href: media(`/api/v1/records/${r.id}/media`) + `#t=${(r.ts_ms / 1000).toFixed(3)}`, target: "_blank", rel: "noopener", class: "source-media" }, `▶ ${clock(r.ts_ms)}`);
  if (r.kind === "audio" || r.kind === "speech") return el("a", { href: media(`/api/v1/records/${r.id}/media`), target: "_blank", rel: "noopener", class: "source-media" }, "▶ listen");
  return null;
}

function provItem(p) {
  const r = p.record;
  const thumb = r && r.thumbnail_url ? el("img", { src: media(r.thumbnail_url), alt: "" })
    : el("span", { class: "no-thumb", "aria-hidden": "true", style: p.colour ? `background:${p.colour}` : null });
  const bar = el("span", { class: "bar", "aria-hidden": "true" }, el("span", { style: `width:${Math.max(1, p.weight * 100).toFixed(1)}%` }));
  const label = r ? el("a", { href: "#/record/" + p.record_id, class: "record-link", "data-record": String(p.record_id) }, entryTitle(p)) : el("span", {}, entryTitle(p));
  const swatch = p.colour ? el("span", { class: "swatch", style: `background:${p.colour}`, "aria-hidden": "true" }) : null;
  return el("li", { class: "prov-item role-" + p.role, "data-record": String(p.record_id) },
    thumb,
    el("div", {}, el("div", { class: "title" }, swatch, label, " ", sourceMediaLink(r)),
      el("div", { class: "weight" }, bar, el("span", {}, `${p.role} ${pct(p.weight)}`))));
}

function provSection(title, items, id) {
  if (!items.length) return null;
  return el("section", { id }, el("h3", {}, `${title} (${items.length})`), el("ul", { class: "prov-list" }, ...items.map(provItem)));
}

// What the whole shot drew on (the film provenance's per-shot shares), strongest first.
function shotSharesSection(shares) {
  if (!shares || !shares.length) return null;
  const top = shares.slice(0, 8).map((s) => ({ ...s, weight: s.share }));
  return el("details", { id: "shot-shares", open: true },
    el("summary", {}, `Whole shot: ${shares.length} records`, shares.length > top.length ? ` (top ${top.length})` : ""),
    el("ul", { class: "prov-list" }, ...top.map(provItem)));
}

// What is heard where the frame starts (the soundtrack's provenance).
function heardSection(heard) {
  if (!heard) return null;
  const span = `${heard.from_s.toFixed(2)}–${heard.to_s.toFixed(2)} s`;
  const items = heard.records.filter((h) => h.gain > 0).map((h) => {
    const r = h.record;
    return el("li", { class: "heard-item", "data-record": String(h.record_id) },
      el("a", { href: "#/record/" + h.record_id }, r ? recordName(r) : "record " + h.record_id), " ", sourceMediaLink(r),
      el("div", { class: "weight" }, el("span", { class: "bar", "aria-hidden": "true" }, el("span", { style: `width:${Math.max(1, Math.min(1, h.gain) * 100).toFixed(1)}%` })), el("span", {}, `gain ${h.gain.toFixed(2)}`)));
  });
  return el("section", { id: "heard" }, el("h3", {}, `Heard (${span})`),
    items.length ? el("ul", { class: "heard-list" }, ...items) : el("p", { class: "muted" }, "Silence."));
}

// Where a shot's pictures come from (the planner's account, when the film JSON has it):
// own, borrowed (from another shot, for a bounded time) or empty.
const pictureStatus = (s) => (s.pictures && s.pictures.status) || s.picture_status || null;
function pictureNote(s) {
  const p = s.pictures;
  const status = pictureStatus(s);
  if (!status || status === "own") return "";
  const parts = [`pictures: ${status}`];
  if (p && p.from_shot !== null && p.from_shot !== undefined) parts.push(`borrowed from shot ${p.from_shot + 1}`);
  if (p && p.borrowed_frames) parts.push(`${p.borrowed_frames} frames borrowed`);
  if (p && p.empty_frames) parts.push(`${p.empty_frames} frames without a picture`);
  return parts.join(", ");
}

const warningText = (w) => (typeof w === "string" ? w : (w && (w.message || w.text)) || JSON.stringify(w));

function renderProvenance(panel, p, shotShares) {
  const shot = p.shot;
  const nodes = [el("h3", {}, "Shot")];
  if (shot) {
    nodes.push(el("blockquote", { class: "shot-line", id: "shot-line" }, shot.raw_text || shot.text));
    const meta = [`shot ${shot.index + 1}`, `frames ${shot.start_frame}–${shot.end_frame - 1}`, `line ${shot.source_line}`];
    if (shot.character) meta.push(shot.character);
    if (shot.scene) meta.push(shot.scene);
    nodes.push(el("div", { class: "shot-meta" }, meta.join(" · ") + (p.diffused ? "" : " · in-between (cadence) frame")));
    const note = pictureNote(shot);
    if (note) nodes.push(el("p", { class: "warning", id: "shot-pictures" }, note));
    for (const w of shot.warnings || []) nodes.push(el("p", { class: "warning" }, warningText(w)));
  } else {
    nodes.push(el("p", { class: "muted", id: "shot-line" }, "This frame is in a gap between shots."));
  }
  for (const [title, role] of PIXEL_SECTIONS) {
    const s = provSection(title, p.entries.filter((e) => e.role === role), "prov-" + role);
    if (s) nodes.push(s);
  }
  if (!p.entries.length) nodes.push(el("p", { class: "muted" }, "No provenance recorded for this frame."));
  const heard = heardSection(p.heard);
  if (heard) nodes.push(heard);
  const whole = shotSharesSection(shotShares);
  if (whole) nodes.push(whole);
  panel.replaceChildren(...nodes);
  panel.dataset.frame = String(p.frame);
}

// The attribution map's legend: each record that lends the frame pixels, in its map colour.
function renderLegend(legend, p) {
  const items = p.entries.filter((e) => e.colour && e.role !== "guidance").map((e) =>
    el("li", { "data-record": String(e.record_id), "data-colour": e.colour, tabindex: "0" },
      el("span", { class: "swatch", style: `background:${e.colour}`, "aria-hidden": "true" }),
      el("span", { class: "legend-title" }, entryTitle(e)), el("span", { class: "muted" }, ` ${pct(e.weight)}`)));
  legend.replaceChildren(...items);
}

// The shots as a strip, each as wide as its frames, with its first keyframe and its line.
function shotStrip(film, onPick) {
  const strip = el("div", { class: "shot-strip", id: "shot-strip", role: "list", "aria-label": "Shots" });
  for (const s of film.shots || []) {
    const key = s.keyframes && s.keyframes[0];
    const status = pictureStatus(s);
    const warnings = (s.warnings || []).map(warningText);
    const note = pictureNote(s);
    if (note) warnings.unshift(note);
    const line = s.text || s.raw_text || "";
    const button = el("button", { type: "button", class: "shot" + (status ? " shot-" + status : "") + (warnings.length ? " has-warning" : ""),
      "data-shot": String(s.index), "data-start": String(s.start_frame), role: "listitem",
      style: `flex-grow:${Math.max(1, s.end_frame - s.start_frame)}`,
      title: `shot ${s.index + 1}, frames ${s.start_frame}–${s.end_frame - 1}: ${line}` + (warnings.length ? "\n⚠ " + warnings.join("\n⚠ ") : "") },
      key ? el("img", { src: media(`/api/v1/records/${key.record_id}/thumbnail.jpg`), alt: "", loading: "lazy" }) : el("span", { class: "no-thumb", "aria-hidden": "true" }),
      el("span", { class: "shot-text" }, `${s.index + 1}. ${line}`));
    button.addEventListener("click", () => onPick(s));
    strip.append(button);
  }
  const head = el("div", { class: "playhead", id: "playhead", "aria-hidden": "true" });
  strip.append(head);
  return strip;
}

// Metrics over time, one row per metric scaled to its own range, cuts as vertical lines;
// clicking picks a frame.
const METRICS = [["clip_score", "CLIP score"], ["flicker", "flicker"], ["top_share", "top share"], ["entropy", "entropy"], ["novelty", "novelty"]];
function metricsPlot(m, frameCount, onPick) {
  const rows = METRICS.filter(([k]) => m.frames.some((f) => f[k] !== null && f[k] !== undefined));
  if (!rows.length || !m.frames.length) return null;
  const W = 600, RH = 34, H = RH * rows.length, N = Math.max(1, frameCount - 1);
  const x = (n) => (n / N) * W;
  const plot = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", class: "metrics-plot", id: "metrics-plot", role: "img",
    "aria-label": "Film metrics over time; vertical lines are cuts" });
  for (const c of m.cuts || []) if (c > 0) plot.append(svg("line", { x1: x(c), x2: x(c), y1: 0, y2: H, class: "cut" }));
  const labels = el("div", { class: "metrics-labels" });
  rows.forEach(([k, name], i) => {
    const pts = m.frames.filter((f) => f[k] !== null && f[k] !== undefined);
    const lo = Math.min(...pts.map((f) => f[k])), hi = Math.max(...pts.map((f) => f[k]));
    const y = (v) => i * RH + RH - 3 - ((v - lo) / (hi - lo || 1)) * (RH - 6);
    plot.append(svg("polyline", { class: "series series-" + k, points: pts.map((f) => `${x(f.frame).toFixed(1)},${y(f[k]).toFixed(1)}`).join(" ") }));
    if (i) plot.append(svg("line", { x1: 0, x2: W, y1: i * RH, y2: i * RH, class: "row-rule" }));
    const mean = m.film && m.film[k] !== null && m.film[k] !== undefined ? ` mean ${Number(m.film[k]).toFixed(3)}` : "";
    labels.append(el("div", { class: "series-label series-" + k, style: `height:${RH}px` }, `${name} ${lo.toFixed(3)}–${hi.toFixed(3)}${mean}`));
  });
  const marker = svg("line", { x1: 0, x2: 0, y1: 0, y2: H, class: "marker", id: "metrics-marker" });
  plot.append(marker);
  plot.addEventListener("click", (ev) => {
    const box = plot.getBoundingClientRect();
    onPick(Math.round(((ev.clientX - box.left) / box.width) * N));
  });
  const wrap = el("figure", { class: "metrics", id: "metrics" }, el("figcaption", {}, "Metrics over time (cuts marked)"),
    el("div", { class: "metrics-body" }, labels, plot));
  wrap.moveMarker = (n) => { marker.setAttribute("x1", x(n)); marker.setAttribute("x2", x(n)); };
  return wrap;
}

// The film's sweeps (palimpsest sweep, POST /api/v1/sweeps): each one's axes, state and contact
// sheet (rows = combinations, columns = frames).
function sweepsSection(sweeps) {
  if (!sweeps.length) return null;
  const items = sweeps.map((s) => {
    const axes = ((s.spec && s.spec.axes) || []).map((a) => `${a.name} = ${(a.values || []).join(", ")}`).join(" × ");
    return el("li", { class: "sweep", "data-sweep": String(s.id) },
      el("div", {}, `sweep ${s.id} · ${s.state}` + (s.state === "running" ? ` ${pct(s.progress || 0)}` : "") + (axes ? ` · ${axes}` : "")),
      s.error ? el("p", { class: "error" }, s.error) : null,
      s.sheet_url ? el("a", { href: media(s.sheet_url), target: "_blank", rel: "noopener" },
        el("img", { class: "sheet", src: media(s.sheet_url), alt: `contact sheet of sweep ${s.id}`, loading: "lazy" })) : null);
  });
  return el("section", { id: "sweeps" }, el("h3", {}, `Sweeps (${sweeps.length})`), el("ul", { class: "sweeps" }, ...items));
}

async function showFilm(id, startFrame) {
  let film;
  try {
    film = await api(`/api/v1/films/${id}?timeline=0`);
  } catch (e) {
    return showError(e);
  }
  let frames = [];
  try {
    frames = (await api(`/api/v1/films/${id}/frames?limit=100000`)).frames;
  } catch (e) {
    /* a film without frames still has a page */
  }
  const fps = film.fps || 12;
  const title = el("h2", {}, film.title || "film " + film.id, " ", statusBadge(film));
  const info = el("p", { class: "muted", id: "film-info" },
    `${film.frames_rendered}/${film.frame_count} frames · ${fps} fps · ${film.width}×${film.height}` +
    (film.job ? ` · job ${film.job.state}` : ""));
  const links = el("p", { class: "muted" },
    el("a", { href: media(film.provenance_url) }, "provenance (JSON)"), " · ",
    el("a", { href: media(`/api/v1/films/${id}/credits.html`), id: "credits-html" }, "credits"), " (",
    el("a", { href: media(`/api/v1/films/${id}/credits.csv`), id: "credits-csv" }, "CSV"), ")",
    film.timeline_otio_url ? el("span", {}, " · ", el("a", { href: media(film.timeline_otio_url) }, "timeline (.otio)")) : null,
    film.video_url ? el("span", {}, " · ", el("a", { href: media(film.video_url) }, "video (MP4)")) : null);
  const warnings = (film.warnings || []).map((w) => el("li", {}, warningText(w)));
  const pics = film.pictures;
  const picturesLine = pics && pics.shots !== undefined
    ? el("p", { class: pics.borrowed || pics.empty ? "warning" : "muted", id: "film-pictures" },
      `${pics.shots} shots: ${pics.own} with their own pictures, ${pics.borrowed} borrowed, ${pics.empty} empty`) : null;
  const head = [title, info, renderNote(film), links, picturesLine, warnings.length ? el("ul", { class: "warnings", id: "film-warnings" }, ...warnings) : null];
  // While it renders, the page follows: reloaded every few seconds at the frame being looked at.
  // A stopped render is not followed: nothing will change until it is resumed.
  const live = isLive(film);

  if (!frames.length) {
    show(...head, el("p", {}, live ? "No frames rendered yet." : "No frames rendered."));
    if (live) {
      const timer = setTimeout(() => route(), 2000);
      cleanup = () => clearTimeout(timer);
    }
    return;
  }
  const refresh = live ? setTimeout(() => route(), 4000) : null;

  const frameNumbers = frames.map((f) => f.frame);
  const byFrame = new Map(frames.map((f) => [f.frame, f]));
  let index = frameNumbers.indexOf(Number(startFrame));
  if (startFrame === undefined || index < 0) index = 0;
  // The rendered frame nearest to frame n.
  const nearest = (n) => {
    let best = 0;
    for (let i = 0; i < frameNumbers.length; ++i) if (Math.abs(frameNumbers[i] - n) < Math.abs(frameNumbers[best] - n)) best = i;
    return best;
  };

  const image = el("img", { id: "frame-image", alt: "" });
  const overlay = el("img", { id: "map-overlay", class: "overlay", alt: "", hidden: true });
  const stage = el("div", { class: "stage" }, image, overlay);
  const legend = el("ul", { class: "legend", id: "map-legend", "aria-label": "Attribution map legend" });
  const scrubber = el("input", { type: "range", id: "scrubber", min: "0", max: String(frames.length - 1), value: String(index), step: "1", "aria-label": "Frame" });
  const prev = el("button", { type: "button", id: "prev-frame", "aria-label": "Previous frame" }, "◀");
  const next = el("button", { type: "button", id: "next-frame", "aria-label": "Next frame" }, "▶");
  const label = el("span", { class: "frame-label", id: "frame-label", "aria-live": "polite" });
  const mapToggle = el("input", { type: "checkbox", id: "map-toggle" });
  const mapLabel = el("label", { for: "map-toggle" }, mapToggle, " attribution map");
  const controls = el("div", { class: "controls" }, prev, scrubber, next, label, mapLabel);
  const help = el("p", { class: "kbd-help" }, el("kbd", {}, "←"), " ", el("kbd", {}, "→"), " step frames, ",
    el("kbd", {}, "Shift"), "+arrows step 10, ", el("kbd", {}, "Home"), "/", el("kbd", {}, "End"), " first/last, ", el("kbd", {}, "M"), " map overlay");
  const strip = shotStrip(film, (s) => {
    const i = frameNumbers.findIndex((n) => n >= s.start_frame && n < s.end_frame);
    go(i >= 0 ? i : nearest(s.start_frame));
  });
  const plotSlot = el("div", { id: "metrics-slot" });
  const sweepSlot = el("div", { id: "sweeps-slot" });
  const video = film.video_url ? el("video", { id: "film-video", controls: true, preload: "metadata", src: media(film.video_url) }) : null;
  const panel = el("aside", { id: "provenance", "aria-label": "Provenance of the current frame", "aria-live": "polite" }, el("p", {}, "Loading…"));
  show(...head, el("div", { class: "film" }, el("div", {}, stage, legend, strip, controls, help, plotSlot, video, sweepSlot), panel));

  // One record highlighted at a time, in the legend, the panel and (by colour) the map.
  let highlighted = null;
  function highlight(recordId) {
    if (recordId === highlighted) return;
    highlighted = recordId;
    for (const node of document.querySelectorAll("#map-legend li, #provenance li.prov-item, #provenance li.heard-item"))
      node.classList.toggle("highlight", recordId !== null && node.dataset.record === recordId);
  }
  const hoverOn = (container, selector) => {
    container.addEventListener("mouseover", (ev) => { const li = ev.target.closest(selector); highlight(li ? li.dataset.record : null); });
    container.addEventListener("focusin", (ev) => { const li = ev.target.closest(selector); highlight(li ? li.dataset.record : null); });
    container.addEventListener("mouseleave", () => highlight(null));
  };
  hoverOn(legend, "li");
  hoverOn(panel, "li.prov-item, li.heard-item");
  // Over the map, the pixel's colour names its record.
  const mapCanvas = document.createElement("canvas");
  let mapReady = false;
  overlay.addEventListener("load", () => {
    mapCanvas.width = overlay.naturalWidth;
    mapCanvas.height = overlay.naturalHeight;
    mapCanvas.getContext("2d").drawImage(overlay, 0, 0);
    mapReady = true;
  });
  stage.addEventListener("mousemove", (ev) => {
    if (overlay.hidden || !mapReady) return;
    const box = overlay.getBoundingClientRect();
    const px = Math.floor(((ev.clientX - box.left) / box.width) * mapCanvas.width);
    const py = Math.floor(((ev.clientY - box.top) / box.height) * mapCanvas.height);
    const [r, g, b] = mapCanvas.getContext("2d").getImageData(px, py, 1, 1).data;
    const hex = "#" + [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
    const item = [...legend.children].find((li) => li.dataset.colour === hex);
    highlight(item ? item.dataset.record : null);
  });
  stage.addEventListener("mouseleave", () => highlight(null));

  const cache = new Map();
  // Per-shot shares, fetched once for the page (null when the request fails: the frame's own
  // provenance still shows).
  const filmProvenance = api(`/api/v1/films/${id}/provenance`).catch(() => null);
  const sharesOfShot = (fp, shot) => {
    if (!fp || !shot) return null;
    const s = fp.shots.find((x) => x.index === shot.index);
    return s ? s.shares : null;
  };
  let plot = null;
  api(`/api/v1/films/${id}/metrics`).then((m) => {
    plot = metricsPlot(m, film.frame_count, (n) => go(nearest(n)));
    if (plot) { plotSlot.replaceChildren(plot); plot.moveMarker(frameNumbers[index]); }
  }).catch(() => {});
  api(`/api/v1/films/${id}/sweeps`).then((b) => {
    const section = sweepsSection(b.sweeps || []);
    if (section) sweepSlot.replaceChildren(section);
  }).catch(() => {});
  let shown = -1;
  let requestSeq = 0;

  async function provenanceOf(n) {
    if (!cache.has(n)) cache.set(n, api(`/api/v1/films/${id}/frames/${n}/provenance`).catch((e) => { cache.delete(n); throw e; }));
    return cache.get(n);
  }

  async function go(i, fromVideo) {
    index = Math.min(frames.length - 1, Math.max(0, i));
    const n = frameNumbers[index];
    if (n === shown) return;
    shown = n;
    const f = byFrame.get(n);
    scrubber.value = String(index);
    image.src = media(f.url);
    image.alt = `Frame ${n} of ${film.title || "film " + film.id}`;
    mapReady = false;
    overlay.hidden = !(mapToggle.checked && f.map_url);
    if (f.map_url) overlay.src = media(f.map_url);
    mapToggle.disabled = !f.map_url;
    label.textContent = `Frame ${n} / ${film.frame_count - 1} · ${(n / fps).toFixed(2)} s`;
    history.replaceState(null, "", `#/film/${id}/${n}`);
    for (const b of strip.querySelectorAll(".shot")) {
      const s = film.shots[Number(b.dataset.shot)];
      const current = s && s.start_frame <= n && n < s.end_frame;
      b.classList.toggle("current", current);
      if (current) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
    }
    strip.querySelector(".playhead").style.left = `${(100 * n) / Math.max(1, film.frame_count)}%`;
    if (plot) plot.moveMarker(n);
    if (video && !fromVideo && video.paused) video.currentTime = (n + 0.5) / fps;
    const seq = ++requestSeq;
    try {
      const [p, fp] = await Promise.all([provenanceOf(n), filmProvenance]);
      if (seq === requestSeq) {
        renderProvenance(panel, p, sharesOfShot(fp, p.shot));
        renderLegend(legend, p);
        highlighted = null;
      }
    } catch (e) {
      if (seq === requestSeq) panel.replaceChildren(el("p", { class: "error" }, e.message));
    }
    // Prefetch the neighbours so that stepping stays instant.
    for (const j of [index + 1, index - 1]) if (j >= 0 && j < frames.length) provenanceOf(frameNumbers[j]).catch(() => {});
  }

  scrubber.addEventListener("input", () => go(Number(scrubber.value)));
  prev.addEventListener("click", () => go(index - 1));
  next.addEventListener("click", () => go(index + 1));
  mapToggle.addEventListener("change", () => {
    const f = byFrame.get(frameNumbers[index]);
    overlay.hidden = !(mapToggle.checked && f.map_url);
    legend.classList.toggle("map-shown", !overlay.hidden);
  });
  if (video) {
    video.addEventListener("timeupdate", () => {
      if (!video.paused) {
        const i = frameNumbers.indexOf(Math.floor(video.currentTime * fps));
        if (i >= 0) go(i, true);
      }
    });
  }
  const onKey = (ev) => {
    const t = ev.target;
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || (t.tagName === "INPUT" && t.type !== "range" && t.type !== "checkbox"))) return;
    if (t && (t.tagName === "VIDEO" || t.tagName === "AUDIO")) return;
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const step = ev.shiftKey ? 10 : 1;
    let handled = true;
    if (ev.key === "ArrowRight" || ev.key === "ArrowUp") go(index + step);
    else if (ev.key === "ArrowLeft" || ev.key === "ArrowDown") go(index - step);
    else if (ev.key === "Home") go(0);
    else if (ev.key === "End") go(frames.length - 1);
    else if (ev.key === "m" || ev.key === "M") { mapToggle.checked = !mapToggle.checked; mapToggle.dispatchEvent(new Event("change")); }
    else handled = false;
    if (handled) ev.preventDefault(); // the scrubber would otherwise step a second time
  };
  document.addEventListener("keydown", onKey);
  cleanup = () => {
    document.removeEventListener("keydown", onKey);
    if (refresh) clearTimeout(refresh);
  };
  go(index);
}
