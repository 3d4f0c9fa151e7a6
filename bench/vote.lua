-- Vote toggles through the site, as the page's script sends them: POST /ideas/{id}/vote with
-- the form fields csrf_token and vote, asking for JSON.
--   wrk -s bench/vote.lua http://127.0.0.1:PORT/ -- COOKIE CSRF IDEA_COUNT STRIDE THREADS
-- The member walks IDEA_COUNT ideas (ids 1, 1 + STRIDE, 1 + 2 * STRIDE, ...) voting for each,
-- then walks them again taking each vote back, and so on: a vote and its undo are a whole walk
-- apart, so they never race on two connections, and every request really writes.
-- The threads take turns along the walk, so no two of them toggle the same idea at once.
local counter = 1

function setup(thread)
  thread:set("number", counter)
  counter = counter + 1
end

function init(args)
  cookie, csrf = args[1], args[2]
  idea_count, stride, threads = tonumber(args[3]), tonumber(args[4]), tonumber(args[5])
  sent = 0
  wrk.method = "POST"
  wrk.headers["Cookie"] = cookie
  wrk.headers["Accept"] = "application/json"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local position = sent * threads + number - 1
  sent = sent + 1
  local idea = 1 + (position % idea_count) * stride
  local choice = (math.floor(position / idea_count) % 2 == 0) and "1" or "0"
  return wrk.format(nil, "/ideas/" .. idea .. "/vote", nil, "csrf_token=" .. csrf .. "&vote=" .. choice)
end
