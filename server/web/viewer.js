// Palimpsest viewer: plain JS, no build step, no external resources.
"use strict";
const view = document.getElementById("view");

async function api(path, options) {
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((body.error && body.error.message) || res.statusText);
  return body;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function recordCard(r) {
  const card = el("div", { class: "card" });
  const link = el("a", { href: "#/record/" + r.id });
  if (r.thumbnail_url) link.append(el("img", { src: r.thumbnail_url, alt: r.title, loading: "lazy" }));
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
  view.replaceChildren(el("p", {}, "Searching…"));
  try {
    const params = new URLSearchParams({ q: q || "", k: "24" });
    const body = file
      ? await api("/api/v1/search?" + params, { method: "POST", body: file, headers: { "Content-Type": file.type } })
      : await api("/api/v1/search?" + params);
    const grid = el("div", { class: "grid" });
    body.results.forEach((r) => grid.append(recordCard(r)));
    view.replaceChildren(el("h2", {}, `Results for “${q || "image"}”`), grid);
  } catch (e) {
    view.replaceChildren(el("p", { class: "error" }, e.message));
  }
}

async function showRecord(id) {
  try {
    const r = await api("/api/v1/records/" + id);
    const uses = await api("/api/v1/records/" + id + "/films");
    const list = el("ul", { id: "reverse-provenance" });
    for (const f of uses.films)
      for (const fr of f.frames)
        list.append(el("li", {}, el("a", { href: `#/film/${f.film_id}/${fr.frame}` }, `${f.title || "film " + f.film_id} frame ${fr.frame}`), ` ${fr.role} ${(fr.weight * 100).toFixed(1)}%`));
    view.replaceChildren(
      el("h2", {}, r.title),
      r.thumbnail_url ? el("img", { src: r.thumbnail_url, alt: r.title }) : el("span"),
      el("p", {}, `${r.kind} from ${r.uri}` + (r.kind === "frame" || r.kind === "subtitle" ? ` at ${(r.ts_ms / 1000).toFixed(3)} s` : "")),
      el("p", {}, r.text || ""),
      el("h3", {}, "Used in films"),
      uses.films.length ? list : el("p", {}, "Not used by any film yet."));
  } catch (e) {
    view.replaceChildren(el("p", { class: "error" }, e.message));
  }
}

async function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  if (parts[0] === "record" && parts[1]) return showRecord(parts[1]);
  if (parts[0] === "search") return showSearch(decodeURIComponent(parts[1] || ""));
  view.replaceChildren(el("p", {}, "Search the archive above."));
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
