-- wrk script for bench/checkin_bench.py: every member checks in exactly once, then the thread stops.
--
--   wrk -t T -c C -d 120s -s bench/checkin.lua URL -- <tokens file> <count> <threads> <marker dir> <path> <code>
--
-- Thread i (0-based) takes lines i, i+T, i+2T, ... of the first <count> lines of the tokens file (the bench
-- makes sure each thread gets at least one). wrk calls delay() before every request: it reserves the next
-- member, or parks the connection for an hour once the thread has none left, so every member is sent once
-- and only once. When a thread has all its answers it writes <marker dir>/done-<i> (the number of
-- unexpected answers: anything but 200 with "already": false) and stops; the bench sends wrk SIGINT once
-- every thread is done. done() prints one RESULT line for the bench to parse.

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local tokens_file, count, nthreads = args[1], tonumber(args[2]), tonumber(args[3])
  marker_dir, path = args[4], args[5]
  body = '{"code":"' .. args[6] .. '"}'
  mine = {}
  local i = 0
  for line in io.lines(tokens_file) do
    if i >= count then
      break
    end
    if i % nthreads == id then
      mine[#mine + 1] = line
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

local function checkin(token)
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  return wrk.format("POST", path, headers, body)
end

function request()
  if reserved == 0 then
    -- wrk calls request() once in thread 0's state before the run, to inspect it; that one is never sent.
    return checkin(mine[1])
  end
  sent = sent + 1
  -- A request is only re-sent without delay() after a socket error, which the bench reports as a failure.
  return checkin(mine[(sent - 1) % #mine + 1])
end

function response(status, headers, resp_body)
  received = received + 1
  if status ~= 200 or not resp_body:find('"already":%s*false') then
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
