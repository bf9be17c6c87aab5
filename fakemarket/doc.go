// Package fakemarket is markwatch's local marketplace with known ground
// truth: a deterministic catalogue of listings about the contract marks
// (the marks contract in marks.go), served as three
// differently built sites on loopback (and a fourth, "js", that builds its
// pages in the browser: jssite.go), able to misbehave on request, and
// counting every request it gets. Tests, benchmarks and `markwatch demo`
// crawl it; this file is the specification the site adapters
// (configs/sites/) are written against.
//
// # Catalogue
//
// Generate(seed, WithListings(n)) builds n listings (default 900) from a
// fixed list of recipes, one class each, shuffled once per seed and cycled,
// so every recipe appears once before any appears twice. Within a cycle the
// recipes of a class take the three sites in turn, and the turn shifts each
// cycle, so every class is on every site from one full cycle
// (RecipesPerCycle(), about 310 listings) up.
// The same seed and size give the same catalogue and the same page bytes.
// WithJSListings(n) adds n listings for the JavaScript site after these,
// continuing the cycle (the other sites' listings do not change).
// Each Listing carries the fields a site shows (ID, Title, Description,
// Price in CNY, Seller, ShipFrom "省 市" or "" for unknown, Category "一级 >
// 二级", Image and URL as paths on its site) and its Truth:
//
//	Suspect      what a matcher following the contract's verdict rules says
//	Marks        mark ids a correct matcher reports as non-descriptive hits
//	             ("patent" for an invalid, future or expired patent number)
//	Descriptive  mark ids named only descriptively (适用于X, 兼容X, for X, X专用)
//	Class        one of Classes(); Suspect = SuspectClass(Class)
//	Detail       the obfuscated form, the signal ("slang:高仿", "price"),
//	             the patent defect ("bad-check", "future", "expired-utility-model")
//	Patent       the patent number in the listing, as YYYYTNNNNNNN.C
//
// Suspect classes: counterfeit-slang (slang, price ≥ 1.3 × min_price),
// below-floor (price ≤ 0.4 × min_price, no slang), obfuscated-spaces (耐-克,
// N I K E, 阿.迪.达.斯), fullwidth (ＰＲＡＤＡ), traditional (愛馬仕, 阿迪達斯),
// cyrillic-lookalike (Chаnel), digit-for-letter (R0LEX, App1e), zero-width
// (耐\u200b克) — every obfuscated trademark also carries slang or a price
// below the floor, obfuscated special marks are sold by unlicensed shops,
// obfuscated GIs (陽澄湖大閘蟹, 西 湖 龙 井) ship from outside their region —
// special-unauthorized (some by look-alike shops such as 杭州亚运特许商品专营店),
// gi-outside-region, invalid-patent. Some counterfeit-slang listings hide
// the slang too (高.仿, 原-单), name the mark only in the description, or name
// two marks (耐克 阿迪达斯 联名 … 1:1: both in Marks). Not suspect:
// gi-inside-region, gi-unknown-origin (no ship-from anywhere), genuine-authorized
// (the contract's authorized seller, normal price), plain-mention (normal
// price, no slang), descriptive, fruit-apple (烟台苹果), grain-millet (黄小米),
// latin-substring (Pineapple, Crabapple, Applewood, Diorama, Dual Channel,
// LVDS), place-name (茅台镇), common-word (潮涌, 莲莲, 江南忆 without context,
// 神舟 laptops), slang-no-mark (高仿 but no mark), valid-patent, generic.
// About 37% of the default catalogue is suspect. Patent ground truth holds
// for current dates in 2026–2028 (see patent.go).
//
// Search: a listing matches a query when the lower-cased query is a
// substring of its lower-cased title or of one of its Terms (its mark family
// query, names, leaf category, and for generic goods and hard negatives a
// second, random family query, as "related" results). Results keep catalogue
// order. Catalogue.Queries() is the demo's default sweep: one query per mark
// family (耐克 阿迪达斯 苹果 小米 华为 香奈儿 路易威登 爱马仕 古驰 普拉达 迪奥
// 劳力士 茅台 亚运 航天 大闸蟹 龙井 大米 陈皮) plus 专利 水果 百货; together
// they return every listing, and many listings through more than one
// query (dedup). Catalogue.Search(site, q) gives the expected results of a
// crawl, Catalogue.Reachable(site, queries...) the distinct listings a sweep
// of those queries finds (a recall denominator). `markwatch fakemarket
// --dump` prints the catalogue, truth included, as JSON lines.
//
// # Serving
//
// Server implements http.Handler serving all three sites on one host (paths
// told apart by prefix; /robots.txt then holds all three sites' rules).
// Server.Start("127.0.0.1:0") serves each site on its own listener instead
// (port 0: free ports; port P: P, P+1, P+2, and P+3 for js), each with only its own
// robots.txt — robots.txt is per host:port, so this is the realistic mode.
// Paths are the same in both modes (every site path carries its prefix), so
// an adapter's base_url is the site's Sites URL (scheme://host:port) and its
// paths are the ones below. Only loopback addresses are accepted.
//
// Every site serves /robots.txt with a "User-agent: BadBot / Disallow: /"
// group and a "User-agent: *" group:
//
//	mart  Disallow /mart/private/, Allow /mart/private/help.html, Disallow /mart/cart,
//	      Disallow /mart/*?*sort=, Disallow /mart/*.json$
//	gbk   Disallow /gbk/private/, /gbk/member.php, /gbk/*?*orderby=
//	api   Disallow /api/private/, /api/v1/internal, /api/*?*debug=, /api/static/*.map$
//	js    Disallow /js/private/, /js/api/internal
//
// Pages under every /…/private/ path exist (200), so a test can assert from
// the hit counts that a crawler never fetched them.
//
// # Site "mart": UTF-8 HTML, card layout
//
// Content-Type: text/html; charset=utf-8 (and <meta charset="utf-8">).
//
//	search   /mart/search?q={query}&p={page}      page 1-based, 40 cards a page
//	item     /mart/item/{id}.html                 404 page for an unknown id
//	image    /mart/img/{id}.jpg                   (a 1×1 GIF)
//	home     /mart/    shop /mart/shop?name=…     private /mart/private/…
//
// Search page (layout 1):
//
//	card        ul.goods-list > li.goods-card, one per listing
//	id          li.goods-card attribute data-sku
//	title       .goods-title a, attribute title (the text holds the same title,
//	            with the query wrapped in <em class="hl">)
//	url         .goods-title a, attribute href (relative path /mart/item/{id}.html)
//	image       .goods-pic img, attribute src
//	price       .goods-price strong: "¥1,299.00", "￥59.9", "¥1299", "¥99-199"
//	            (a range: the lowest is the price), "6.5万" (= 65000)
//	seller      .goods-shop a.shop-name
//	ship_from   .goods-meta span.goods-loc (absent when unknown)
//	noise       span.goods-sales ("已售 358", "月销 1.2万+": not a price),
//	            .goods-tags, span.coupon, a trace <script> in each card
//	next page   .pager a.pager-next (absent on the last page)
//	no results  div.search-empty (also served for a page number past the end)
//	total       .result-summary b.result-count
//
// Item page (layout 1):
//
//	id          div.item-detail attribute data-sku
//	title       h1.item-title
//	price       .item-price span.price-now ("¥1,299.00", always the lowest)
//	seller      .item-shop a.shop-name
//	ship_from   dl.item-props dd.item-origin (absent when unknown)
//	description div.item-desc
//	category    nav.crumbs attribute data-path ("运动户外 > 运动鞋"); the nav's
//	            text is the breadcrumb links 首页 > 运动户外 > 运动鞋
//	image       img.item-main-img attribute src
//	images      .gallery ul.thumbs img, attribute src: the main photo's
//	            thumbnail and, for listings with a generated photo, a further
//	            photo /mart/img/{id}-2.jpg (a detail shot, or the stolen photo
//	            where ImageTruth.Photo is 2)
//
// Layout 2 (the layout fault) renames every class and the id attribute:
// ul.gl-warp > li.gl-item[data-id], .p-img, .p-price, .p-name, .p-shopbox
// a.p-shop, .p-location, .p-commit, .p-icons, .page-wrap a.pn-next,
// div.nothing-found, b.total-num; item: div.product-intro[data-sku],
// h1.sku-name, span.p-price-now, .shop-info a.shop-name, dd.deliver-from,
// div.detail-content, nav.breadcrumb[data-path], img.spec-img.
//
// # Site "gbk": GBK-encoded HTML, table layout
//
// Search pages are sent with Content-Type "text/html; charset=GBK" and a
// <meta http-equiv="Content-Type" content="text/html; charset=gbk">; item
// pages with Content-Type "text/html" (no charset) and only the <meta>, so
// an adapter with encoding: auto must read the <meta>. Characters GBK
// cannot encode (zero-width characters) are written as HTML numeric
// character references (&#8203;).
//
//	search   /gbk/search.php?kw={query}&page={page}   kw percent-encoded in GBK
//	         (as the site's own links do) or in UTF-8: both are understood
//	item     /gbk/goods.php?id={id}
//	image    /gbk/pic/{id}.jpg    private /gbk/private/…, /gbk/member.php
//
// Search page (layout 1):
//
//	card        table#goodslist tr.item (the header row is tr.thead)
//	id          td.chk input[name=gid], attribute value
//	title       td.name a.title, attribute title (text: same title)
//	url         td.name a.title, attribute href: relative, "goods.php?id={id}"
//	image       td.pic img, attribute src
//	price       td.price: "￥1,299.00", "￥59.9", "￥1299", "￥99-199", "6.5万"
//	seller      td.shop a
//	ship_from   td.area (empty cell when unknown)
//	noise       td.name span.brief (the description's first words), td.sold
//	next page   div.pagebar a.next (relative, kw GBK-encoded)
//	no results  td.noresult (inside table#goodslist)
//
// Item page (layout 1): table.goodsinfo with td.g-title (title), td.g-price
// ("￥1,299.00"), td.g-shop a (seller), td.g-area (ship-from; empty when
// unknown), td.g-cat (category "运动户外 > 运动鞋"), div.g-desc
// (description), img.g-img (image), input#goods_id (value: id).
// Layout 2: table#prolist tr.prod, input[name=pid], td.p-title a.ptitle,
// td.p-pic, td.p-money, td.p-store a, td.p-from, div.pages a.nextpage,
// td.empty-tip; item table.proinfo td.pi-title, td.pi-price, td.pi-store a,
// td.pi-from, td.pi-cat, div.pi-desc, img.pi-img, input#pid.
//
// # Site "api": JSON API
//
// Content-Type: application/json; charset=utf-8.
//
//	search   /api/v1/search?keyword={query}&page={page}
//	item     /api/v1/item?id={id}                  404 {"code":404,…} for an unknown id
//	image    /api/static/pic/{id}.jpg   index /api/   private /api/private/…
//
// Search response (layout 1), JSON paths:
//
//	items       data.items (an array; [] when nothing is found)
//	no results  data.noResult (true only when there is nothing on this page)
//	per item    itemId (id), title, priceText ("¥1,299.00" …, as on mart
//	            cards), priceFen (the price in fen, an integer), shop.shopName
//	            (seller), location (ship-from, "" when unknown), picUrl
//	            (image), detailUrl (the item API path), sales, tags
//	paging      data.page, data.totalPages, data.total, data.hasMore
//
// Item response: data.itemId, data.title, data.desc, data.priceText,
// data.priceFen, data.shop.shopName, data.deliveryFrom ("" when unknown),
// data.category.path ("运动户外 > 运动鞋"), data.category.levels, data.images.
// Layout 2 renames: data.result.list[], goodsId, goodsName, salePrice,
// store.name, sendCity, mainPic, link, data.result.empty; item data.goods.*.
//
// # Faults
//
// A request misbehaves when its query carries mw_fault=KIND (any path of any
// site; the other parameters are optional), or when it matches one of
// Options.Faults / SetFaults rules ({Site, PathPrefix, Fault}); the
// `markwatch fakemarket --fault SITE:PATHPREFIX:KIND[:N]` flag adds rules.
// Faults apply only to the request that carries them: links on a faulty
// page are clean.
//
//	slow      mw_delay=MS or Go duration (default 2s, max 1m), then the page
//	429       the first mw_n (default 1) requests of this exact URI get 429
//	          with Retry-After: mw_retry_after (default "1"); then the page
//	503       the first mw_n (default 3) requests of this URI get 503 (with
//	          Retry-After only if mw_retry_after is set); mw_n=-1: always
//	truncate  Content-Length of the whole page, mw_bytes (default half) of
//	          it sent, then the connection is dropped (client: unexpected EOF)
//	cut       a complete response whose body is the first mw_bytes (default
//	          half) of the page: HTML or JSON that stops mid-way
//	loop      302 to the same path with mw_hop incremented, forever
//	foreign   302 to http://localhost:PORT/foreign/landing (or 127.0.0.1
//	          when the request came to localhost): another host name,
//	          outside allowed_domains [127.0.0.1]; Hits("/foreign/landing")
//	          tells whether a crawler followed it
//	huge      the page with padding (an HTML comment before <body>, or JSON
//	          whitespace) streamed to mw_bytes total (default 50 MB, at most
//	          1 GiB), chunked; mw_declare=1 sends a Content-Length up front
//	layout    the page in layout 2 (selectors of layout 1 find nothing and
//	          the no-results marker is absent too)
//	slider    once a client address has made mw_n requests (default 5) to
//	          the rule's paths, each further one gets SliderPage: a 200 slider
//	          check (div#nc_1_wrapper, 访问受限) instead of the page
//
// Options.Latency adds a delay to every response. Options.MaxPerSecond
// makes every site rate-limit its clients as real marketplaces do: a request
// arriving when the site already served that many in the past second gets
// 429 with Retry-After: 1 (logged with Fault "ratelimit"); with
// Options.BanAfter, that many refusals ban the site's clients, who then get
// 403 and a verification page (div.captcha, Fault "banned") until
// ResetCounts. Echoed queries are escaped everywhere (HTML, inline scripts,
// JSON); FuzzSiteRequests checks that no request makes a site fail.
//
// # Accounting
//
// Every request is counted before anything else happens: Hits(path) (or
// Hits(path?query) for an exact URI), HitCounts() (per URI: the dedup
// check), PathHitCounts() (per path), Requests() (time, site,
// method, path, URI, status, fault), MaxInWindow(site, time.Second) (the
// most requests in any sliding one-second window: the politeness check),
// PerSecond(site) and ResetCounts().
package fakemarket
