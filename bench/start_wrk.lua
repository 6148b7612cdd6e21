-- wrk script for bench/issue8_wrk.sh: POST .otp/start with a different user on every request,
-- across all threads, and a wrong code (000000, wrong except by chance), so every request is a
-- full validation (lockout counters in the store, TOTP window compared), never a cheap
-- "locked" refusal. Thread t of T sends user<t>, user<t+T>, user<t+2T>, ...
-- Environment: START_PATH (default /protected/.otp/start), START_USERS (users in the file,
-- default 1000000), START_THREADS (wrk -t, default 2), START_OFFSET (first user, default 0).
local path = os.getenv("START_PATH") or "/protected/.otp/start"
local users = tonumber(os.getenv("START_USERS") or "1000000")
local step = tonumber(os.getenv("START_THREADS") or "2")
local offset = tonumber(os.getenv("START_OFFSET") or "0")
local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

local counter = 0
invalid_count, locked_count, other_count, other_sample = 0, 0, 0, nil

function request()
    local user = (offset + id + step * counter) % users
    counter = counter + 1
    local body = string.format('{"type":"start","data":{"user":"user%d","otp":"000000"}}', user)
    return wrk.format("POST", path,
                      {["Content-Type"] = "application/json", ["Accept"] = "application/json"},
                      body)
end

function response(status, headers, body)
    if body and string.find(body, "invalid_otp", 1, true) then
        invalid_count = invalid_count + 1
    elseif body and string.find(body, "locked", 1, true) then
        locked_count = locked_count + 1
    else
        other_count = other_count + 1
        if other_count == 1 then other_sample = status .. " " .. (body or "") end
    end
end

function done(summary, latency, requests)
    local invalid, locked, other, sample = 0, 0, 0, nil
    for _, thread in ipairs(threads) do
        invalid = invalid + thread:get("invalid_count")
        locked = locked + thread:get("locked_count")
        other = other + thread:get("other_count")
        sample = sample or thread:get("other_sample")
    end
    io.write(string.format("answers: invalid_otp %d, locked %d, other %d\n", invalid, locked, other))
    if sample then io.write("first other answer: " .. sample .. "\n") end
end
