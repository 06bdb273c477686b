// Palimpsest viewer: search, the records browser, "find similar" and the record page.
"use strict";
const KINDS = ["image", "frame", "text", "subtitle", "audio", "speech", "ocr"];

// Consecutive numbers (sorted) as [first, last] pairs.
function ranges(sorted) {
  const out = [];
  for (const n of sorted) {
    if (out.length && n === out[out.length - 1][1] + 1) out[out.length - 1][1] = n;
    else if (!out.length || n > out[out.length - 1][1]) out.push([n, n]);
  }
  return out;
}
const rangeText = ([a, b]) => (a === b ? String(a) : `${a}–${b}`);

function resultsGrid(results, id) {
  const grid = el("div", { class: "grid", id });
  results.forEach((r) => grid.append(recordCard(r)));
  return grid;
}

// ---- Search (text from the hash; an image from the header's file field) ----

async function showSearch(params, file) {
  const q = params.get("q") || "";
  const kind = params.get("kind") || "";
  const mode = params.get("mode") || "hybrid";
  document.getElementById("q").value = q;
  document.getElementById("kind").value = kind;
  document.getElementById("mode").value = mode;
  show(el("p", {}, "Searching…"));
  try {
    const query = new URLSearchParams({ q, k: "24" });
    if (kind) query.set("kind", kind);
    if (mode !== "hybrid" && !file) query.set("mode", mode);
    const body = file
      ? await api("/api/v1/search?" + query, { method: "POST", body: file, headers: { "Content-Type": file.type } })
      : await api("/api/v1/search?" + query);
    const what = [file ? `image “${file.name}”` : null, q ? `“${q}”` : null].filter(Boolean).join(" and ");
    const filters = [kind ? `kind ${kind}` : null, file ? "dense (image)" : mode].filter(Boolean).join(" · ");
    show(el("h2", {}, `Results for ${what || "nothing"}`), el("p", { class: "muted", id: "search-filters" }, filters),
      body.results.length ? resultsGrid(body.results, "search-results") : el("p", {}, "Nothing found."));
  } catch (e) {
    showError(e);
  }
}

// ---- Records browser: every record, by kind, a page at a time (keyset: ?after=<last id>) ----

async function showRecords(params) {
  const kind = params.get("kind") || "";
  const after = params.get("after") || "";
  const query = new URLSearchParams({ limit: "48" });
  if (kind) query.set("kind", kind);
  if (after) query.set("after", after);
  const select = el("select", { id: "records-kind", "aria-label": "Kind" }, el("option", { value: "" }, "every kind"),
    ...KINDS.map((k) => el("option", { value: k, selected: k === kind }, k)));
  select.addEventListener("change", () => { location.hash = "#/records" + (select.value ? "?kind=" + select.value : ""); });
  const head = [el("h2", {}, "Records"), el("p", { class: "controls" }, el("label", {}, "Kind ", select))];
  try {
    const body = await api("/api/v1/records?" + query);
    const pager = el("nav", { class: "pager", "aria-label": "Pages" },
      after ? el("a", { href: "#/records" + (kind ? "?kind=" + kind : ""), id: "first-page" }, "« first page") : null,
      after ? el("span", { class: "muted" }, ` records after #${after} `) : null,
      body.next_after ? el("a", { href: `#/records?${kind ? "kind=" + kind + "&" : ""}after=${body.next_after}`, id: "next-page" }, "next page »") : null);
    show(...head, body.records.length ? resultsGrid(body.records, "record-list") : el("p", {}, "No records."), pager);
  } catch (e) {
    show(...head, el("p", { class: "error", role: "alert" }, e.message));
  }
}

// ---- Find similar: the records nearest a record's own vector ----

async function showSimilar(id, params) {
  const kind = params.get("kind") || "";
  show(el("p", {}, "Finding similar records…"));
  try {
    const query = new URLSearchParams({ k: "24" });
    if (kind) query.set("kind", kind);
    const [r, body] = await Promise.all([api("/api/v1/records/" + id), api(`/api/v1/records/${id}/similar?` + query)]);
    const select = el("select", { id: "similar-kind", "aria-label": "Kind" }, el("option", { value: "" }, "every kind"),
      ...KINDS.map((k) => el("option", { value: k, selected: k === kind }, k)));
    select.addEventListener("change", () => { location.hash = `#/similar/${id}` + (select.value ? "?kind=" + select.value : ""); });
    show(el("h2", {}, "Similar to ", el("a", { href: "#/record/" + id }, recordName(r))),
      el("p", { class: "muted" }, `nearest by ${body.model} · `, el("label", {}, "kind ", select)),
      body.results.length ? resultsGrid(body.results, "similar-results") : el("p", {}, "Nothing similar found."));
  } catch (e) {
    showError(e);
  }
}

