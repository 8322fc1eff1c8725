-- wrk script for bench/quiz_submit_bench.py: members read their committee's leaderboard, round robin.
--
--   wrk -t T -c C -d 10s -s bench/leaderboard.lua URL -- <attempts file> <count> <query>
--
-- Each request takes the next member's token from the first <count> lines of the attempts file (one
-- "<token> <attempt id>" per line) and asks GET /api/leaderboard?<query>. Anything but a 200 with the
-- board's items counts as unexpected, printed on stderr.

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local attempts_file, count = args[1], tonumber(args[2])
  path = "/api/leaderboard?" .. args[3]
  tokens = {}
  for line in io.lines(attempts_file) do
    if #tokens >= count then
      break
    end
    tokens[#tokens + 1] = line:match("^(%S+)")
  end
  sent, unexpected = id * 7919, 0
end

function request()
  sent = sent + 1
  local token = tokens[sent % #tokens + 1]
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, resp_body)
  if status ~= 200 or not resp_body:find('"items"') then
    unexpected = unexpected + 1
    if unexpected <= 3 then
      io.stderr:write("unexpected answer " .. status .. ": " .. resp_body:sub(1, 300) .. "\n")
    end
  end
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_result.lua")
