-- wrk script for bench/quiz_submit_bench.py: every member submits their exam exactly once, then the thread stops.
--
--   wrk -t T -c C -d 600s -s bench/quiz_submit.lua URL -- <attempts file> <first> <count> <threads> <marker dir>
--
-- The attempts file has one "<token> <attempt id>" line per member. Thread i (0-based) takes lines first+i,
-- first+i+T, ... of the <count> lines from line <first> (0-based). As in bench/checkin.lua, delay() reserves
-- the next member or parks the connection once the thread has none left, so each member submits once; when
-- a thread has all its answers it writes <marker dir>/done-<i> (the number of unexpected answers: anything
-- but 200 with a score) and stops. done() prints the RESULT line the bench parses.

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local attempts_file, first, count, nthreads = args[1], tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  marker_dir = args[5]
  mine = {}
  local i = 0
  for line in io.lines(attempts_file) do
    if i >= first + count then
      break
    end
    if i >= first and (i - first) % nthreads == id then
      local token, attempt = line:match("^(%S+) (%d+)$")
      mine[#mine + 1] = { token = token, path = "/api/attempts/" .. attempt .. "/submit" }
    end
    i = i + 1
  end
  reserved, sent, received, unexpected = 0, 0, 0, 0
end

function finish()
  local f = assert(io.open(marker_dir .. "/done-" .. id, "w"))
  f:write(tostring(unexpected))
  f:close()
  wrk.thread:stop()
end

function delay()
  if reserved >= #mine then
    return 3600000
  end
  reserved = reserved + 1
  return 0
end

local function submit(member)
  local headers = { ["Authorization"] = "Bearer " .. member.token, ["Content-Type"] = "application/json" }
  return wrk.format("POST", member.path, headers, "")
end

function request()
  if reserved == 0 then
    -- wrk calls request() once in thread 0's state before the run, to inspect it; that one is never sent.
    return submit(mine[1])
  end
  sent = sent + 1
  return submit(mine[(sent - 1) % #mine + 1])
end

function response(status, headers, resp_body)
  received = received + 1
  if status ~= 200 or not resp_body:find('"score":%s*%d') then
    unexpected = unexpected + 1
    if unexpected <= 3 then
      io.stderr:write("unexpected answer " .. status .. ": " .. resp_body:sub(1, 300) .. "\n")
    end
  end
  if received == #mine then
    finish()
  end
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_result.lua")
