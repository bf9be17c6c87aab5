package fakemarket

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// martClasses are the CSS class names of the mart site in one layout. The
// layout fault (layout 2) renames every one of them, as a marketplace
// redesign does, so an adapter written for layout 1 finds nothing.
type martClasses struct {
	list, card, skuAttr, pic, price, title, shop, shopName, loc, sales, tags       string
	pager, next, empty, count                                                      string
	itemDetail, itemTitle, priceNow, itemShop, origin, desc, crumbs, mainImg, prop string
	gallery, thumbs                                                                string
}

var martLayouts = map[int]martClasses{
	1: {
		list: "goods-list", card: "goods-card", skuAttr: "data-sku", pic: "goods-pic", price: "goods-price",
		title: "goods-title", shop: "goods-shop", shopName: "shop-name", loc: "goods-loc", sales: "goods-sales",
		tags: "goods-tags", pager: "pager", next: "pager-next", empty: "search-empty", count: "result-count",
		itemDetail: "item-detail", itemTitle: "item-title", priceNow: "price-now", itemShop: "item-shop",
		origin: "item-origin", desc: "item-desc", crumbs: "crumbs", mainImg: "item-main-img", prop: "item-props",
		gallery: "gallery", thumbs: "thumbs",
	},
	2: {
		list: "gl-warp", card: "gl-item", skuAttr: "data-id", pic: "p-img", price: "p-price",
		title: "p-name", shop: "p-shopbox", shopName: "p-shop", loc: "p-location", sales: "p-commit",
		tags: "p-icons", pager: "page-wrap", next: "pn-next", empty: "nothing-found", count: "total-num",
		itemDetail: "product-intro", itemTitle: "sku-name", priceNow: "p-price-now", itemShop: "shop-info",
		origin: "deliver-from", desc: "detail-content", crumbs: "breadcrumb", mainImg: "spec-img", prop: "parameter-list",
		gallery: "preview-wrap", thumbs: "spec-list",
	},
}

func esc(s string) string { return html.EscapeString(s) }

// scriptString writes s as a JavaScript string literal that is safe inside
// <script>: JSON with <, > and & escaped, so a query cannot close the tag.
func scriptString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// mart routes the UTF-8 HTML site.
func (s *Server) mart(r *http.Request, layout int) *response {
	c := martLayouts[layout]
	p := r.URL.Path
	switch {
	case p == "/mart" || p == "/mart/" || p == "/mart/index.html":
		return htmlPage(s.martHome())
	case p == "/mart/search":
		q := r.URL.Query()
		return htmlPage(s.martSearch(q.Get("q"), pageNumber(q.Get("p")), c))
	case strings.HasPrefix(p, "/mart/item/") && strings.HasSuffix(p, ".html"):
		id := strings.TrimSuffix(strings.TrimPrefix(p, "/mart/item/"), ".html")
		l := s.siteListing(SiteMart, id)
		if l == nil {
			return notFound(SiteMart)
		}
		return htmlPage(s.martItem(l, c))
	case strings.HasPrefix(p, "/mart/img/"):
		return s.image(p)
	case p == "/mart/shop":
		return htmlPage(martSimple("店铺首页", "<div class=\"shop-home\"><h1>"+esc(r.URL.Query().Get("name"))+"</h1><p>店铺装修中，敬请期待。</p></div>"))
	case strings.HasPrefix(p, "/mart/private/"):
		return htmlPage(martSimple("会员中心", "<div class=\"member\">我的订单 · 收货地址 · 账户安全</div>"))
	}
	return notFound(SiteMart)
}

func htmlPage(body []byte) *response {
	return &response{status: http.StatusOK, contentType: "text/html; charset=utf-8", body: body}
}

// gif1x1 is a transparent 1×1 GIF, served for every product image.
var gif1x1 = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func image() *response {
	return &response{status: http.StatusOK, contentType: "image/gif", body: gif1x1,
		header: map[string]string{"Cache-Control": "max-age=86400"}}
}

func martSimple(title, content string) []byte {
	var b bytes.Buffer
	martHead(&b, title)
	b.WriteString(content)
	martFoot(&b, 0)
	return b.Bytes()
}

func (s *Server) martHome() []byte {
	var b bytes.Buffer
	martHead(&b, "集市网 - 好货不贵")
	b.WriteString("<div class=\"home-hot\"><h2>热门搜索</h2><ul>")
	for _, q := range s.cat.queries {
		fmt.Fprintf(&b, "<li><a href=\"/mart/search?q=%s\">%s</a></li>", url.QueryEscape(q), esc(q))
	}
	b.WriteString("</ul></div>")
	martFoot(&b, 0)
	return b.Bytes()
}

