// Palimpsest viewer: the films list and starting a film (POST /api/v1/films) with live progress.
"use strict";

// The render's state as the server judges it (film.render: planned, queued, rendering, stopped,
// done, failed); a server without that field gives the film's status.
const renderState = (f) => (f.render && f.render.state) || f.status;
const isLive = (f) => ["queued", "rendering"].includes(renderState(f));

function statusBadge(f) {
  const state = renderState(f);
  const text = state === "rendering" || state === "stopped" ? `${state} ${pct(f.progress || 0)}` : state;
  return el("span", { class: "status status-" + state, "data-state": state, title: (f.render && f.render.note) || (f.error || "") }, text);
}

// Why a render stopped or failed, and how to go on.
function renderNote(f) {
  const state = renderState(f);
  const note = (f.render && f.render.note) || f.error;
  if (state !== "stopped" && state !== "failed") return null;
  return el("p", { class: state === "failed" ? "error render-note" : "warning render-note", role: "status" },
    state === "stopped" ? "Stopped: " : "Failed: ", note || "the render is not running");
}

async function showFilms() {
  try {
    const body = await api("/api/v1/films?limit=100");
    const grid = el("div", { class: "grid", id: "film-list" });
    for (const f of body.films) {
      const link = el("a", { href: "#/film/" + f.id });
      if (f.poster_url) link.append(el("img", { src: media(f.poster_url), alt: "", loading: "lazy" }));
      link.append(el("div", {}, f.title || "film " + f.id));
      const card = el("div", { class: "card", "data-film": String(f.id) }, link,
        el("div", { class: "muted" }, statusBadge(f), ` ${f.frames_rendered}/${f.frame_count} frames`));
      if (isLive(f)) card.append(el("progress", { max: "1", value: String(f.progress), "aria-label": "render progress" }));
      const note = renderNote(f);
      if (note) card.append(note);
      grid.append(card);
    }
    const live = body.films.some(isLive);
    if (live) {
      const timer = setTimeout(() => route(), 3000);
      cleanup = () => clearTimeout(timer);
    }
    show(el("h2", {}, "Films ", el("a", { href: "#/new", class: "button", id: "new-film" }, "+ new film")),
      body.films.length ? grid : el("p", {}, "No films yet: start one here, or `palimpsest make`."));
  } catch (e) {
    showError(e);
  }
}

// ---- A new film: a manuscript pasted or read from a file, a few render settings ----

function showNewFilm() {
  const manuscript = el("textarea", { id: "manuscript", rows: "14", required: true, placeholder: "A Fountain screenplay, SRT/WebVTT subtitles or plain text: one shot per line or cue" });
  const file = el("input", { type: "file", id: "manuscript-file", accept: ".fountain,.txt,.md,.srt,.vtt,text/*" });
  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    if (f.size > 1024 * 1024) { status.replaceChildren(el("p", { class: "error" }, `${f.name} is larger than 1 MiB, the server's manuscript limit`)); return; }
    manuscript.value = await f.text();
    if (!title.value) title.value = f.name.replace(/\.[^.]*$/, "");
    const ext = (f.name.match(/\.([^.]+)$/) || [])[1] || "";
    format.value = { fountain: "fountain", srt: "srt", vtt: "webvtt", txt: "text", md: "text" }[ext.toLowerCase()] || "";
  });
  const title = el("input", { id: "film-title", maxlength: "200" });
  const format = el("select", { id: "format" }, ...[["", "by content"], ["fountain", "Fountain"], ["srt", "SRT"], ["webvtt", "WebVTT"], ["text", "plain text"]]
    .map(([v, t]) => el("option", { value: v }, t)));
  const size = el("select", { id: "size" }, ...["160x96", "320x192", "512x320", "640x384"].map((s) => el("option", { value: s, selected: s === "320x192" }, s)));
  const fps = el("input", { id: "fps", type: "number", min: "1", max: "60", value: "12" });
  const steps = el("input", { id: "steps", type: "number", min: "1", max: "200", placeholder: "default" });
  const denoiser = el("select", { id: "denoiser" }, ...["global", "local", "local_windowed"].map((d) => el("option", { value: d }, d)));
  const tokenField = el("input", { id: "token", type: "password", autocomplete: "off", placeholder: token ? "(kept for this tab)" : "when the server has one" });
  const status = el("div", { id: "new-film-status", "aria-live": "polite" });
  const submit = el("button", { type: "submit" }, "Plan and render");
  const row = (label, input) => el("label", {}, el("span", {}, label), input);
  const form = el("form", { id: "new-film-form", class: "form" },
    row("Manuscript", manuscript), row("…or from a file", file), row("Title", title), row("Format", format),
    el("div", { class: "form-row" }, row("Size", size), row("fps", fps), row("Steps", steps), row("Denoiser", denoiser)),
    row("Server token", tokenField), submit, status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (tokenField.value) setToken(tokenField.value);
    const body = { manuscript: manuscript.value, size: size.value, fps: Number(fps.value), denoiser: denoiser.value };
    if (title.value) body.title = title.value;
    if (format.value) body.format = format.value;
    if (steps.value) body.steps = Number(steps.value);
    submit.disabled = true;
    status.replaceChildren(el("p", {}, "Planning…"));
    try {
      const film = await api("/api/v1/films", { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
      followRender(film.id, status);
    } catch (e) {
      submit.disabled = false;
      const hint = e.status === 401 ? " Give the server's token (serve --token) above." : "";
      status.replaceChildren(el("p", { class: "error", role: "alert" }, e.message + hint));
    }
  });
  show(el("h2", {}, "New film"), form);
}

// Live progress of a render until it ends, then a link to the film.
function followRender(id, status) {
  let timer = null;
  const poll = async () => {
    try {
      const f = await api(`/api/v1/films/${id}?timeline=0`);
      const state = renderState(f);
      const warnings = (f.warnings || []).map((w) => el("li", {}, typeof w === "string" ? w : w.message || JSON.stringify(w)));
      status.replaceChildren(
        el("p", {}, el("a", { href: "#/film/" + id, id: "new-film-link" }, f.title || "film " + id), " ", statusBadge(f),
          ` ${f.frames_rendered}/${f.frame_count} frames`),
        isLive(f) ? el("progress", { id: "new-film-progress", max: "1", value: String(f.progress || 0) }) : null,
        renderNote(f),
        f.pictures && f.pictures.shots !== undefined ? el("p", { class: "muted" }, `${f.pictures.shots} shots: ${f.pictures.own} with their own pictures, ${f.pictures.borrowed} borrowed, ${f.pictures.empty} empty`) : null,
        warnings.length ? el("ul", { class: "warnings" }, ...warnings) : null);
      if (isLive(f) || state === "planned") timer = setTimeout(poll, 1000);
    } catch (e) {
      status.replaceChildren(el("p", { class: "error" }, e.message));
    }
  };
  poll();
  cleanup = () => clearTimeout(timer);
}
