-- GET /api/v1/search with a query never asked before (a number appended): every request embeds
-- its text with CLIP and searches, bypassing the server's answer cache.
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local words = { "red circle", "blue square", "sunset desert", "yellow star", "green ring", "sea at night" }
local k = os.getenv("SEARCH_K") or "10"
local n = 0
local salt = tostring(math.random(100000, 999999))
function request()
  n = n + 1
  local q = (words[(n % #words) + 1] .. " " .. salt .. "x" .. n):gsub(" ", "%%20")
  return wrk.format("GET", "/api/v1/search?k=" .. k .. "&q=" .. q)
end