// martSearch renders a search-result page: 40 cards, a pager with a next
// link while there are more, or the no-results block.
func (s *Server) martSearch(query string, page int, c martClasses) []byte {
	listings, pages := s.pageOf(SiteMart, query, page)
	total := len(s.searchIndexes(SiteMart, query))
	var b bytes.Buffer
	b.Grow(64 << 10)
	martHead(&b, query+" - 搜索结果 - 集市网")
	fmt.Fprintf(&b, "<div class=\"crumbs-bar\"><a href=\"/mart/\">首页</a> &gt; 搜索 &gt; <span class=\"kw\">%s</span></div>\n", esc(query))
	b.WriteString(martFilters)
	b.WriteString("<main id=\"search-main\">\n")
	if len(listings) == 0 {
		fmt.Fprintf(&b, "<div class=\"%s\"><img src=\"/mart/img/empty.png\" alt=\"\"><p>抱歉，没有找到与“<em>%s</em>”相关的商品</p><p class=\"tips\">建议：检查输入是否正确，或尝试其他关键词。</p></div>\n", c.empty, esc(query))
	} else {
		fmt.Fprintf(&b, "<div class=\"result-summary\">共找到 <b class=\"%s\">%d</b> 件“%s”相关商品，第 %d/%d 页</div>\n", c.count, total, esc(query), page, pages)
		fmt.Fprintf(&b, "<ul class=\"%s\">\n", c.list)
		for i, l := range listings {
			martCard(&b, l, query, (page-1)*PageSize+i+1, c)
		}
		b.WriteString("</ul>\n")
		martPager(&b, query, page, pages, c)
	}
	b.WriteString("</main>\n")
	b.WriteString(martAside)
	fmt.Fprintf(&b, "<script>window.__PAGE_DATA__={\"page\":\"search\",\"q\":%s,\"p\":%d,\"pages\":%d,\"total\":%d,\"ab\":\"%08x\"};</script>\n",
		scriptString(query), page, pages, total, hashString(query+strconv.Itoa(page)))
	martFoot(&b, hashString(query))
	return b.Bytes()
}

func martCard(b *bytes.Buffer, l *Listing, query string, pos int, c martClasses) {
	href := l.URL
	fmt.Fprintf(b, "<li class=\"%s\" %s=\"%s\" data-pos=\"%d\" data-spm=\"a21.search.%d\">\n", c.card, c.skuAttr, l.ID, pos, pos)
	fmt.Fprintf(b, "  <a class=\"%s\" href=\"%s\" target=\"_blank\"><img src=\"%s\" data-ks-lazyload=\"%s\" alt=\"%s\" width=\"220\" height=\"220\"></a>\n",
		c.pic, href, l.Image, l.Image, esc(l.Title))
	fmt.Fprintf(b, "  <div class=\"%s\"><strong>%s</strong>", c.price, esc(cardPrice(l, "¥")))
	if hashString(l.ID)%3 == 0 {
		b.WriteString("<span class=\"coupon\">券后价</span>")
	}
	b.WriteString("</div>\n")
	fmt.Fprintf(b, "  <div class=\"%s\"><a href=\"%s\" title=\"%s\" target=\"_blank\">%s</a></div>\n", c.title, href, esc(l.Title), highlight(l.Title, query))
	fmt.Fprintf(b, "  <div class=\"%s\"><a class=\"%s\" href=\"/mart/shop?name=%s\">%s</a>", c.shop, c.shopName, url.QueryEscape(l.Seller), esc(l.Seller))
	if strings.Contains(l.Seller, "旗舰店") {
		b.WriteString("<i class=\"badge-tmall\" title=\"品牌旗舰店\"></i>")
	}
	b.WriteString("</div>\n")
	fmt.Fprintf(b, "  <div class=\"goods-meta\">")
	if l.ShipFrom != "" {
		fmt.Fprintf(b, "<span class=\"%s\">%s</span>", c.loc, esc(l.ShipFrom))
	}
	fmt.Fprintf(b, "<span class=\"%s\">%s</span></div>\n", c.sales, salesText(l.Sales))
	fmt.Fprintf(b, "  <div class=\"%s\"><span class=\"tag\">包邮</span>", c.tags)
	if l.Sales > 1000 {
		b.WriteString("<span class=\"tag hot\">热卖</span>")
	}
	if hashString(l.ID)%4 == 1 {
		b.WriteString("<span class=\"tag\">运费险</span>")
	}
	b.WriteString("</div>\n")
	fmt.Fprintf(b, "  <script type=\"application/json\" class=\"trace\">{\"i\":\"%s\",\"p\":%d,\"r\":\"%08x\"}</script>\n</li>\n", l.ID, pos, hashString(l.ID+query))
}

