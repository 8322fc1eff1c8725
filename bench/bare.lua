-- wrk script for bench/checkin_bench.py's bare-endpoint run: plain GETs, the RESULT line comes from wrk_result.lua.

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_result.lua")
