-- GET /api/v1/search with queries cycling through a list (not one cached query).
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local queries = {
  "red circle", "blue square in the snow", "sunset over the desert", "yellow star", "green ring forest",
  "white circle at night", "orange triangles", "small black circles over the sea", "purple squares sky",
  "large dotted circle", "harbour", "the lighthouse", "snow", "forest at day", "two small red squares",
  "three large yellow circles", "a star at the bottom", "sea at night", "desert", "circle",
}
local k = os.getenv("SEARCH_K") or "10"
local n = 0
function request()
  n = n + 1
  local q = queries[(n % #queries) + 1]:gsub(" ", "%%20")
  return wrk.format("GET", "/api/v1/search?k=" .. k .. "&q=" .. q)
end