// highlight wraps the first occurrence of the query in the visible title,
// as search pages do; the title attribute keeps the plain title.
func highlight(title, query string) string {
	if query != "" {
		if i := strings.Index(title, query); i >= 0 {
			return esc(title[:i]) + "<em class=\"hl\">" + esc(query) + "</em>" + esc(title[i+len(query):])
		}
	}
	return esc(title)
}

func martPager(b *bytes.Buffer, query string, page, pages int, c martClasses) {
	link := func(p int) string { return "/mart/search?q=" + url.QueryEscape(query) + "&amp;p=" + strconv.Itoa(p) }
	fmt.Fprintf(b, "<div class=\"%s\">", c.pager)
	if page > 1 {
		fmt.Fprintf(b, "<a class=\"pager-prev\" href=\"%s\">上一页</a>", link(page-1))
	}
	for p := max(1, page-3); p <= min(pages, page+3); p++ {
		if p == page {
			fmt.Fprintf(b, "<span class=\"pager-cur\">%d</span>", p)
		} else {
			fmt.Fprintf(b, "<a class=\"pager-num\" href=\"%s\">%d</a>", link(p), p)
		}
	}
	if page < pages {
		fmt.Fprintf(b, "<a class=\"%s\" href=\"%s\">下一页</a>", c.next, link(page+1))
	} else {
		b.WriteString("<span class=\"pager-disabled\">下一页</span>")
	}
	fmt.Fprintf(b, "<span class=\"pager-total\">共 %d 页</span></div>\n", pages)
}

func (s *Server) martItem(l *Listing, c martClasses) []byte {
	var b bytes.Buffer
	b.Grow(16 << 10)
	martHead(&b, l.Title+" - 集市网")
	crumbs := strings.Split(l.Category, " > ")
	fmt.Fprintf(&b, "<nav class=\"%s\" data-path=\"%s\"><a href=\"/mart/\">首页</a>", c.crumbs, esc(l.Category))
	for _, cr := range crumbs {
		fmt.Fprintf(&b, "<span class=\"sep\">&gt;</span><a href=\"/mart/search?q=%s\">%s</a>", url.QueryEscape(cr), esc(cr))
	}
	b.WriteString("</nav>\n")
	fmt.Fprintf(&b, "<div class=\"%s\" data-sku=\"%s\">\n", c.itemDetail, l.ID)
	further := ""
	if HasGallery(l) {
		further = "<li><img src=\"" + GalleryPath(l) + "\" width=\"60\"></li>"
	}
	fmt.Fprintf(&b, "<div class=\"%s\"><img class=\"%s\" src=\"%s\" alt=\"%s\" width=\"400\" height=\"400\"><ul class=\"%s\"><li><img src=\"%s\" width=\"60\"></li>%s</ul></div>\n",
		c.gallery, c.mainImg, l.Image, esc(l.Title), c.thumbs, l.Image, further)
	b.WriteString("<div class=\"item-info\">\n")
	fmt.Fprintf(&b, "<h1 class=\"%s\">%s</h1>\n", c.itemTitle, esc(l.Title))
	fmt.Fprintf(&b, "<div class=\"item-price\"><span class=\"label\">价格</span><span class=\"%s\">¥%s</span>", c.priceNow, comma(*l.Price))
	if l.PriceHigh > 0 {
		fmt.Fprintf(&b, "<span class=\"price-range\">¥%s-%s</span>", short(*l.Price), short(l.PriceHigh))
	}
	fmt.Fprintf(&b, "<del class=\"price-orig\">¥%s</del></div>\n", comma(*l.Price*1.25))
	b.WriteString("<dl class=\"" + c.prop + "\">")
	if l.ShipFrom != "" {
		fmt.Fprintf(&b, "<dt>发货地</dt><dd class=\"%s\">%s</dd>", c.origin, esc(l.ShipFrom))
	}
	fmt.Fprintf(&b, "<dt>销量</dt><dd class=\"sold\">%s</dd><dt>类目</dt><dd class=\"cat\">%s</dd></dl>\n", salesText(l.Sales), esc(l.Category))
	fmt.Fprintf(&b, "<div class=\"%s\"><span class=\"label\">店铺</span><a class=\"shop-name\" href=\"/mart/shop?name=%s\">%s</a></div>\n", c.itemShop, url.QueryEscape(l.Seller), esc(l.Seller))
	b.WriteString("<div class=\"buy-box\"><button class=\"btn-buy\">立即购买</button><button class=\"btn-cart\">加入购物车</button></div>\n")
	b.WriteString("</div>\n</div>\n")
	fmt.Fprintf(&b, "<section class=\"detail\"><h2>商品详情</h2><div class=\"%s\">%s</div></section>\n", c.desc, esc(l.Description))
	b.WriteString(martAside)
	fmt.Fprintf(&b, "<script>window.__PAGE_DATA__={\"page\":\"item\",\"id\":\"%s\"};</script>\n", l.ID)
	martFoot(&b, hashString(l.ID))
	return b.Bytes()
}

