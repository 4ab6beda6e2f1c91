-- A sampling profiler of Prosody's Lua code, for `scripts/bench.sh
-- -prosody-profile` (scripts/lib/bench-profile.sh): loaded only when
-- PARLEY_PROSODY_PROFILE is set for `scripts/testbed.sh up`. Written by hand:
-- Prosody has no profiler. Every EVERY Lua VM instructions (a count hook, on
-- the main thread, where the event loop runs, and on every coroutine made
-- afterwards, where util.async runs the c2s sessions) it counts the running
-- function (S lines), each function on the stack once (I lines) and a bucket
-- (B lines): which stream the work came from (the outermost of mod_component,
-- mod_c2s or mod_websocket on the stack) and what it was doing (the running
-- function's file: util.jid, util.stanza, util.xmppstream's callbacks, or
-- anything else: routing). Every two seconds it
-- writes the totals so far to parley_profile_file (atomically).
-- Time spent inside C (expat, the string library, syscalls) is not counted:
-- this measures Lua instructions, which perf shows is most of Prosody's CPU.
module:set_global();

local getinfo, sethook = debug.getinfo, debug.sethook
local out = module:get_option_string("parley_profile_file", "/tmp/prosody-profile.txt")
local EVERY = 997
local self_counts, incl_counts, buckets = {}, {}, {}

local function origin_of(src)
	if src:find("mod_component.lua", 1, true) then return "component" end
	if src:find("mod_c2s.lua", 1, true) or src:find("mod_websocket.lua", 1, true) then return "client" end
end
local function activity_of(src)
	if src:find("util/jid.lua", 1, true) then return "jid" end
	if src:find("util/stanza.lua", 1, true) then return "stanza" end
	if src:find("util/xmppstream.lua", 1, true) then return "parse" end
end

local function hook()
	local info = getinfo(2, "S")
	if not info then return end
	local k = info.short_src .. ":" .. (info.linedefined or 0)
	self_counts[k] = (self_counts[k] or 0) + 1
	local seen = {}
	local origin, activity = "other", activity_of(info.short_src)
	for level = 2, 40 do
		local i = getinfo(level, "S")
		if not i then break end
		local kk = i.short_src .. ":" .. (i.linedefined or 0)
		if not seen[kk] then
			seen[kk] = true
			incl_counts[kk] = (incl_counts[kk] or 0) + 1
		end
		origin = origin_of(i.short_src) or origin
	end
	local b = origin .. "\t" .. (activity or "routing")
	buckets[b] = (buckets[b] or 0) + 1
end

local cocreate = coroutine.create
coroutine.create = function(f) -- luacheck: ignore 122
	local co = cocreate(f)
	sethook(co, hook, "", EVERY)
	return co
end

local function dump()
	local f = assert(io.open(out .. ".tmp", "w"))
	for k, v in pairs(self_counts) do f:write("S\t", k, "\t", v, "\n") end
	for k, v in pairs(incl_counts) do f:write("I\t", k, "\t", v, "\n") end
	for k, v in pairs(buckets) do f:write("B\t", k, "\t", v, "\n") end
	f:close()
	os.rename(out .. ".tmp", out)
end

local hooked = false
module:add_timer(1, function()
	if not hooked then
		hooked = true
		sethook(hook, "", EVERY) -- timers run on the main thread
	end
	dump()
	return 2
end)