// ---- Record page ----

// What the record says or shows: audio plays, speech shows its words on their times, OCR its
// word boxes over the picture, a video frame opens its video at that time.
function recordBody(r) {
  const nodes = [];
  const meta = r.meta || {};
  if (r.kind === "audio" || r.kind === "speech") {
    if (r.kind === "audio" && r.thumbnail_url) nodes.push(el("img", { class: "waveform", src: media(r.thumbnail_url), alt: "waveform" }));
    const player = el("audio", { id: "record-audio", controls: true, preload: "none", src: media(r.media_url) });
    nodes.push(player);
    if (meta.silent) nodes.push(el("p", { class: "muted" }, "A silent segment (kept so that the file's audio records tile it)."));
    if (Array.isArray(meta.words) && meta.words.length) {
      const words = el("p", { class: "words", id: "speech-words" });
      for (const w of meta.words) {
        const b = el("button", { type: "button", class: "word", title: `${clock(w.start_ms)}–${clock(w.end_ms)} · confidence ${Number(w.confidence).toFixed(2)}` }, w.text);
        if (w.confidence < 0.4) b.classList.add("unsure");
        b.addEventListener("click", () => { player.currentTime = Math.max(0, (w.start_ms - r.ts_ms) / 1000); player.play().catch(() => {}); });
        words.append(b, " ");
      }
      nodes.push(words);
    }
    if (meta.low_confidence) nodes.push(el("p", { class: "warning" }, "The recogniser is unsure of this utterance (music or noise?): a guess."));
  } else if (r.kind === "ocr") {
    const picture = r.links && r.links.picture_record_id;
    const size = Array.isArray(meta.size) ? meta.size : [r.width, r.height];
    const figure = el("div", { class: "ocr-picture", id: "ocr-picture" });
    if (picture) figure.append(el("img", { src: media(`/api/v1/records/${picture}/thumbnail.jpg`), alt: "the picture read" }));
    for (const block of meta.blocks || [])
      for (const p of block.paragraphs || [])
        for (const line of p.lines || [])
          for (const w of line.words || []) {
            if (!Array.isArray(w.box) || !size[0] || !size[1]) continue;
            const [x, y, bw, bh] = w.box;
            figure.append(el("span", { class: "ocr-box", title: `${w.text} (${w.conf})`,
              style: `left:${(100 * x / size[0]).toFixed(2)}%;top:${(100 * y / size[1]).toFixed(2)}%;width:${(100 * bw / size[0]).toFixed(2)}%;height:${(100 * bh / size[1]).toFixed(2)}%` }));
          }
    nodes.push(figure);
    if (meta.low_confidence) nodes.push(el("p", { class: "warning" }, `Low OCR confidence (${Number(meta.confidence).toFixed(1)}): some characters may be wrong.`));
  } else if (r.kind === "frame") {
    nodes.push(el("video", { id: "record-video", controls: true, preload: "metadata", src: media(r.media_url) + `#t=${(r.ts_ms / 1000).toFixed(3)}` }));
  } else if (r.thumbnail_url) {
    nodes.push(el("img", { class: "record-picture", src: media(r.thumbnail_url), alt: r.title || "" }));
  }
  // A transcript's words are shown above, on their times.
  const wordsShown = r.kind === "speech" && Array.isArray(meta.words) && meta.words.length;
  if (r.text && !wordsShown) nodes.push(el("blockquote", { class: "record-text", id: "record-text" }, r.text));
  return nodes;
}

