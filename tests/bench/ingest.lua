-- Tracking traffic for `python -m tests.bench ingest`, as wrk sends it (wrk -s ingest.lua).
--
-- Each wrk thread plays many visitors of one site: 80% pageviews (POST /analytics/track, the
-- tracker's JSON body) and 20% custom events (POST /analytics/event). A visitor is an IP from a
-- pool shared by the threads (sent as X-Forwarded-For: the server trusts 127.0.0.1 for the run)
-- and a real browser's User-Agent; about 30% of hits come from a new visitor, the others from
-- one seen before (most of them browsing now, some coming back), and 10% of visitors send a
-- persistent visitor_id as a site that enables it would. Paths, titles, referrers, UTM, screen
-- sizes and languages vary as a real site's traffic does.
--
-- Environment: BENCH_KEY (the site's pixel key), BENCH_OUT (file prefix: done() writes
-- BENCH_OUT.json with the counts and latency, BENCH_OUT.ids with every acknowledged event_id),
-- BENCH_IPS (pool size, default 6000).

local SITE = "shop.example.com"
local POOL_SEED = 20240601
local NEW_SHARE = 0.30
local EVENT_SHARE = 0.20
local PERSIST_SHARE = 0.10
local ACTIVE_SHARE = 0.70 -- of returning hits: a visitor among the most recent ones
local ACTIVE = 2000
local MAX_KNOWN = 50000

local random = math.random

local function pick(list)
  return list[random(#list)]
end

-- Weighted choice: `list` holds {weight, value} pairs; their total is worked out once.
local totals = {}
local function weighted(list)
  local total = totals[list]
  if not total then
    total = 0
    for i = 1, #list do
      total = total + list[i][1]
    end
    totals[list] = total
  end
  local r = random() * total
  for i = 1, #list do
    r = r - list[i][1]
    if r <= 0 then
      return list[i][2]
    end
  end
  return list[#list][2]
end

-- Browsers as they say who they are. Device class: d desktop, m mobile, t tablet.
local BROWSERS = {
  {30, {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36", "d", {"120", "122", "124", "126", "128", "129", "130", "131"}}},
  {10, {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36", "d", {"126", "128", "129", "130", "131"}}},
  {3, {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36", "d", {"127", "129", "130", "131"}}},
  {1, {"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36", "d", {"128", "130", "131"}}},
  {20, {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Mobile Safari/537.36", "m", {"124", "126", "128", "129", "130", "131"}}},
  {3, {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.6723.107 Mobile Safari/537.36", "m", {"129", "130"}}},
  {2, {"Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36", "t", {"128", "130", "131"}}},
  {18, {"Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Mobile/15E148 Safari/604.1", "m", {{"16_7", "16.6"}, {"17_5", "17.5"}, {"17_6", "17.6"}, {"18_0", "18.0"}, {"18_1", "18.1"}, {"18_2", "18.2"}}}},
  {3, {"Mozilla/5.0 (iPad; CPU OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Mobile/15E148 Safari/604.1", "t", {{"17_5", "17.5"}, {"18_1", "18.1"}}}},
  {2, {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/%s.0.6778.73 Mobile/15E148 Safari/604.1", "m", {"130", "131"}}},
  {1, {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/%s.0 Mobile/15E148 Safari/605.1.15", "m", {"131", "132"}}},
  {6, {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Safari/605.1.15", "d", {"17.4.1", "17.6", "18.0", "18.1"}}},
  {5, {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%s.0) Gecko/20100101 Firefox/%s.0", "d", {{"115", "115"}, {"128", "128"}, {"131", "131"}, {"132", "132"}, {"133", "133"}}}},
  {2, {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:%s.0) Gecko/20100101 Firefox/%s.0", "d", {{"131", "131"}, {"132", "132"}}}},
  {2, {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:%s.0) Gecko/20100101 Firefox/%s.0", "d", {{"128", "128"}, {"133", "133"}}}},
  {1, {"Mozilla/5.0 (Android 14; Mobile; rv:%s.0) Gecko/%s.0 Firefox/%s.0", "m", {{"131", "131", "131"}, {"132", "132", "132"}}}},
  {7, {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36 Edg/%s.0.0.0", "d", {{"129", "129"}, {"130", "130"}, {"131", "131"}}}},
  {1, {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Mobile Safari/537.36 EdgA/%s.0.0.0", "m", {{"130", "130"}, {"131", "131"}}}},
  {3, {"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/%s Chrome/%s.0.0.0 Mobile Safari/537.36", "m", {{"25.0", "121"}, {"26.0", "122"}, {"27.0", "125"}}}},
  {1, {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36 OPR/%s.0.0.0", "d", {{"129", "114"}, {"130", "115"}}}},
  {1, {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 YaBrowser/%s.0.0 Safari/537.36", "d", {{"124", "24.6"}, {"126", "24.7"}}}},
  {1, {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s.0.0.0 Safari/537.36 Vivaldi/%s", "d", {{"130", "7.0"}, {"128", "6.9"}}}},
  {1, {"Mozilla/5.0 (Linux; U; Android 13; en-us; 2201117TG Build/TKQ1.221114.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%s Mobile Safari/537.36 XiaoMi/MiuiBrowser/%s", "m", {{"112.0.5615.136", "14.9.1-gn"}, {"116.0.5845.114", "14.12.1-gn"}}}},
}

local SCREENS = {
  d = {{1920, 1080}, {1920, 1080}, {1366, 768}, {1536, 864}, {1440, 900}, {2560, 1440}, {1280, 720}, {1680, 1050}, {3840, 2160}},
  m = {{390, 844}, {393, 873}, {414, 896}, {375, 667}, {412, 915}, {360, 800}, {430, 932}, {384, 854}},
  t = {{768, 1024}, {820, 1180}, {810, 1080}, {800, 1280}, {1024, 1366}},
}

local LANGUAGES = {
  {30, "en-US"}, {8, "en-GB"}, {10, "de-DE"}, {7, "fr-FR"}, {6, "es-ES"}, {5, "pt-BR"}, {4, "ja-JP"},
  {4, "zh-CN"}, {3, "nl-NL"}, {3, "it-IT"}, {3, "pl-PL"}, {2, "ru-RU"}, {2, "sv-SE"}, {2, "ko-KR"},
  {2, "tr-TR"}, {1, "en"}, {1, "de-AT"}, {1, "fr-CA"}, {1, "es-MX"}, {1, "uk-UA"},
}

-- Where new visitors come from; "" is direct.
local REFERRERS = {
  {40, ""}, {18, "https://www.google.com/"}, {4, "https://www.google.de/"}, {2, "https://www.google.co.uk/"},
  {2, "https://www.google.fr/"}, {4, "https://www.bing.com/"}, {3, "https://duckduckgo.com/"},
  {1, "https://search.brave.com/"}, {1, "https://yandex.ru/"}, {2, "https://t.co/"},
  {3, "https://www.facebook.com/"}, {2, "https://l.facebook.com/"}, {1, "https://www.instagram.com/"},
  {3, "https://www.reddit.com/r/selfhosted/comments/1h2k3j/"}, {3, "https://news.ycombinator.com/"},
  {2, "https://www.linkedin.com/"}, {2, "https://github.com/almanac/almanac"}, {2, "https://chatgpt.com/"},
  {1, "https://www.perplexity.ai/"}, {1, "https://mail.google.com/"}, {1, "https://outlook.live.com/"},
  {2, "https://blog.example.org/2024/11/self-hosted-analytics"}, {1, "https://www.youtube.com/"},
}

local UTM = {
  {"newsletter", "email", "november-digest"}, {"newsletter", "email", "spring-sale"},
  {"twitter", "social", "launch"}, {"facebook", "cpc", "retargeting-q4"}, {"google", "cpc", "brand"},
  {"linkedin", "social", "webinar"}, {"partner-site", "referral", "affiliates"},
}

local PAGES = {"/pricing", "/about", "/contact", "/features", "/docs", "/blog", "/changelog", "/login", "/signup",
  "/careers", "/integrations", "/security", "/privacy", "/terms", "/customers", "/compare/google-analytics"}
local WORDS = {"privacy", "analytics", "self-hosted", "dashboard", "sqlite", "tracking", "cookies", "gdpr",
  "performance", "events", "funnels", "goals", "referrers", "campaigns", "retention", "export", "api",
  "teams", "migration", "release", "benchmark", "python", "docker", "backup", "sessions"}
local DOC_SECTIONS = {"getting-started", "install", "tracker", "api", "configuration", "operations", "faq"}
local SEARCHES = {"pricing", "export", "api+token", "gdpr", "docker", "custom+events", "bounce+rate"}

local EVENT_NAMES = {"Signup", "Add to cart", "Outbound Link: Click", "File Download", "Newsletter",
  "Purchase", "Play video", "Contact form"}
local PLANS = {"starter", "pro", "business"}

local function titled(slug)
  return (slug:gsub("-", " "):gsub("^%l", string.upper))
end

-- A page of the site: its path (sometimes with a query) and its title.
local function page()
  local r = random()
  if r < 0.15 then
    return "/", "Example Shop – privacy-friendly analytics"
  elseif r < 0.30 then
    local p = pick(PAGES)
    return p, titled(p:sub(2)) .. " – Example Shop"
  elseif r < 0.55 then
    local slug = pick(WORDS) .. "-" .. pick(WORDS) .. "-" .. random(1, 12)
    return "/blog/" .. slug, titled(slug) .. " – Example Shop blog"
  elseif r < 0.72 then
    local section, topic = pick(DOC_SECTIONS), pick(WORDS)
    return "/docs/" .. section .. "/" .. topic, titled(topic) .. " · " .. titled(section) .. " · Docs"
  elseif r < 0.93 then
    local id = random(1, 2000)
    return "/products/" .. id, "Product " .. id .. " – Example Shop"
  elseif r < 0.97 then
    return "/search?q=" .. pick(SEARCHES) .. "&page=" .. random(1, 3), "Search – Example Shop"
  end
  local slug = pick(WORDS) .. "-" .. pick(WORDS)
  return "/blog/" .. slug .. "?ref=newsletter", titled(slug) .. " – Example Shop blog"
end

local V4_FIRST = {2, 5, 23, 24, 31, 37, 41, 45, 46, 50, 62, 66, 68, 70, 71, 73, 74, 76, 77, 78, 79, 80, 81,
  82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 101, 103, 104, 105, 106, 107, 108,
  109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 151, 152, 154, 156,
  157, 158, 161, 163, 171, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 185, 186, 187, 188, 189,
  190, 191, 193, 194, 195, 196, 197, 200, 201, 202, 209, 210, 211, 212, 213, 217, 218, 219, 220, 221, 222}
local V6_PREFIXES = {"2a02", "2a01", "2600", "2601", "2604", "2804", "240e", "2409", "2001:4860"}

-- The IP pool, the same in every thread and every run.
local function ip_pool(size)
  math.randomseed(POOL_SEED)
  local pool = {}
  for i = 1, size do
    if i % 10 == 0 then
      pool[i] = string.format("%s:%x:%x::%x", pick(V6_PREFIXES), random(0, 0xffff), random(0, 0xffff), random(1, 0xffff))
    else
      pool[i] = string.format("%d.%d.%d.%d", pick(V4_FIRST), random(0, 255), random(0, 255), random(1, 254))
    end
  end
  return pool
end

local function browser()
  local b = weighted(BROWSERS)
  local v = pick(b[3])
  local agent = type(v) == "table" and string.format(b[1], unpack(v)) or string.format(b[1], v)
  return agent, b[2]
end

-- Per thread ------------------------------------------------------------------------------

local key, ips
local known, persisted = {}, 0
-- Globals, which done() reads from each thread through thread:get().
known_count, new_visitors, acked, nulls, statuses, sent_pageviews, sent_events = 0, 0, {}, 0, {}, 0, 0
local acked_count = 0

local function new_visitor()
  new_visitors = new_visitors + 1
  local agent, class = browser()
  local screen = pick(SCREENS[class])
  local visitor = {
    ip = pick(ips), agent = agent, width = screen[1], height = screen[2], language = weighted(LANGUAGES),
  }
  if random() < PERSIST_SHARE then
    persisted = persisted + 1
    visitor.id = string.format("p%d-%08x%08x", number, persisted, random(0, 0x7fffffff))
  end
  if known_count < MAX_KNOWN then
    known_count = known_count + 1
    known[known_count] = visitor
  else
    known[random(MAX_KNOWN)] = visitor
  end
  return visitor
end

local function returning_visitor()
  if random() < ACTIVE_SHARE and known_count > ACTIVE then
    return known[random(known_count - ACTIVE + 1, known_count)]
  end
  return known[random(known_count)]
end

local function pageview(visitor, new)
  local path, title = page()
  local parts = {'{"key":"', key, '","type":"pageview","path":"', path, '","title":"', title, '"'}
  local referrer
  if new then
    referrer = weighted(REFERRERS)
  elseif random() < 0.7 then
    referrer = "https://" .. SITE .. page()
  else
    referrer = ""
  end
  if referrer ~= "" then
    parts[#parts + 1] = ',"referrer":"' .. referrer .. '"'
  end
  if new and random() < 0.15 then
    local utm = pick(UTM)
    parts[#parts + 1] = string.format(',"utm_source":"%s","utm_medium":"%s","utm_campaign":"%s"', utm[1], utm[2], utm[3])
  end
  parts[#parts + 1] = string.format(',"screen_width":%d,"screen_height":%d,"language":"%s"',
    visitor.width, visitor.height, visitor.language)
  if visitor.id then
    parts[#parts + 1] = ',"visitor_id":"' .. visitor.id .. '"'
  end
  parts[#parts + 1] = "}"
  sent_pageviews = sent_pageviews + 1
  return "/analytics/track", table.concat(parts)
end

local function custom_event(visitor)
  local name = pick(EVENT_NAMES)
  local props
  if name == "Signup" or name == "Purchase" then
    props = string.format('{"plan":"%s","value":%d.9,"currency":"EUR","trial":%s}', pick(PLANS), random(9, 99),
      random() < 0.5 and "true" or "false")
  elseif name == "Add to cart" then
    props = string.format('{"product":"sku-%d","quantity":%d,"price":%d.50}', random(1, 2000), random(1, 4), random(5, 300))
  elseif name == "Outbound Link: Click" then
    props = '{"url":"https://github.com/almanac/' .. pick(WORDS) .. '"}'
  elseif name == "File Download" then
    props = '{"url":"https://' .. SITE .. '/files/' .. pick(WORDS) .. '-' .. random(2019, 2024) .. '.pdf"}'
  elseif name == "Play video" then
    props = '{"video":"' .. pick(WORDS) .. '","seconds":' .. random(1, 600) .. '}'
  end
  local path = page()
  local parts = {'{"key":"', key, '","name":"', name, '","path":"', path, '"'}
  if props then
    parts[#parts + 1] = ',"properties":' .. props
  end
  if visitor.id then
    parts[#parts + 1] = ',"visitor_id":"' .. visitor.id .. '"'
  end
  parts[#parts + 1] = "}"
  sent_events = sent_events + 1
  return "/analytics/event", table.concat(parts)
end

-- wrk's hooks ---------------------------------------------------------------------------------

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

function init(args)
  key = assert(os.getenv("BENCH_KEY"), "BENCH_KEY is not set")
  ips = ip_pool(tonumber(os.getenv("BENCH_IPS") or "6000"))
  math.randomseed(POOL_SEED + 7919 * number)
end

function request()
  local route, body, visitor
  if known_count == 0 or random() < NEW_SHARE then
    visitor = new_visitor()
    route, body = pageview(visitor, true)
  else
    visitor = returning_visitor()
    if random() < EVENT_SHARE / (1 - NEW_SHARE) then
      route, body = custom_event(visitor)
    else
      route, body = pageview(visitor, false)
    end
  end
  return wrk.format("POST", route, {
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["User-Agent"] = visitor.agent,
    ["X-Forwarded-For"] = visitor.ip,
    ["Origin"] = "https://" .. SITE,
  }, body)
end

function response(status, headers, body)
  if status ~= 200 then
    statuses[status] = (statuses[status] or 0) + 1
    return
  end
  local id = body:match('"event_id":(%d+)')
  if id then
    acked_count = acked_count + 1
    acked[acked_count] = id
  else
    nulls = nulls + 1
  end
end

function done(summary, latency, requests)
  local prefix = assert(os.getenv("BENCH_OUT"), "BENCH_OUT is not set")
  local ids = assert(io.open(prefix .. ".ids", "w"))
  local sums = {acked = 0, nulls = 0, pageviews = 0, events = 0, visitors = 0}
  local by_status = {}
  for _, thread in ipairs(threads) do
    local list = thread:get("acked")
    for i = 1, #list do
      ids:write(list[i], "\n")
    end
    sums.acked = sums.acked + #list
    sums.nulls = sums.nulls + thread:get("nulls")
    sums.pageviews = sums.pageviews + thread:get("sent_pageviews")
    sums.events = sums.events + thread:get("sent_events")
    sums.visitors = sums.visitors + thread:get("new_visitors")
    for status, count in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  local other = {}
  for status, count in pairs(by_status) do
    other[#other + 1] = string.format('"%d":%d', status, count)
  end
  ids:close()
  local e = summary.errors
  local out = assert(io.open(prefix .. ".json", "w"))
  out:write(string.format(
    '{"duration_us":%d,"requests":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},'
      .. '"acked":%d,"nulls":%d,"sent_pageviews":%d,"sent_events":%d,"visitors":%d,"statuses":{%s}}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), sums.acked, sums.nulls, sums.pageviews, sums.events, sums.visitors,
    table.concat(other, ",")))
  out:close()
end