func martHead(b *bytes.Buffer, title string) {
	b.WriteString("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(b, "<title>%s</title>\n", esc(title))
	b.WriteString("<link rel=\"icon\" href=\"/mart/img/favicon.ico\">\n<style>")
	b.WriteString(martCSS)
	b.WriteString("</style>\n<script>")
	b.WriteString(martBootJS)
	b.WriteString("</script>\n</head>\n<body>\n")
	b.WriteString(martHeader)
}

func martFoot(b *bytes.Buffer, salt uint32) {
	b.WriteString(martFooter)
	fmt.Fprintf(b, "<script>(function(){var s=document.createElement('script');s.src='/mart/static/track.js?v=%08x';document.body.appendChild(s);})();</script>\n</body>\n</html>\n", salt)
}

// The constant noise of every mart page: a style sheet, a boot script, the
// header with search box and category navigation, filters, a side column of
// recommendations and a footer. None of it uses the card classes.
var (
	martCSS = strings.Repeat(`
*{margin:0;padding:0;box-sizing:border-box}body{font:12px/1.5 "PingFang SC","Microsoft YaHei",sans-serif;color:#333;background:#f4f4f4}
a{color:#333;text-decoration:none}a:hover{color:#ff5000}.site-header{background:#fff;border-bottom:2px solid #ff5000}
.goods-list{display:flex;flex-wrap:wrap;list-style:none}.goods-card{width:232px;margin:6px;background:#fff;padding:6px;position:relative}
.goods-price{color:#ff5000;font-size:18px;font-weight:700}.goods-title a{display:block;height:36px;overflow:hidden}.hl{color:#ff5000;font-style:normal}
.goods-shop{color:#999}.goods-meta{color:#999;display:flex;justify-content:space-between}.goods-tags .tag{border:1px solid #ff5000;color:#ff5000;margin-right:4px;padding:0 2px}
.pager{text-align:center;margin:20px}.pager a,.pager span{display:inline-block;padding:4px 10px;border:1px solid #ddd;margin:0 2px;background:#fff}
.search-empty{padding:80px;text-align:center;background:#fff}.aside{width:200px;float:right}.footer{background:#fff;margin-top:20px;padding:20px;color:#999}
`, 6)
	martBootJS = `window.g_config={appId:12,startTime:+new Date,assetsHost:"/mart/static",toolbar:false,pageType:"list"};
(function(w,d){var q=w.__q=w.__q||[];w.track=function(){q.push(arguments)};w.onerror=function(m,u,l){q.push(["err",m,u,l])};
function ready(f){if(d.readyState!="loading")f();else d.addEventListener("DOMContentLoaded",f)}ready(function(){var imgs=d.querySelectorAll("img[data-ks-lazyload]");
for(var i=0;i<imgs.length;i++){imgs[i].src=imgs[i].getAttribute("data-ks-lazyload")}track("pv",location.pathname)});})(window,document);`
	martHeader = `<div class="site-topbar"><div class="wrap"><span>欢迎来到集市网</span> <a href="/mart/private/login.html">请登录</a> <a href="/mart/private/register.html">免费注册</a> <a href="/mart/private/orders.html">我的订单</a> <a href="/mart/cart">购物车</a> <a href="/mart/private/help.html">帮助中心</a></div></div>
<header class="site-header"><div class="wrap"><a class="logo" href="/mart/">集市网</a>
<form class="search-form" action="/mart/search" method="get"><input type="text" name="q" class="search-input" placeholder="搜索商品/店铺" autocomplete="off"><button type="submit" class="search-btn">搜索</button></form>
<div class="hot-words"><a href="/mart/search?q=%E8%BF%90%E5%8A%A8%E9%9E%8B">运动鞋</a> <a href="/mart/search?q=%E6%89%8B%E6%9C%BA">手机</a> <a href="/mart/search?q=%E5%A5%B3%E5%8C%85">女包</a> <a href="/mart/search?q=%E8%8C%B6%E5%8F%B6">茶叶</a></div></div></header>
<nav class="cat-nav"><ul><li><a href="/mart/search?q=%E5%A5%B3%E8%A3%85">女装</a></li><li><a href="/mart/search?q=%E7%94%B7%E8%A3%85">男装</a></li><li><a href="/mart/search?q=%E9%9E%8B%E9%9D%B4">鞋靴</a></li><li><a href="/mart/search?q=%E7%AE%B1%E5%8C%85">箱包</a></li><li><a href="/mart/search?q=%E6%95%B0%E7%A0%81">数码</a></li><li><a href="/mart/search?q=%E5%AE%B6%E7%94%B5">家电</a></li><li><a href="/mart/search?q=%E7%BE%8E%E5%A6%86">美妆</a></li><li><a href="/mart/search?q=%E9%A3%9F%E5%93%81">食品</a></li><li><a href="/mart/search?q=%E7%94%9F%E9%B2%9C">生鲜</a></li><li><a href="/mart/search?q=%E9%85%92%E6%B0%B4">酒水</a></li><li><a href="/mart/search?q=%E5%9B%BE%E4%B9%A6">图书</a></li><li><a href="/mart/search?q=%E6%AF%8D%E5%A9%B4">母婴</a></li></ul></nav>
`
	martFilters = `<div class="filters"><dl><dt>排序</dt><dd><a class="on" href="#">综合</a><a href="#">销量</a><a href="#">价格</a><a href="#">信用</a></dd></dl>
<dl><dt>发货地</dt><dd><a href="#">江浙沪</a><a href="#">珠三角</a><a href="#">京津冀</a><a href="#">东三省</a><a href="#">港澳台</a></dd></dl>
<dl><dt>服务</dt><dd><label><input type="checkbox">包邮</label><label><input type="checkbox">赠送退货运费险</label><label><input type="checkbox">货到付款</label><label><input type="checkbox">新品</label></dd></dl></div>
`
	martAside = `<aside class="aside"><h3>掌柜热卖</h3><ol class="hot-list"><li><a href="#">纯棉短袖T恤 男 夏季宽松</a><span>¥39.00</span></li><li><a href="#">不锈钢保温杯 500ml</a><span>¥59.00</span></li><li><a href="#">加厚瑜伽垫 防滑</a><span>¥49.90</span></li><li><a href="#">机械键盘 青轴 87键</a><span>¥199.00</span></li><li><a href="#">家用电热水壶 1.7L</a><span>¥89.00</span></li><li><a href="#">双肩包 大容量 通勤</a><span>¥129.00</span></li></ol>
<div class="ad-slot" data-ad="aside-1"><img src="/mart/img/ad-aside-1.jpg" alt="广告"></div></aside>
`
	martFooter = `<footer class="footer"><div class="wrap"><dl><dt>购物指南</dt><dd><a href="/mart/private/help.html">购物流程</a></dd><dd><a href="/mart/private/help.html">会员介绍</a></dd><dd><a href="/mart/private/help.html">常见问题</a></dd></dl>
<dl><dt>配送方式</dt><dd>上门自提</dd><dd>211限时达</dd><dd>配送服务查询</dd></dl><dl><dt>支付方式</dt><dd>货到付款</dd><dd>在线支付</dd><dd>分期付款</dd></dl>
<dl><dt>售后服务</dt><dd>售后政策</dd><dd>价格保护</dd><dd>退款说明</dd></dl><dl><dt>知识产权</dt><dd><a href="/mart/private/ip.html">知识产权投诉</a></dd><dd>规则中心</dd></dl>
<p class="copyright">Copyright © 2026 集市网 版权所有 · 增值电信业务经营许可证：浙B2-00000000 · 本网站为 markwatch 测试用虚构市场</p></div></footer>
`
)