// A record's uses in one film, by shot and role, as frame ranges.
function filmUses(f, film) {
  const shots = (film && film.shots) || [];
  const shotOf = (n) => shots.find((s) => s.start_frame <= n && n < s.end_frame);
  const groups = new Map(); // "shot|role" -> {shot, role, frames, peak}
  const add = (n, role, weight) => {
    const s = shotOf(n);
    const key = (s ? s.index : -1) + "|" + role;
    if (!groups.has(key)) groups.set(key, { shot: s, role, frames: [], peak: 0 });
    const g = groups.get(key);
    g.frames.push(n);
    g.peak = Math.max(g.peak, weight);
  };
  for (const fr of f.frames) add(fr.frame, fr.role, fr.weight);
  for (const h of f.heard || []) for (let n = h.first_frame; n < h.end_frame; ++n) add(n, "heard", h.gain);
  const rows = [...groups.values()].sort((a, b) => ((a.shot ? a.shot.index : -1) - (b.shot ? b.shot.index : -1)) || a.role.localeCompare(b.role));
  const body = rows.map((g) => {
    const frames = [...new Set(g.frames)].sort((a, b) => a - b);
    const links = [];
    for (const range of ranges(frames)) {
      if (links.length) links.push(", ");
      links.push(el("a", { href: `#/film/${f.film_id}/${range[0]}`, class: "use-link" }, rangeText(range)));
    }
    const shot = g.shot ? el("span", {}, `shot ${g.shot.index + 1}`, el("span", { class: "muted" }, " " + (g.shot.text || g.shot.raw_text || ""))) : el("span", { class: "muted" }, "between shots");
    return el("tr", { "data-role": g.role },
      el("td", {}, shot), el("td", {}, g.role), el("td", {}, ...links),
      el("td", { class: "w" }, el("div", { class: "weight role-" + g.role }, el("span", { class: "bar", "aria-hidden": "true" },
        el("span", { style: `width:${Math.max(1, Math.min(1, g.peak) * 100).toFixed(1)}%` })), el("span", {}, (g.role === "heard" ? "gain " : "") + pct(g.peak)))));
  });
  const heardNote = f.heard && f.heard.length ? `, heard in ${f.heard.length} intervals` : "";
  return el("section", { class: "film-uses", "data-film": String(f.film_id) },
    el("h4", {}, el("a", { href: `#/film/${f.film_id}` }, f.title || "film " + f.film_id), ` — ${f.frames.length} frames${heardNote}`),
    el("table", { class: "uses" }, el("thead", {}, el("tr", {}, el("th", {}, "Shot"), el("th", {}, "Role"), el("th", {}, "Frames"), el("th", {}, "Peak"))), el("tbody", {}, ...body)));
}

async function showRecord(id) {
  try {
    const [r, uses] = await Promise.all([api("/api/v1/records/" + id), api("/api/v1/records/" + id + "/films")]);
    const films = await Promise.all(uses.films.map((f) => api(`/api/v1/films/${f.film_id}?timeline=0`).catch(() => null)));
    const sections = uses.films.map((f, i) => filmUses(f, films[i]));
    const where = [r.kind, r.source ? "from " + r.source.uri : "from " + r.uri, whereInSource(r)].filter(Boolean).join(" · ");
    const similar = el("section", { id: "similar" });
    const similarButton = el("button", { type: "button", id: "find-similar" }, "Find similar");
    similarButton.addEventListener("click", async () => {
      similar.replaceChildren(el("p", {}, "Finding similar records…"));
      try {
        const body = await api(`/api/v1/records/${r.id}/similar?k=12`);
        similar.replaceChildren(el("h3", {}, `Similar (${body.model})`),
          body.results.length ? resultsGrid(body.results, "similar-results") : el("p", {}, "Nothing similar found."));
      } catch (e) {
        similar.replaceChildren(el("p", { class: "error" }, e.message));
      }
    });
    const links = Object.entries(r.links || {}).filter(([name]) => /_record_ids?$/.test(name)).flatMap(([name, v]) => (Array.isArray(v) ? v : [v]).map((x) => [name, x]))
      .filter(([, x]) => Number.isInteger(x))
      .map(([name, x]) => el("a", { href: "#/record/" + x, class: "linked-record" }, `${name.replace(/_record_ids?$/, "")} #${x}`));
    show(
      el("h2", {}, recordName(r)),
      el("div", { class: "record-head" },
        el("div", { class: "record-media" }, ...recordBody(r)),
        el("div", {}, el("p", {}, where),
          el("p", {}, el("a", { href: media(r.media_url), id: "source-media" }, "source media"), " · ", similarButton),
          links.length ? el("p", { class: "muted" }, "linked: ", ...links.flatMap((a, i) => (i ? [", ", a] : [a]))) : null)),
      similar,
      el("h3", {}, "Used in films"),
      el("div", { id: "reverse-provenance" }, ...(sections.length ? sections : [el("p", {}, "Not used by any film yet.")])));
  } catch (e) {
    showError(e);
  }
}
