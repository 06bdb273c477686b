// Palimpsest viewer: plain JS, no build step, no external resources.
// Routes live in the fragment: #/films, #/film/<id>[/<frame>], #/record/<id>, #/search/<q>.
"use strict";
const view = document.getElementById("view");
let cleanup = null; // the current page's teardown (timers, key handlers)

// A server bound to a non-loopback address wants its token on every API request: open the viewer
// once as /?access_token=TOKEN (kept for this tab). <img> and <video> cannot send headers, so
// their URLs carry it as a parameter.
const token = (() => {
  const given = new URLSearchParams(location.search).get("access_token");
  if (given) sessionStorage.setItem("palimpsest-token", given);
  return given || sessionStorage.getItem("palimpsest-token") || "";
})();
const media = (url) => (token && url ? url + (url.includes("?") ? "&" : "?") + "access_token=" + encodeURIComponent(token) : url);

async function api(path, options) {
  options = options || {};
  if (token) options.headers = Object.assign({ Authorization: "Bearer " + token }, options.headers || {});
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((body.error && body.error.message) || res.statusText);
  return body;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const pct = (w) => (w * 100).toFixed(w >= 0.1 ? 1 : 2) + "%";

function show(...nodes) {
  view.replaceChildren(...nodes);
}

function showError(e) {
  show(el("p", { class: "error", role: "alert" }, e.message || String(e)));
}

function recordCard(r) {
  const card = el("div", { class: "card" });
  const link = el("a", { href: "#/record/" + r.id });
  if (r.thumbnail_url) link.append(el("img", { src: media(r.thumbnail_url), alt: r.title, loading: "lazy" }));
  link.append(el("div", {}, r.kind + " · " + r.title));
  card.append(link);
  if (r.excerpt) card.append(el("div", {}, r.excerpt));
  if (r.rank) {
    const s = (x) => (x === null || x === undefined ? "–" : Number(x).toFixed(3));
    card.append(el("div", { class: "scores" }, `#${r.rank} dense ${s(r.dense_score)} lexical ${s(r.lexical_score)} fused ${s(r.fused_score)}`));
  }
  return card;
}

async function showSearch(q, file) {
  show(el("p", {}, "Searching…"));
  try {
    const params = new URLSearchParams({ q: q || "", k: "24" });
    const body = file
      ? await api("/api/v1/search?" + params, { method: "POST", body: file, headers: { "Content-Type": file.type } })
      : await api("/api/v1/search?" + params);
    const grid = el("div", { class: "grid" });
    body.results.forEach((r) => grid.append(recordCard(r)));
    show(el("h2", {}, `Results for “${q || "image"}”`), body.results.length ? grid : el("p", {}, "Nothing found."));
  } catch (e) {
    showError(e);
  }
}

// ---- Films list ----

function statusBadge(f) {
  return el("span", { class: "status status-" + f.status }, f.status + (f.status === "rendering" ? " " + pct(f.progress) : ""));
}

async function showFilms() {
  try {
    const body = await api("/api/v1/films?limit=100");
    const grid = el("div", { class: "grid", id: "film-list" });
    for (const f of body.films) {
      const link = el("a", { href: "#/film/" + f.id });
      if (f.poster_url) link.append(el("img", { src: media(f.poster_url), alt: "", loading: "lazy" }));
      link.append(el("div", {}, f.title || "film " + f.id));
      const card = el("div", { class: "card" }, link, el("div", { class: "muted" }, statusBadge(f), ` ${f.frames_rendered}/${f.frame_count} frames`));
      if (f.status === "rendering" || (f.job && (f.job.state === "queued" || f.job.state === "running")))
        card.append(el("progress", { max: "1", value: String(f.progress), "aria-label": "render progress" }));
      if (f.error) card.append(el("div", { class: "error" }, f.error));
      grid.append(card);
    }
    show(el("h2", {}, "Films"), body.films.length ? grid : el("p", {}, "No films yet: `palimpsest make` or POST /api/v1/films makes one."));
  } catch (e) {
    showError(e);
  }
}

// ---- Film page ----

function provItem(p) {
  const r = p.record;
  const title = r ? r.title || r.excerpt || r.kind + " " + r.id : "record " + p.record_id + " (deleted)";
  const thumb = r && r.thumbnail_url ? el("img", { src: media(r.thumbnail_url), alt: "" }) : el("span", { class: "no-thumb", "aria-hidden": "true" });
  const bar = el("span", { class: "bar", "aria-hidden": "true" }, el("span", { style: `width:${Math.max(1, p.weight * 100).toFixed(1)}%` }));
  const label = r ? el("a", { href: "#/record/" + p.record_id, class: "record-link", "data-record": String(p.record_id) }, title) : el("span", {}, title);
  return el("li", { class: "prov-item role-" + p.role, "data-record": String(p.record_id) },
    thumb,
    el("div", {}, el("div", { class: "title" }, label), el("div", { class: "weight" }, bar, el("span", {}, `${p.role} ${pct(p.weight)}`))));
}

function provSection(title, items, id) {
  if (!items.length) return null;
  return el("section", { id }, el("h3", {}, `${title} (${items.length})`), el("ul", { class: "prov-list" }, ...items.map(provItem)));
}

// What the whole shot drew on (the film provenance's per-shot shares), strongest first; the
// frame's own weights are above it.
function shotSharesSection(shares) {
  if (!shares || !shares.length) return null;
  const top = shares.slice(0, 8).map((s) => ({ ...s, weight: s.share }));
  return el("details", { id: "shot-shares", open: true },
    el("summary", {}, `Whole shot: ${shares.length} records`, shares.length > top.length ? ` (top ${top.length})` : ""),
    el("ul", { class: "prov-list" }, ...top.map(provItem)));
}

function renderProvenance(panel, p, shotShares) {
  const shot = p.shot;
  const nodes = [];
  nodes.push(el("h3", {}, "Shot"));
  if (shot) {
    nodes.push(el("blockquote", { class: "shot-line", id: "shot-line" }, shot.raw_text || shot.text));
    const meta = [`shot ${shot.index + 1}`, `frames ${shot.start_frame}–${shot.end_frame - 1}`, `line ${shot.source_line}`];
    if (shot.character) meta.push(shot.character);
    if (shot.scene) meta.push(shot.scene);
    nodes.push(el("div", { class: "shot-meta" }, meta.join(" · ") + (p.diffused ? "" : " · in-between (cadence) frame")));
  } else {
    nodes.push(el("p", { class: "muted", id: "shot-line" }, "This frame is in a gap between shots."));
  }
  const by = (role) => p.entries.filter((e) => e.role === role);
  for (const [title, role] of [["Keyframes", "keyframe"], ["Guidance", "guidance"], ["Denoiser records", "denoiser"], ["Initial image", "init"]]) {
    const s = provSection(title, by(role), "prov-" + role);
    if (s) nodes.push(s);
  }
  if (!p.entries.length) nodes.push(el("p", { class: "muted" }, "No provenance recorded for this frame."));
  const whole = shotSharesSection(shotShares);
  if (whole) nodes.push(whole);
  panel.replaceChildren(...nodes);
  panel.dataset.frame = String(p.frame);
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
    (film.job ? ` · job ${film.job.state}` : "") + (film.error ? ` · ${film.error}` : ""));
  const links = el("p", { class: "muted" },
    el("a", { href: media(film.provenance_url) }, "provenance (JSON)"), " · ",
    film.timeline_otio_url ? el("a", { href: media(film.timeline_otio_url) }, "timeline (.otio)") : "",
    film.video_url ? el("span", {}, " · ", el("a", { href: media(film.video_url) }, "video (MP4)")) : "");

  if (!frames.length) {
    show(title, info, links, el("p", {}, "No frames rendered yet."));
    if (film.status === "rendering" || (film.job && ["queued", "running"].includes(film.job.state))) {
      const timer = setTimeout(() => route(), 2000);
      cleanup = () => clearTimeout(timer);
    }
    return;
  }

  // While it renders, the page follows: reloaded every few seconds at the frame being looked at.
  const rendering = film.status === "rendering" || (film.job && ["queued", "running"].includes(film.job.state));
  let refresh = null;
  if (rendering) refresh = setTimeout(() => route(), 4000);

  const frameNumbers = frames.map((f) => f.frame);
  const byFrame = new Map(frames.map((f) => [f.frame, f]));
  let index = Math.max(0, frameNumbers.indexOf(Number(startFrame)));
  if (startFrame === undefined || frameNumbers.indexOf(Number(startFrame)) < 0) index = 0;

  const image = el("img", { id: "frame-image", alt: "" });
  const overlay = el("img", { id: "map-overlay", class: "overlay", alt: "", hidden: true });
  const stage = el("div", { class: "stage" }, image, overlay);
  const scrubber = el("input", { type: "range", id: "scrubber", min: "0", max: String(frames.length - 1), value: String(index), step: "1", "aria-label": "Frame" });
  const prev = el("button", { type: "button", id: "prev-frame", "aria-label": "Previous frame" }, "◀");
  const next = el("button", { type: "button", id: "next-frame", "aria-label": "Next frame" }, "▶");
  const label = el("span", { class: "frame-label", id: "frame-label", "aria-live": "polite" });
  const mapToggle = el("input", { type: "checkbox", id: "map-toggle" });
  const mapLabel = el("label", { for: "map-toggle" }, mapToggle, " attribution map");
  const controls = el("div", { class: "controls" }, prev, scrubber, next, label, mapLabel);
  const help = el("p", { class: "kbd-help" }, el("kbd", {}, "←"), " ", el("kbd", {}, "→"), " step frames, ",
    el("kbd", {}, "Shift"), "+arrows step 10, ", el("kbd", {}, "Home"), "/", el("kbd", {}, "End"), " first/last, ", el("kbd", {}, "M"), " map overlay");
  const video = film.video_url ? el("video", { id: "film-video", controls: true, preload: "metadata", src: media(film.video_url) }) : null;
  const panel = el("aside", { id: "provenance", "aria-label": "Provenance of the current frame", "aria-live": "polite" }, el("p", {}, "Loading…"));
  show(title, info, links, el("div", { class: "film" }, el("div", {}, stage, controls, help, video), panel));

  const cache = new Map();
  // Per-shot shares, fetched once for the page (null when the request fails: the frame's own
  // provenance still shows).
  const filmProvenance = api(`/api/v1/films/${id}/provenance`).catch(() => null);
  const sharesOfShot = (fp, shot) => {
    if (!fp || !shot) return null;
    const s = fp.shots.find((x) => x.index === shot.index);
    return s ? s.shares : null;
  };
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
    overlay.hidden = !(mapToggle.checked && f.map_url);
    if (f.map_url) overlay.src = media(f.map_url);
    mapToggle.disabled = !f.map_url;
    label.textContent = `Frame ${n} / ${film.frame_count - 1} · ${(n / fps).toFixed(2)} s`;
    history.replaceState(null, "", `#/film/${id}/${n}`);
    if (video && !fromVideo && video.paused) video.currentTime = (n + 0.5) / fps;
    const seq = ++requestSeq;
    try {
      const [p, fp] = await Promise.all([provenanceOf(n), filmProvenance]);
      if (seq === requestSeq) renderProvenance(panel, p, sharesOfShot(fp, p.shot));
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
  });
  if (video) {
    video.addEventListener("timeupdate", () => {
      if (!video.paused) {
        const n = Math.floor(video.currentTime * fps);
        const i = frameNumbers.indexOf(n);
        if (i >= 0) go(i, true);
      }
    });
  }
  const onKey = (ev) => {
    const t = ev.target;
    if (t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && t.type !== "range" && t.type !== "checkbox")) ) return;
    if (t && t.tagName === "VIDEO") return;
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

