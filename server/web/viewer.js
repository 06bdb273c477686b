// Palimpsest viewer: the router and the header's search form. Loaded last (index.html).
"use strict";

// The image chosen for an image search, shown in the header until cleared.
const imageInput = document.getElementById("image");
const imageState = document.getElementById("image-state");
function showImageState() {
  const file = imageInput.files[0];
  imageState.hidden = !file;
  imageState.replaceChildren();
  if (!file) return;
  const clear = el("button", { type: "button", id: "clear-image", "aria-label": "Clear the search image" }, "✕");
  clear.addEventListener("click", () => {
    imageInput.value = "";
    showImageState();
    if (location.hash.startsWith("#/search")) route();
  });
  imageState.append(el("span", {}, "image: ", el("strong", {}, file.name)), " ", clear);
}
imageInput.addEventListener("change", showImageState);

function searchHash() {
  const params = new URLSearchParams();
  const q = document.getElementById("q").value;
  const kind = document.getElementById("kind").value;
  const mode = document.getElementById("mode").value;
  if (q) params.set("q", q);
  if (kind) params.set("kind", kind);
  if (mode && mode !== "hybrid") params.set("mode", mode);
  return "#/search?" + params;
}

async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  const path = location.hash.replace(/^#\/?/, "").split("?")[0];
  const parts = path.split("/");
  const params = hashParams();
  if (parts[0] === "record" && parts[1]) return showRecord(parts[1]);
  if (parts[0] === "similar" && parts[1]) return showSimilar(parts[1], params);
  if (parts[0] === "film" && parts[1]) return showFilm(parts[1], parts[2]);
  if (parts[0] === "films") return showFilms();
  if (parts[0] === "new") return showNewFilm();
  if (parts[0] === "records") return showRecords(params);
  if (parts[0] === "search") {
    // #/search/<q> (older links) or #/search?q=&kind=&mode=; an image chosen in the header joins.
    if (parts[1]) params.set("q", decodeURIComponent(parts[1]));
    return showSearch(params, imageInput.files[0]);
  }
  return showFilms();
}

document.getElementById("search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const hash = searchHash();
  if (location.hash === hash) route();
  else location.hash = hash;
});
window.addEventListener("hashchange", route);
route();
