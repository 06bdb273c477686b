// Palimpsest viewer, shared helpers: the API client, DOM building, formatting, record cards.
// Plain JS, no build step, no external resources. The pages are in records.js, films.js and
// film.js; viewer.js routes between them (#/films, #/film/<id>[/<frame>], #/record/<id>,
// #/similar/<id>, #/records?kind=&after=, #/search?q=&kind=&mode=, #/new).
"use strict";
const view = document.getElementById("view");
let cleanup = null; // the current page's teardown (timers, key handlers)

// A server bound to a non-loopback address (or started with --token) wants its token: open the
// viewer once as /?access_token=TOKEN (kept for this tab), or give it in the new-film form. <img>
// and <video> cannot send headers, so their URLs carry it as a parameter.
let token = (() => {
  const given = new URLSearchParams(location.search).get("access_token");
  if (given) sessionStorage.setItem("palimpsest-token", given);
  return given || sessionStorage.getItem("palimpsest-token") || "";
})();
function setToken(t) {
  token = t || "";
  if (token) sessionStorage.setItem("palimpsest-token", token);
}
const media = (url) => (token && url ? url + (url.includes("?") ? "&" : "?") + "access_token=" + encodeURIComponent(token) : url);

class ApiFailure extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, options) {
  options = options || {};
  if (token) options.headers = Object.assign({ Authorization: "Bearer " + token }, options.headers || {});
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiFailure((body.error && body.error.message) || res.statusText, res.status, body.error && body.error.code);
  return body;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// The SVG namespace's elements (the metrics plot).
function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, v);
  for (const c of children) if (c) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const pct = (w) => (w * 100).toFixed(w >= 0.1 ? 1 : 2) + "%";

// 83500 -> "1:23.5"
function clock(ms) {
  const s = Math.max(0, ms) / 1000;
  const m = Math.floor(s / 60);
  return `${m}:${(s - 60 * m).toFixed(1).padStart(4, "0")}`;
}

// Where in its source a record is: a time range for what has a time, a page for a PDF's records.
const TIMED = new Set(["frame", "subtitle", "audio", "speech"]);
function whereInSource(r) {
  const parts = [];
  if (r.page !== null && r.page !== undefined) parts.push(`page ${r.page}`);
  if (TIMED.has(r.kind) || (r.kind === "ocr" && r.ts_ms > 0)) {
    parts.push(r.dur_ms ? `${clock(r.ts_ms)}–${clock(r.ts_ms + r.dur_ms)}` : `@ ${clock(r.ts_ms)}`);
  }
  return parts.join(" · ");
}

function show(...nodes) {
  view.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined && n !== false));
}

function showError(e) {
  show(el("p", { class: "error", role: "alert" }, e.message || String(e)));
}

const recordName = (r) => r.title || r.excerpt || r.kind + " " + r.id;

function recordCard(r) {
  const card = el("div", { class: "card", "data-record": String(r.id) });
  const link = el("a", { href: "#/record/" + r.id });
  if (r.thumbnail_url) link.append(el("img", { src: media(r.thumbnail_url), alt: r.title || "", loading: "lazy" }));
  link.append(el("div", {}, r.kind + " · " + (r.title || r.source_name || "record " + r.id)));
  card.append(link);
  const where = whereInSource(r);
  if (where) card.append(el("div", { class: "where muted" }, where));
  if (r.excerpt) card.append(el("div", { class: "excerpt" }, r.excerpt));
  if (r.rank) {
    const s = (x) => (x === null || x === undefined ? "–" : Number(x).toFixed(3));
    card.append(el("div", { class: "scores" }, `#${r.rank} dense ${s(r.dense_score)}` +
      (r.fused_score !== undefined ? ` lexical ${s(r.lexical_score)} fused ${s(r.fused_score)}` : "")));
  }
  card.append(el("a", { href: "#/similar/" + r.id, class: "similar-link" }, "find similar"));
  return card;
}

// The hash's own query: "#/records?kind=image&after=12" -> URLSearchParams.
function hashParams() {
  const q = location.hash.indexOf("?");
  return new URLSearchParams(q < 0 ? "" : location.hash.slice(q + 1));
}