// ---- Record page ----

async function showRecord(id) {
  try {
    const [r, uses] = await Promise.all([api("/api/v1/records/" + id), api("/api/v1/records/" + id + "/films")]);
    const sections = [];
    for (const f of uses.films) {
      const rows = f.frames.map((fr) => el("tr", {},
        el("td", {}, el("a", { href: `#/film/${f.film_id}/${fr.frame}`, class: "use-link" }, `frame ${fr.frame}`)),
        el("td", {}, fr.role),
        el("td", { class: "w" }, el("div", { class: "weight role-" + fr.role }, el("span", { class: "bar", "aria-hidden": "true" }, el("span", { style: `width:${Math.max(1, fr.weight * 100).toFixed(1)}%` })), el("span", {}, pct(fr.weight))))));
      sections.push(el("section", {},
        el("h4", {}, el("a", { href: `#/film/${f.film_id}` }, f.title || "film " + f.film_id), ` — ${f.frames.length} frame uses`),
        el("table", { class: "uses" }, el("thead", {}, el("tr", {}, el("th", {}, "Frame"), el("th", {}, "Role"), el("th", {}, "Weight"))), el("tbody", {}, ...rows))));
    }
    const where = `${r.kind} from ${r.uri}` + (r.kind === "frame" || r.kind === "subtitle" ? ` at ${(r.ts_ms / 1000).toFixed(3)} s` : "");
    show(
      el("h2", {}, r.title || r.kind + " " + r.id),
      el("div", { class: "record-head" },
        r.thumbnail_url ? el("img", { src: media(r.thumbnail_url), alt: r.title }) : null,
        el("div", {}, el("p", {}, where), el("p", {}, el("a", { href: media(r.media_url) }, "source media")), r.text ? el("p", {}, r.text) : null)),
      el("h3", {}, "Used in films"),
      el("div", { id: "reverse-provenance" }, ...(sections.length ? sections : [el("p", {}, "Not used by any film yet.")])));
  } catch (e) {
    showError(e);
  }
}

async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  if (parts[0] === "record" && parts[1]) return showRecord(parts[1]);
  if (parts[0] === "film" && parts[1]) return showFilm(parts[1], parts[2]);
  if (parts[0] === "films") return showFilms();
  if (parts[0] === "search") return showSearch(decodeURIComponent(parts[1] || ""));
  return showFilms();
}

document.getElementById("search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = document.getElementById("q").value;
  const file = document.getElementById("image").files[0];
  if (file) showSearch(q, file);
  else location.hash = "#/search/" + encodeURIComponent(q);
});
window.addEventListener("hashchange", route);
route();
