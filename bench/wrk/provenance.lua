-- GET /api/v1/films/{FILM}/frames/{n}/provenance, n cycling through the film's FRAMES frames.
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local film = os.getenv("FILM")
local frames = tonumber(os.getenv("FRAMES"))
local n = 0
function request()
  n = n + 1
  return wrk.format("GET", "/api/v1/films/" .. film .. "/frames/" .. (n % frames) .. "/provenance")
end
