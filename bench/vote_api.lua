-- Vote toggles through the JSON API with a personal token: PUT /api/v1/ideas/{id}/vote votes,
-- DELETE takes the vote back.
--   wrk -s bench/vote_api.lua http://127.0.0.1:PORT/ -- TOKEN IDEA_COUNT STRIDE THREADS FIRST
-- The same walk as vote.lua (each vote and its undo a whole walk apart, threads taking turns),
-- over ideas FIRST, FIRST + STRIDE, ... so that it does not meet the site's walk.
local counter = 1

function setup(thread)
  thread:set("number", counter)
  counter = counter + 1
end

function init(args)
  token = args[1]
  idea_count, stride, threads, first = tonumber(args[2]), tonumber(args[3]), tonumber(args[4]), tonumber(args[5])
  sent = 0
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Accept"] = "application/json"
end

function request()
  local position = sent * threads + number - 1
  sent = sent + 1
  local idea = first + (position % idea_count) * stride
  local method = (math.floor(position / idea_count) % 2 == 0) and "PUT" or "DELETE"
  return wrk.format(method, "/api/v1/ideas/" .. idea .. "/vote")
end
