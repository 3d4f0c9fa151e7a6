-- GET the URL given to wrk, signed in: the session cookie comes as the first argument.
-- wrk -s bench/get.lua http://127.0.0.1:PORT/path -- 'session=...'
function init(args)
  if args[1] and args[1] ~= "" then
    wrk.headers["Cookie"] = args[1]
  end
end
